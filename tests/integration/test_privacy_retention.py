"""Retention: an admin sets how long inactive accounts and raw events are kept; the scheduler
warns inactive people by e-mail, erases them a month later unless they sign in, and deletes
old events the journey map has counted; a dry run shows what would go and changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lxp import events, scheduler
from lxp.accounts.models import User
from lxp.audit.models import AuditEntry
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import rollups
from lxp.privacy import erasure, retention
from lxp.privacy.models import RetentionPolicy, RetentionWarning
from tests.conftest import committing, sign_in, submit

MONTH = timedelta(days=30)


@pytest.fixture
def people(app, make_user):
    now = utcnow()
    ids = {
        "admin": make_user(("admin",), email="boss@example.com"),
        "old": make_user(email="old@example.com", name="Olga Old", locale="de"),
        "never": make_user(email="never@example.com", name="Nina Never"),
        "recent": make_user(email="recent@example.com"),
        "old_admin": make_user(("admin",), email="old-admin@example.com"),
    }
    with committing(app):
        for key, last in (
            ("old", now - 13 * MONTH),
            ("recent", now - timedelta(days=2)),
            ("old_admin", now - 20 * MONTH),
        ):
            db.session.get(User, ids[key]).last_login_at = last
        db.session.get(User, ids["never"]).created_at = now - 14 * MONTH
        events.record(actor_id=ids["recent"], verb="responded", object_type="item", object_id="1:a",
                      result={"response": "an old comment", "extensions": {"mood": 4}}, occurred_at=now - 13 * MONTH)  # fmt: skip
        events.record(actor_id=ids["recent"], verb="responded", object_type="item", object_id="1:a",
                      result={"response": "a new comment", "extensions": {"mood": 2}}, occurred_at=now - MONTH)  # fmt: skip
    with committing(app):
        rollups.roll_up(settle=timedelta(0))  # the journey map has counted them: they may go
    return ids


def _policy(client, inactive="12", event_months="12"):
    return submit(client, "/admin/retention", {"inactive_months": inactive, "event_months": event_months})


def test_an_admin_sets_the_policy_and_bad_numbers_are_refused(app, client, people):
    sign_in(client, "boss@example.com")
    refused = _policy(client, inactive="1")
    assert refused.status_code == 400 and "between 3 and 120" in refused.get_data(as_text=True)
    too_short = _policy(client, event_months="6")  # the risk model looks back 36 weeks
    assert too_short.status_code == 400 and "between 9 and 120" in too_short.get_data(as_text=True)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(RetentionPolicy)) == 0
    assert _policy(client).status_code == 302
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "2 people would be warned." in page and "1 old event would be deleted." in page
    with committing(app):
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_policy_changed")).all()
        assert entry.details["after"] == {"inactive_months": 12, "event_months": 12}


def test_dry_run_lists_what_would_go_and_changes_nothing(app, client, people, mailbox):
    sign_in(client, "boss@example.com")
    _policy(client)
    result = app.test_cli_runner().invoke(args=["lxp", "privacy", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would warn 2, erase 0, delete 1 event(s)" in result.output
    assert "old@example.com" in result.output and "never@example.com" in result.output
    assert "recent@example.com" not in result.output and "old-admin@example.com" not in result.output
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(RetentionWarning)) == 0
        assert (
            db.session.scalar(
                select(func.count()).where(LearningEvent.result["response"].as_string() == "an old comment")
            )
            == 1
        )
    assert mailbox.to("old@example.com") == []


def test_warned_then_erased_unless_they_sign_in_and_old_events_are_deleted(app, client, people, mailbox):
    sign_in(client, "boss@example.com")
    _policy(client)
    now = utcnow()
    with committing(app):
        report = retention.run_all(now)
    assert (report.warned, report.erased, report.events_deleted) == (2, 0, 1)
    [mail] = mailbox.to("old@example.com")
    assert "gelöscht" in mailbox.text_of(mail)  # in her language
    assert len(mailbox.to("never@example.com")) == 1 and mailbox.to("recent@example.com") == []
    with committing(app):
        pulses = db.session.scalars(select(LearningEvent).where(LearningEvent.verb == "responded"))
        # the old event is gone whole, not only its words
        assert [(e.result or {}).get("response") for e in pulses] == ["a new comment"]
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "retention_warning")) == 2

    with committing(app):
        assert retention.run_all(now + timedelta(days=10)).warned == 0  # warned once, not every run
        db.session.get(User, people["never"]).last_login_at = now + timedelta(days=15)  # Nina came back
    assert len(mailbox.to("old@example.com")) == 1

    with committing(app):
        report = retention.run_all(now + timedelta(days=retention.WARNING_DAYS + 1))
    assert report.erased == 1
    with committing(app):
        assert erasure.is_erased(db.session.get(User, people["old"]))
        assert not erasure.is_erased(db.session.get(User, people["never"]))
        assert db.session.get(RetentionWarning, people["never"]) is None  # her sign-in cancelled it
        first, last = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge")
                                         .order_by(AuditEntry.id)).all()  # fmt: skip
        assert (first.details["events_deleted"], last.details["erased"], last.actor_id) == (1, 1, None)
        [erased] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person_erased")).all()
        assert erased.subject_id == str(people["old"]) and erased.details["reason"] == "retention"


def test_retention_is_a_scheduled_job(app, people):
    assert any(job.target == "lxp.privacy.jobs:apply_retention" for job in scheduler.JOBS)
    with committing(app):
        db.session.add(
            RetentionPolicy(organisation_id=db.session.get(User, people["old"]).organisation_id, inactive_months=12)
        )
    scheduler.run_job(app, "lxp.privacy.jobs:apply_retention")
    with committing(app):
        assert db.session.get(RetentionWarning, people["old"]) is not None
