"""An admin without the trainer role sees the organisation's flagged learners on an insights page
and acts on them as a coach would: a message, a session offer, a lighter plan, each told to the
learner in their inbox and recorded. The same privacy rules: no held-out flags, none of learners
who turned the support off, no score; learners, trainers and other organisations' admins refused."""

import re
from datetime import timedelta

from sqlalchemy import select

from lxp.accounts.models import Organisation, User
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import CoachAssignment
from lxp.core.time import utcnow
from lxp.events import record
from lxp.extensions import db
from lxp.paths.models import Journey
from lxp.risk import services
from lxp.risk.models import RiskFlag, RiskOptOut
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.test_live_fixtures import live_course_fixture, schedule, soon, start_path, trainer_fixture  # noqa: F401  (fixtures)
from tests.integration.test_predictive_support import _quiet_learner_with_a_coach

PAGE = "/admin/predictive-support/flags"


def _organisation():
    return db.session.execute(select(Organisation).where(Organisation.slug == "acme")).scalar_one()


def _flag(app) -> int:
    with committing(app):
        return services.raise_flags(_organisation())[0].id


def _admin(app, make_user):
    make_user(("admin",), email="ada@example.com", name="Ada Admin")
    client = app.test_client()
    sign_in(client, "ada@example.com")
    return client


def _message(app, client, key: str) -> str:
    """The inbox message with this key, as its reader opens it."""
    with committing(app):
        message_id = db.session.execute(select(InAppMessage.id).where(InAppMessage.key.like(key))).scalar_one()
    return client.get(f"/inbox/{message_id}").get_data(as_text=True)


def _section(page: str) -> str:
    return page.split("<h1>")[1].split('id="holdout-comparison"')[0]


def test_an_admin_sees_the_flagged_learner_with_reasons_and_their_coach_and_sends_a_message(app, published, make_user):
    _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    admin = _admin(app, make_user)
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Lena Learner" in page and "Coach: Carla Coach" in page
    assert "no activity for 9 days" in page and "2 failed checks on" in page
    assert "%" not in _section(page)  # reasons, never a score
    assert 'aria-current="page">May need support' in page  # a tab of the insights pages
    response = submit(admin, f"{PAGE}/{flag_id}", {"action": "message", "body": "Shall we find a quieter week?"},
                      form_page=PAGE)  # fmt: skip
    assert response.status_code == 302
    assert "Message sent." in admin.get(PAGE).get_data(as_text=True)
    with committing(app):
        flag = db.session.get(RiskFlag, flag_id)
        ada = db.session.execute(select(User.id).where(User.email == "ada@example.com")).scalar_one()
        assert (flag.action, flag.acted_by_id) == ("message", ada)
    learner = app.test_client()
    sign_in(learner, "lena@example.com")
    assert "Ada Admin from your organisation&#39;s learning team wrote to you" in learner.get("/inbox").get_data(
        as_text=True)  # fmt: skip
    inbox = _message(app, learner, "risk-message:%")
    assert "Shall we find a quieter week?" in inbox
    assert "You can turn this support off on your profile." in inbox
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Lena Learner" not in page.split('class="queue"')[-1].split("<details")[0]
    assert "Learners you reached out to in the last 30 days" in page
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    assert "Lena Learner" not in coach.get("/desk").get_data(as_text=True).split('id="at-risk"')[1].split("<details")[0]


def test_an_empty_message_shows_the_page_again_with_the_reason_and_changes_nothing(app, published, make_user):
    _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    admin = _admin(app, make_user)
    response = submit(admin, f"{PAGE}/{flag_id}", {"action": "message", "body": "   "}, form_page=PAGE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Write a message first." in page and 'aria-invalid="true"' in page
    long = "x" * 2001
    response = submit(admin, f"{PAGE}/{flag_id}", {"action": "message", "body": long}, form_page=PAGE)
    assert response.status_code == 400 and "Use at most 2000 characters." in response.get_data(as_text=True)
    assert long in response.get_data(as_text=True)  # what they wrote is kept
    with committing(app):
        assert db.session.get(RiskFlag, flag_id).acted_at is None
        assert db.session.scalar(select(InAppMessage.id).where(InAppMessage.key.like("risk-%"))) is None


def test_an_admin_offers_a_session_and_makes_a_plan_lighter(app, make_user, live_course, trainer):  # noqa: F811
    first = make_user(("learner",), email="lena@example.com", name="Lena Learner")
    second = make_user(("learner",), email="max@example.com", name="Max Learner")
    for email, person in (("lena@example.com", first), ("max@example.com", second)):
        client = app.test_client()
        sign_in(client, email)
        start_path(client, live_course)
        with committing(app):
            record(actor_id=person, verb="launched", object_type="item", object_id=live_course["alt"],
                   occurred_at=utcnow() - timedelta(days=12))  # fmt: skip
    with committing(app):
        flags = {f.learner_id: f.id for f in services.raise_flags(_organisation())}
        minutes = db.session.execute(select(Journey.weekly_minutes).where(Journey.learner_id == second)).scalar_one()
    [session_id] = schedule(app, trainer, live_course["live"], soon(days=5))
    admin = _admin(app, make_user)
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Nobody coaches them yet." in page and "Role-play lab" in page
    bad = submit(admin, f"{PAGE}/{flags[first]}", {"action": "offer_session", "session_id": "999999"}, form_page=PAGE)
    assert bad.status_code == 400 and "Choose one of the upcoming sessions" in bad.get_data(as_text=True)
    response = submit(admin, f"{PAGE}/{flags[first]}", {"action": "offer_session", "session_id": str(session_id)},
                      form_page=PAGE)  # fmt: skip
    assert response.status_code == 302
    response = submit(admin, f"{PAGE}/{flags[second]}", {"action": "simplify_plan"}, form_page=PAGE)
    assert response.status_code == 302
    with committing(app):
        offered = db.session.get(RiskFlag, flags[first])
        assert (offered.action, offered.offered_session_id) == ("offer_session", session_id)
        lighter = db.session.get(RiskFlag, flags[second])
        assert lighter.action == "simplify_plan" and lighter.minutes_before == minutes
        now = db.session.execute(select(Journey.weekly_minutes).where(Journey.learner_id == second)).scalar_one()
        assert now == lighter.minutes_after < minutes
    lena = app.test_client()
    sign_in(lena, "lena@example.com")
    assert "a live session that may help: Role-play lab" in _message(app, lena, "risk-offer:%")
    max_ = app.test_client()
    sign_in(max_, "max@example.com")
    assert "I made your plan lighter" in _message(app, max_, "risk-lighter:%")


def test_held_out_flags_and_learners_who_turned_it_off_never_reach_the_admin(app, published, make_user):
    learner, _, learner_client = _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    with committing(app):
        flag = db.session.get(RiskFlag, flag_id)
        flag.held_out, flag.closed_at = True, utcnow()
    admin = _admin(app, make_user)
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Lena Learner" not in page
    assert "Too few learners so far to show the comparison: each group needs at least 5." in page  # k >= 5
    with committing(app):
        db.session.get(RiskFlag, flag_id).closed_at = None
    token = csrf_from(admin.get(PAGE).get_data(as_text=True))
    assert (
        admin.post(f"{PAGE}/{flag_id}", data={"csrf_token": token, "action": "message", "body": "Hi"}).status_code
        == 404
    )
    with committing(app):
        db.session.get(RiskFlag, flag_id).held_out = False
    submit(learner_client, "/me/predictive-support", {"on": "0"}, form_page="/me")
    with committing(app):
        assert db.session.get(RiskOptOut, learner) is not None
    assert "Lena Learner" not in admin.get(PAGE).get_data(as_text=True)
    assert (
        admin.post(f"{PAGE}/{flag_id}", data={"csrf_token": token, "action": "message", "body": "Hi"}).status_code
        == 404
    )


def test_learners_trainers_and_other_organisations_admins_are_refused(app, published, make_user, other_organisation):
    _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    make_user(("admin",), email="elsewhere@example.com", organisation_id=other_organisation)
    elsewhere = app.test_client()
    sign_in(elsewhere, "elsewhere@example.com")
    page = elsewhere.get(PAGE).get_data(as_text=True)
    assert "Lena Learner" not in page
    token = csrf_from(page)
    response = elsewhere.post(f"{PAGE}/{flag_id}", data={"csrf_token": token, "action": "message", "body": "Hi"})
    assert response.status_code == 404
    for email in ("coach@example.com", "lena@example.com"):
        client = app.test_client()
        sign_in(client, email)
        assert client.get(PAGE).status_code == 403
        token = csrf_from(client.get("/me").get_data(as_text=True))
        response = client.post(f"{PAGE}/{flag_id}", data={"csrf_token": token, "action": "message", "body": "Hi"})
        assert response.status_code == 403
    with committing(app):
        assert db.session.get(RiskFlag, flag_id).acted_at is None
        assert db.session.get(CoachAssignment, db.session.get(RiskFlag, flag_id).learner_id) is not None


def test_a_long_list_of_flags_pages_twenty_at_a_time_and_acting_keeps_the_admin_on_their_page(app, make_user):
    """41 learners flagged, oldest first, 20 a page: acting on the only flag of the last page
    takes the admin back to the page that is now the last."""
    learners = [make_user(("learner",), email=f"quiet{n}@example.com", name=f"Quiet {n:02d}") for n in range(41)]
    start = utcnow() - timedelta(days=1)
    with committing(app):
        organisation = _organisation().id
        flags = []
        for n, learner in enumerate(learners):
            flag = RiskFlag(organisation_id=organisation, learner_id=learner, raised_at=start + timedelta(minutes=n),
                            source="rules", reasons=[{"code": "quiet", "values": {"days": 9}}], suggested="message")  # fmt: skip
            db.session.add(flag)
            flags.append(flag)
        db.session.flush()
        flag_ids = [flag.id for flag in flags]
    admin = _admin(app, make_user)

    def names(url: str) -> list[str]:
        return [
            f"Quiet {n}" for n in re.findall(r"<strong>Quiet (\d{2})</strong>", admin.get(url).get_data(as_text=True))
        ]

    assert names(PAGE) == [f"Quiet {n:02d}" for n in range(20)]
    assert names(f"{PAGE}?page=3") == ["Quiet 40"] and "Page 3 of 3" in admin.get(f"{PAGE}?page=3").get_data(
        as_text=True
    )
    acted = submit(admin, f"{PAGE}/{flag_ids[40]}?page=3", {"action": "message", "body": "How are you getting on?"},
                   form_page=f"{PAGE}?page=3")  # fmt: skip
    assert acted.headers["Location"] == f"{PAGE}?page=3"
    after = admin.get(acted.headers["Location"]).get_data(as_text=True)
    assert "Message sent." in after and "Page 2 of 2" in after
    assert names(f"{PAGE}?page=3") == [f"Quiet {n:02d}" for n in range(20, 40)]
