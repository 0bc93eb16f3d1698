"""Credentials in the demo: the learners who finished a goal hold its signed credential, one
credential given for an assignment was revoked, and one recertifiable credential has expired.

Idempotent: a learner who already holds a credential for the goal is left alone.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.authoring.models import Goal
from lxp.core.time import utcnow
from lxp.credentials import services as credentials
from lxp.credentials.models import Credential
from lxp.extensions import db

ADMIN = "admin@northwind.example"
# Meera finished her path; her coach saw the team agreements work in a real meeting, which
# completes her goal's competencies (the path's checks cover only hybrid meetings).
EARNED = ("meera.nair@northwind.example", "team-agreements")
DEMO_NAMESPACE = uuid.UUID("0b7a3c55-7f0e-4a43-9b6e-2f3f3f1f0c27")
# (learner, goal): given for an assignment, then revoked by the admin
REVOKED = ("lucas.silva@northwind.example", "keep-customers", "Issued in error: the assignment was closed early.")
# (learner, goal): a yearly recertification that ran out
EXPIRED = ("trainer.newyork@northwind.example", "keep-customers")


def _user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email)).first()


def _goal(organisation_id: int, slug: str) -> Goal | None:
    return db.session.scalars(select(Goal).where(Goal.organisation_id == organisation_id, Goal.slug == slug)).first()


def _holds(learner: User, goal: Goal) -> bool:
    return db.session.scalars(select(Credential.id).where(Credential.learner_id == learner.id,
                                                         Credential.goal_id == goal.id)).first() is not None  # fmt: skip


def seed_credentials() -> dict[str, int]:
    """Issue the demo's credentials once; returns how many of each kind were added now."""
    learner = _user(EARNED[0])
    event_id = uuid.uuid5(DEMO_NAMESPACE, f"{EARNED[0]}|mastered|{EARNED[1]}")
    if learner is not None and db.session.get(events.LearningEvent, event_id) is None:  # the day moves on
        events.record(actor_id=learner.id, verb="mastered", object_type="competency", object_id=EARNED[1],
                      context={"observed_at_work": True}, occurred_at=utcnow().replace(hour=0, minute=0, second=0, microsecond=0),
                      event_id=event_id)  # fmt: skip
    added = {"earned": credentials.issue_all_earned(), "revoked": 0, "expired": 0}
    admin = _user(ADMIN)
    if admin is None:
        return added
    email, slug, reason = REVOKED
    learner, goal = _user(email), _goal(admin.organisation_id, slug)
    if learner is not None and goal is not None and not _holds(learner, goal):
        credential = credentials.issue_for_goal(learner, goal, reason="assignment",
                                                valid_until=utcnow() + timedelta(days=365))  # fmt: skip
        credentials.revoke(admin, credential, reason)
        added["revoked"] = 1
    email, slug = EXPIRED
    learner, goal = _user(email), _goal(admin.organisation_id, slug)
    if learner is not None and goal is not None and not _holds(learner, goal):
        issued = utcnow() - timedelta(days=400)
        credentials.issue_for_goal(learner, goal, reason="assignment", now=issued,
                                   valid_until=issued + timedelta(days=365))  # fmt: skip
        added["expired"] = 1
    return added
