"""Shared set-up for the privacy tests (fixtures and helpers only, no tests): six learners on
the example course who share a cohort, a coach and a live session, each with something of
every kind lxp keeps about a person, marked with words of their own so a test can tell whose
data ended up where."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lxp import events
from lxp.accounts import api_tokens
from lxp.accounts.models import User
from lxp.authoring.models import Item
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import (
    CoachAssignment,
    CoachFeedback,
    CoachingMessage,
    CoachingThread,
    HelpRequest,
    ThreadReadMark,
)
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.files import storage
from lxp.files.models import StoredFile
from lxp.live.models import CalendarFeed, LiveSession, Registration
from lxp.nudges.models import NotificationPreferences, OutboxMessage, ReviewCard
from lxp.paths import services as paths
from lxp.push.models import PushSubscription
from lxp.workplace.models import TaskReview, TaskSubmission
from tests.conftest import committing

LEARNERS = ("anna", "bert", "cleo", "dana", "emil", "fay")


def marker(name: str, what: str) -> str:
    """A word that belongs to one learner's one record."""
    return f"{name.upper()}-{what}-MARK"


@pytest.fixture
def privacy_uploads(app, tmp_path, monkeypatch):
    """Uploads of this test go to a folder of its own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def world(app, make_user, published, privacy_uploads):
    """The learners (name -> id), their coach, an admin, the course; every kind of record."""
    coach = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    admin = make_user(("admin",), email="boss@example.com", name="Bea Boss")
    people = {name: make_user(("learner",), email=f"{name}@example.com", name=f"{name.title()} Learner",
                              locale="de" if name == "anna" else None) for name in LEARNERS}  # fmt: skip
    course = published["course"]
    now = utcnow()
    with committing(app):
        organisation = db.session.get(User, admin).organisation_id
        lesson_item = db.session.scalar(select(Item).where(Item.key == "listen-lesson"))
        cohort = Cohort(organisation_id=organisation, name="Spring cohort", coach_id=coach)
        db.session.add(cohort)
        session = LiveSession(organisation_id=organisation, course_id=course, item_key="listen-lesson", item_id=lesson_item.id,
                              starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=1), timezone="UTC",
                              capacity=10, registration_deadline=now + timedelta(days=2), created_by_id=coach)  # fmt: skip
        db.session.add(session)
        db.session.flush()
        for index, (name, uid) in enumerate(people.items()):
            learner = db.session.get(User, uid)
            learner.last_login_at = now - timedelta(days=1)
            db.session.execute(cohort_members.insert().values(cohort_id=cohort.id, user_id=uid))
            paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 120,
                                                             ("self_paced", "live", "coaching", "on_the_job")))  # fmt: skip
            db.session.add(CoachAssignment(learner_id=uid, coach_id=coach))
            at = now - timedelta(days=20 - index)
            events.record(actor_id=uid, verb="completed", object_type="item", object_id=published["lesson"],
                          result={"completion": True, "duration": "PT6M"}, occurred_at=at)  # fmt: skip
            events.record(actor_id=uid, verb="failed" if index % 3 == 0 else "passed", object_type="item",
                          object_id=published["quiz"], result={"score": {"raw": 1 + index % 3, "min": 0, "max": 3},
                          "response": {"q1": ["b"]}}, occurred_at=at + timedelta(minutes=10))  # fmt: skip
            events.record(actor_id=uid, verb="responded", object_type="item", object_id=published["lesson"],
                          result={"response": marker(name, "PULSE"), "extensions": {"mood": 1 + index % 5, "effort": 3}},
                          context={"pulse": True}, occurred_at=at + timedelta(minutes=11))  # fmt: skip
            thread = CoachingThread(organisation_id=organisation, learner_id=uid, last_message_at=at)
            db.session.add(thread)
            db.session.flush()
            mine = CoachingMessage(thread_id=thread.id, author_id=uid, body=marker(name, "QUESTION"), created_at=at)
            reply = CoachingMessage(
                thread_id=thread.id, author_id=coach, body=marker(name, "COACH-REPLY"), created_at=at
            )
            db.session.add_all([mine, reply, ThreadReadMark(thread_id=thread.id, user_id=uid)])
            db.session.add(HelpRequest(organisation_id=organisation, learner_id=uid, item_ref=published["lesson"],
                                       item_title="Listen", note=marker(name, "STUCK"), created_at=at,
                                       resolved_at=at + timedelta(hours=2), status="resolved", answer="Try again"))  # fmt: skip
            db.session.add(CoachFeedback(organisation_id=organisation, learner_id=uid, coach_id=coach, competency="listening",
                                         rating=3, comment=marker(name, "FEEDBACK")))  # fmt: skip
            submission = TaskSubmission(organisation_id=organisation, learner_id=uid, item_ref=published["lesson"],
                                        item_title="Task", status="accepted", account=marker(name, "EVIDENCE"))  # fmt: skip
            db.session.add(submission)
            db.session.flush()
            db.session.add(TaskReview(submission_id=submission.id, reviewer_id=coach, outcome="accepted",
                                      comment=marker(name, "REVIEW")))  # fmt: skip
            for kind, attached, owner in (("evidence", submission.id, uid), ("message", reply.id, coach)):
                token = f"{name}{kind}".ljust(32, "0")[:32]
                data = marker(name, f"FILE-{kind}").encode()
                storage.write(db.session, token, data)
                db.session.add(StoredFile(token=token, organisation_id=organisation, owner_id=owner, kind=kind,
                                          attached_id=attached, original_name=f"{name}-{kind}.txt", content_type="text/plain",
                                          size=len(data), sha256="0" * 64))  # fmt: skip
            db.session.add(Registration(session_id=session.id, learner_id=uid, status="registered"))
            db.session.add(CalendarFeed(user_id=uid, token_hash=f"{name}".ljust(64, "f")))
            db.session.add(OutboxMessage(user_id=uid, rule="quiet_5_days", occurrence=f"o-{name}", category="nudge",
                                         subject=marker(name, "TOUCHPOINT"), body="Come back", why="because",
                                         due_at=at, status="sent", channel="email", sent_at=at, course_id=course))  # fmt: skip
            db.session.add(InAppMessage(user_id=uid, category="nudge", subject=marker(name, "INBOX")))
            db.session.add(NotificationPreferences(user_id=uid, weekly_cap=4))
            db.session.add(ReviewCard(user_id=uid, question=f"{published['quiz']}/q1", card={"due": "x"}, due_at=now))
            db.session.add(PushSubscription(user_id=uid, endpoint=f"https://push.example/{marker(name, 'PUSH')}",
                                            p256dh=marker(name, "P256DH"), auth=marker(name, "AUTHKEY")))  # fmt: skip
            api_tokens.create_token(learner, marker(name, "TOKEN-NAME"), ["read"])
    return {"people": people, "coach": coach, "admin": admin, "course": course, "cohort": cohort.id,
            "session": session.id}  # fmt: skip


def read_zip(body: bytes) -> tuple[dict, dict[str, bytes]]:
    """The export's data.json and its other files."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        data = json.loads(archive.read("data.json"))
        return data, {name: archive.read(name) for name in names if name != "data.json"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
