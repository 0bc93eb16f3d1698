"""An admin erases a person: their words, files, tokens and phones go, their learning counts on
under a pseudonym (the insights read the same before and after), statements the LRS had are
voided, the account never signs in again, and the audit trail keeps that it happened."""

import json
from datetime import timedelta

from sqlalchemy import func, select, text

from lxp.accounts.models import User
from lxp.audit.models import AuditEntry
from lxp.coaching.models import CoachingMessage
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import services as insights
from lxp.lrs import services as lrs_services
from lxp.nudges import effect
from lxp.privacy import erasure
from tests.conftest import committing, sign_in, submit
from tests.integration.api.test_xapi import lrs  # noqa: F401  (a local LRS)
from tests.integration.api.xapi_rules import problems_of
from tests.integration.privacy_fixtures import LEARNERS, marker


def _figures(app, admin_id, course_id, cohort_id, now):
    """What the admin's insights say about the course: everyone, and the shared cohort."""
    with committing(app):
        admin = db.session.get(User, admin_id)
        out = []
        for filters in (insights.Filters(), insights.Filters(cohort_id=cohort_id)):
            _c, _v, journey = insights.journey_map(admin, course_id, filters)
            _c, _v, satisfaction = insights.satisfaction(admin, course_id, filters)
            stations = [(f.station.ref, f.counts, sorted(map(repr, f.help)), f.reached, f.finished, f.finish_rate, f.median_minutes,
                         f.mood_average, f.help_requests, f.hours_to_resolve, f.drop_rate, f.first_try_rate)
                        for f in journey.stations]  # fmt: skip
            out.append((journey.learners, stations, satisfaction.nps, satisfaction.nps_by_month, satisfaction.pulses))
        out.append(effect.effect_report(admin, effect.Filters(), now=now))
        return repr(out)


def _everything(app) -> str:
    """Every row of every table, as text."""
    with committing(app):
        dumped = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                dumped.append(json.dumps({k: str(v) for k, v in row.items()}))
        return "\n".join(dumped)


def _erase(client, person_id, typed):
    return submit(client, f"/admin/users/{person_id}/erase", {"confirm_email": typed})


def test_erasure_removes_the_person_and_keeps_the_figures(app, client, world, privacy_uploads, lrs):  # noqa: F811
    anna = world["people"]["anna"]
    moment = utcnow()
    with committing(app):
        organisation = db.session.get(User, anna).organisation_id
    sign_in(client, "boss@example.com")
    saved = submit(client, "/admin/lrs", {"endpoint": lrs.endpoint, "username": "k", "password": "s3cret-lrs",
                                          "batch_size": "500", "enabled": "y"})  # fmt: skip
    assert saved.status_code == 302
    with committing(app):
        lrs_services.forward_organisation(organisation, now=utcnow() + timedelta(seconds=10))
        forwarded_of_anna = {
            str(i) for i in db.session.scalars(select(LearningEvent.id).where(LearningEvent.actor_id == anna))
        }
    assert forwarded_of_anna <= set(lrs.ids())
    before = _figures(app, world["admin"], world["course"], world["cohort"], moment)
    assert "reached=6" in before or ", 6, 6," in before, before  # the figures are shown (six learners), not hidden
    with committing(app):
        events_before = db.session.scalar(select(func.count()).where(LearningEvent.actor_id == anna))
    assert "Erase this person" in client.get(f"/admin/users/{anna}").get_data(as_text=True)

    response = _erase(client, anna, "ANNA@Example.com")
    assert response.status_code == 302

    assert _figures(app, world["admin"], world["course"], world["cohort"], moment) == before
    everything = _everything(app)
    assert "ANNA-" not in everything and "anna@example.com" not in everything and "Anna Learner" not in everything
    for other in LEARNERS[1:]:
        for kind in (
            "PULSE",
            "QUESTION",
            "COACH-REPLY",
            "STUCK",
            "EVIDENCE",
            "INBOX",
            "TOUCHPOINT",
            "PUSH",
            "TOKEN-NAME",
        ):
            assert marker(other, kind) in everything, f"{other}'s {kind} went with Anna's erasure"
    assert not any("anna" in path.name for path in privacy_uploads.rglob("*") if path.is_file())
    assert any("bert" in path.name for path in privacy_uploads.rglob("*") if path.is_file())
    with committing(app):
        pseudonym = db.session.get(User, anna)
        assert pseudonym.display_name == erasure.ERASED_NAME and pseudonym.email.endswith("@erased.invalid")
        assert not pseudonym.active and pseudonym.roles == {"learner"}
        assert db.session.scalar(select(func.count()).where(LearningEvent.actor_id == anna)) == events_before
        assert db.session.scalar(select(func.count()).select_from(CoachingMessage)) == 2 * (len(LEARNERS) - 1)
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person_erased")).all()
        assert (entry.actor_id, entry.subject_id) == (world["admin"], str(anna))
        assert entry.details["statements_voided"] == len(forwarded_of_anna)
        forwarded = lrs_services.forward_organisation(organisation, now=utcnow() + timedelta(seconds=20))
    # The LRS gets one voiding statement per statement of Anna's it had, and nothing else about her.
    voids = [s for s in lrs.accepted if s["verb"]["display"]["en-US"] == "voided"]
    assert forwarded == len(voids) and {s["object"]["id"] for s in voids} == forwarded_of_anna
    assert all(s["object"]["objectType"] == "StatementRef" and problems_of(s) == [] for s in voids)
    # The account can never sign in again, with the old or any new address.
    other = app.test_client()
    assert sign_in(other, "anna@example.com").status_code == 200
    assert "Erased person" in client.get("/admin/audit?action=person_erased").get_data(as_text=True)


def test_erasure_needs_the_persons_email_typed_and_changes_nothing_otherwise(app, client, world):
    bert = world["people"]["bert"]
    sign_in(client, "boss@example.com")
    before = _everything(app)
    response = _erase(client, bert, "anna@example.com")
    assert response.status_code == 400
    assert "e-mail address exactly to confirm." in response.get_data(as_text=True)
    assert _everything(app) == before
    assert _erase(client, world["admin"], "boss@example.com").status_code in (400, 302)
    with committing(app):
        assert db.session.get(User, world["admin"]).active


def test_erasure_is_for_admins_of_the_same_organisation(app, client, world, make_user, other_organisation):
    stranger = make_user(("admin",), email="far@other.example", organisation_id=other_organisation)
    sign_in(client, "far@other.example")
    assert client.get(f"/admin/users/{world['people']['cleo']}/erase").status_code == 404
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    assert coach.get(f"/admin/users/{world['people']['cleo']}/erase").status_code == 403
    with committing(app):
        assert db.session.get(User, world["people"]["cleo"]).email == "cleo@example.com"
        assert stranger


def test_a_learner_who_signs_in_after_erasure_is_refused(app, client, world):
    dana = world["people"]["dana"]
    learner = app.test_client()
    assert sign_in(learner, "dana@example.com").status_code == 302
    sign_in(client, "boss@example.com")
    assert _erase(client, dana, "dana@example.com").status_code == 302
    assert learner.get("/today").status_code == 302  # the open session ended with the erasure
    with committing(app):
        assert db.session.execute(text("select count(*) from api_tokens where user_id = :u"), {"u": dana}).scalar() == 0
