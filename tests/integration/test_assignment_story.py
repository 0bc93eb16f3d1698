"""Issue #23's "done when", in one piece, with the real OpenID provider: an admin assigns
onboarding to a cohort "within 14 days of joining"; a newly provisioned learner (company
sign-in, put in the cohort by their group) gets it on their path with the reason and due date;
their manager sees them at risk and confirms an on-the-job practice; the learner finishes and
downloads a credential that the public page verifies; revoking it makes the page say so."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from flask_babel import format_date
from sqlalchemy import select

from lxp import demo, events
from lxp.assignments import services as assignments
from lxp.assignments.models import AssignedWork, Assignment
from lxp.authoring.models import Goal
from lxp.cohorts import services as cohorts
from lxp.credentials.models import Credential
from lxp.demo.assignments import ADMIN, MANAGER
from lxp.extensions import db
from lxp.managers import services as managers
from lxp.paths import services as paths
from lxp.sso import settings as sso_settings
from tests.conftest import committing, sign_in, submit
from tests.integration.oidc_fixtures import through_provider
from tests.integration.test_my_team import _demo, _user

COHORT = "Neu in Hamburg"
REASON = "Everyone new at the till learns to keep customers in their first two weeks."
NEWCOMER = "nina.neu@northwind.example"


@pytest.fixture(autouse=True)
def _provider_on_loopback(app, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_ALLOW_PRIVATE", True)  # the test provider is on 127.0.0.1


def _finish_every_step(app, email: str) -> None:
    """The learner does each open step of their path (passing its checks), until none is left."""
    for _round in range(6):
        with committing(app):
            person = _user(email)
            journey = paths.open_journey(person)
            plan = paths.current_plan(journey)
            steps = [s for s in plan.open_steps if not s.optional]
            if not steps:
                return
            items = {item.ref: item for item in paths.catalogue(journey)}
            for step in steps:
                verb = {"live": "attended"}.get(step.modality, "passed" if items[step.ref].assesses else "completed")
                events.record(actor_id=person.id, verb=verb, object_type="item", object_id=step.ref,
                              result={"success": True, "completion": True}, context={"journey": journey.id})  # fmt: skip
                for competency in sorted(items[step.ref].assesses):
                    events.record(actor_id=person.id, verb="mastered", object_type="competency",
                                  object_id=competency, context={"check": step.ref})  # fmt: skip
            paths.refresh_plan(journey, "the learner finished steps")
    raise AssertionError("the path never ran out of steps")


def test_onboarding_within_14_days_reaches_a_provisioned_newcomer_and_ends_in_a_verified_then_revoked_credential(
        app, client, openid_provider):  # fmt: skip
    _demo(app)
    with committing(app):
        admin = _user(ADMIN)
        goal_id = db.session.scalar(select(Goal.id).where(Goal.slug == "kunden-halten"))
        cohort_id = cohorts.create_cohort(admin, COHORT, None, []).id
        client_id, secret = openid_provider.register_client()
        sso_settings.save_settings(admin, sso_settings.SettingsInput(
            enabled=True, issuer=openid_provider.issuer, client_id=client_id, client_secret=secret,
            email_claim="email", allowed_domains="northwind.example", groups_claim="groups", role_mapping="",
            cohort_mapping=f"hamburg-newcomers = {COHORT}", sso_only=False, break_glass_user_id=None))  # fmt: skip

    # The admin assigns onboarding to the cohort, due within 14 days of joining it.
    sign_in(client, ADMIN, demo.DEMO_PASSWORD)
    made = submit(client, "/admin/assignments", {"goal": goal_id, "package": "", "reason": REASON,
                                                 "audience": "cohort", "cohort": cohort_id, "due_within_days": "14"})  # fmt: skip
    assert made.status_code == 302
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.cohort_id == cohort_id))
        assert (assignment.due_within_days, assignment.reason) == (14, REASON)
        assignment_id = assignment.id

    # A newcomer signs in through the company's provider for the first time: made just in time,
    # put in the cohort by their group, and the onboarding is on their path with reason and date.
    openid_provider.add_person(NEWCOMER, name="Nina Neu", locale="en", groups=["hamburg-newcomers"])
    newcomer = app.test_client()
    landed = through_provider(newcomer, submit(newcomer, "/login/company", {"email": NEWCOMER}, form_page="/login"))
    assert landed.status_code == 302 and landed.headers["Location"] == "/today"
    due = date.today() + timedelta(days=14)
    with app.test_request_context():
        nina_id = _user(NEWCOMER).id
        work = db.session.scalar(select(AssignedWork).where(AssignedWork.learner_id == nina_id))
        assert (work.assignment_id, work.due_on) == (assignment_id, due)
        work_id = work.id
        shown_due = format_date(due, "medium")
    path = newcomer.get("/path").get_data(as_text=True)
    assert "Asked by your organisation" in path and REASON in path and f"due {shown_due}" in path

    # Her manager: the admin names Katrin; with 15 minutes a week the date is at risk.
    with committing(app):
        managers.set_line_by_admin(_user(ADMIN), nina_id, _user(MANAGER).id)
        journey = paths.open_journey(_user(NEWCOMER))
        journey.weekly_minutes = paths.MIN_WEEKLY_MINUTES
        assignments.refresh_path(_user(NEWCOMER))
    manager = app.test_client()
    sign_in(manager, MANAGER, demo.DEMO_PASSWORD)
    team = {m["display_name"]: m for m in manager.get("/api/v1/team").get_json()}
    assert team["Nina Neu"]["state"] == "at_risk"
    assert "Nina Neu" in manager.get("/team").get_data(as_text=True)
    task = team["Nina Neu"]["tasks"][0]
    confirmed = submit(manager, f"/team/{nina_id}/confirm", {"ref": task["ref"], "note": "Saw it at the till."},
                       form_page="/team")  # fmt: skip
    assert confirmed.status_code == 302
    team = {m["display_name"]: m for m in manager.get("/api/v1/team").get_json()}
    assert task["ref"] not in [t["ref"] for t in team["Nina Neu"]["tasks"]]

    # She finishes: the work is done and she holds a credential, which she downloads.
    _finish_every_step(app, NEWCOMER)
    with app.app_context():
        assert db.session.get(AssignedWork, work_id).completed_at is not None
        credential = db.session.scalar(select(Credential).where(Credential.learner_id == nina_id))
    assert credential is not None
    listing = newcomer.get("/credentials").get_data(as_text=True)
    assert f"/credentials/{credential.id}" in listing
    pdf = newcomer.get(f"/credentials/{credential.id}/credential.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    signed = newcomer.get(f"/credentials/{credential.id}/credential.jwt")
    assert signed.get_data(as_text=True) == credential.jwt

    # The public page verifies it; revoked by the admin, the page says so.
    stranger = app.test_client()
    page = stranger.get(f"/verify/{credential.id}").get_data(as_text=True)
    assert 'data-verdict="valid"' in page and "Nina Neu" in page
    checked = stranger.post("/verify", data={"csrf_token": _csrf(stranger), "picture": (BytesIO(pdf.data), "c.pdf")},
                            content_type="multipart/form-data")  # fmt: skip
    assert 'data-verdict="valid"' in checked.get_data(as_text=True)
    assert submit(client, f"/admin/credentials/{credential.id}", {"reason": "Left before the end"}).status_code == 302
    page = stranger.get(f"/verify/{credential.id}").get_data(as_text=True)
    assert 'data-verdict="revoked"' in page and "Left before the end" not in page


def _csrf(client) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get("/verify").get_data(as_text=True))
