"""A manager sees on My team that one of their reports may need support only when predictive
support flagged them, the report has it on and chose to let the manager know; never for a flag
held out from coaches, never the reasons, never anyone else's report."""

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.extensions import db
from lxp.managers import services as managers
from lxp.risk import services as risk
from lxp.risk.models import RiskFlag
from tests.conftest import committing, csrf_from, sign_in

SUPPORT = "May need support"


def _team(app, make_user):
    """Mia manages Ann and Cem; Bo reports to Oz. Each learner has an open flag (Cem's held out)."""
    mia = make_user(("learner",), email="mia@example.com", name="Mia Manager")
    oz = make_user(("learner",), email="oz@example.com", name="Oz Other")
    people = {name: make_user(("learner",), email=f"{name.lower()}@example.com", name=f"{name} Report")
              for name in ("Ann", "Cem", "Bo")}  # fmt: skip
    with committing(app):
        for name, boss in (("Ann", mia), ("Cem", mia), ("Bo", oz)):
            person = db.session.get(User, people[name])
            managers.set_line(person, db.session.get(User, boss))
            db.session.add(RiskFlag(organisation_id=person.organisation_id, learner_id=person.id, source="rules",
                                    reasons=[{"code": "failed_check", "values": {"title": "SECRET-REASON"}}],
                                    suggested="message", held_out=name == "Cem"))  # fmt: skip
    return people


def _cards(client) -> dict[str, bool]:
    page = client.get("/team").get_data(as_text=True)
    assert "SECRET-REASON" not in page
    cards = page.split('class="card team-member"')[1:]
    return {card.split("<h2", 1)[1].split(">", 1)[1].split("<", 1)[0]: SUPPORT in card for card in cards}


def _api_marks(client) -> dict[str, bool]:
    """``/api/v1/team`` answers with the same mark as the page, and nothing of the flag itself."""
    response = client.get("/api/v1/team")
    assert response.status_code == 200
    assert "SECRET-REASON" not in response.get_data(as_text=True)
    return {member["display_name"]: member["may_need_support"] for member in response.get_json()}


def _let_manager_know(app, email: str, on: bool = True):
    learner = app.test_client()
    sign_in(learner, email)
    profile = learner.get("/me").get_data(as_text=True)
    assert "Let my manager know" in profile or "Stop telling my manager" in profile
    response = learner.post("/me/predictive-support/manager", data={"csrf_token": csrf_from(profile),
                                                                    "on": "1" if on else "0"})  # fmt: skip
    assert response.status_code == 302
    return learner


def test_a_flag_shows_on_my_team_only_after_the_report_lets_their_manager_know(app, make_user):
    people = _team(app, make_user)
    manager = app.test_client()
    sign_in(manager, "mia@example.com")
    assert _cards(manager) == {"Ann Report": False, "Cem Report": False}  # nobody chose to tell Mia yet
    assert _api_marks(manager) == {"Ann Report": False, "Cem Report": False}

    ann = _let_manager_know(app, "ann@example.com")
    _let_manager_know(app, "cem@example.com")
    _let_manager_know(app, "bo@example.com")
    assert _cards(manager) == {"Ann Report": True, "Cem Report": False}  # Cem's flag is held out from coaches
    assert _api_marks(manager) == {"Ann Report": True, "Cem Report": False}
    with app.app_context():
        assert risk.may_need_support(db.session.get(User, people["Bo"])) == set()

    # Turning predictive support off closes the flag and hides it from the manager at once.
    profile = ann.get("/me").get_data(as_text=True)
    ann.post("/me/predictive-support", data={"csrf_token": csrf_from(profile), "on": "0"})
    assert _cards(manager) == {"Ann Report": False, "Cem Report": False}


def test_taking_it_back_hides_it_again_and_someone_without_a_manager_has_no_switch(app, make_user):
    _team(app, make_user)
    manager = app.test_client()
    sign_in(manager, "mia@example.com")
    _let_manager_know(app, "ann@example.com")
    assert _cards(manager)["Ann Report"] is True
    assert _api_marks(manager)["Ann Report"] is True
    _let_manager_know(app, "ann@example.com", on=False)
    assert _cards(manager)["Ann Report"] is False
    assert _api_marks(manager)["Ann Report"] is False
    with app.app_context():
        assert db.session.scalars(select(RiskFlag).where(RiskFlag.closed_at.is_(None))).all()  # the coach still sees it

    alone = app.test_client()
    make_user(("learner",), email="solo@example.com")
    sign_in(alone, "solo@example.com")
    profile = alone.get("/me").get_data(as_text=True)
    assert "Let my manager know" not in profile
    refused = alone.post("/me/predictive-support/manager", data={"csrf_token": csrf_from(profile), "on": "1"})
    assert refused.status_code == 404
