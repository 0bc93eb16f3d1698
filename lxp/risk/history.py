"""Learner histories read from the database, in the shape ``lxp.risk.features`` needs.

Learners who turned predictive support off are never read (``RiskOptOut``): no features are
computed for them, in training or for flags.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from lxp.accounts.models import User, UserRole
from lxp.coaching.models import CoachingMessage, CoachingThread, HelpRequest
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage
from lxp.paths.models import Journey
from lxp.risk.features import Event, History, Plan, Touchpoint
from lxp.risk.models import RiskOptOut

LOOKBACK = timedelta(weeks=36)  # 26 weekly cut-offs, plus the 8 weeks before the oldest


def learner_ids(organisation_id: int) -> list[int]:
    """The organisation's active learners who have not turned predictive support off."""
    return list(db.session.execute(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation_id, User.active.is_(True), UserRole.role == "learner",
               User.id.not_in(select(RiskOptOut.user_id)))
        .order_by(User.id)
    ).scalars())  # fmt: skip


def _event(row: LearningEvent) -> Event:
    result = row.result or {}
    extensions = result.get("extensions") or {}
    return Event(row.verb, row.object_type, row.object_id, row.occurred_at, success=result.get("success"),
                 mood=extensions.get("mood"), effort=extensions.get("effort"))  # fmt: skip


def histories(ids: list[int], now: datetime) -> list[History]:
    """The histories of ``ids`` over the last ``LOOKBACK``, in the order of ``ids``."""
    if not ids:
        return []
    since = now - LOOKBACK
    events, touchpoints, contacts = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in db.session.execute(
        select(LearningEvent).where(LearningEvent.actor_id.in_(ids), LearningEvent.occurred_at >= since)
    ).scalars():
        events[row.actor_id].append(_event(row))
    for user_id, sent, opened in db.session.execute(
        select(OutboxMessage.user_id, OutboxMessage.sent_at, OutboxMessage.opened_at).where(
            OutboxMessage.user_id.in_(ids), OutboxMessage.sent_at >= since
        )
    ):
        touchpoints[user_id].append(Touchpoint(sent, opened))
    for learner_id, at in db.session.execute(
        select(CoachingThread.learner_id, CoachingMessage.created_at)
        .join(CoachingMessage, CoachingMessage.thread_id == CoachingThread.id)
        .where(CoachingThread.learner_id.in_(ids), CoachingMessage.author_id != CoachingThread.learner_id,
               CoachingMessage.created_at >= since)
    ):  # fmt: skip
        contacts[learner_id].append(at)
    for learner_id, at in db.session.execute(
        select(HelpRequest.learner_id, HelpRequest.answered_at).where(
            HelpRequest.learner_id.in_(ids), HelpRequest.answered_at >= since
        )
    ):
        contacts[learner_id].append(at)
    zones = dict(db.session.execute(select(User.id, User.timezone).where(User.id.in_(ids))).all())
    plans, titles = {}, defaultdict(dict)
    for journey in db.session.execute(
        select(Journey).where(Journey.learner_id.in_(ids)).order_by(Journey.created_at)
    ).scalars():
        steps = (journey.plan or {}).get("steps", ())
        required = [s for s in steps if not s.get("optional")]
        plans[journey.learner_id] = Plan(journey.start_date, journey.target_date, len(required))
        titles[journey.learner_id].update({s["ref"]: s["title"] for s in steps if "ref" in s and "title" in s})
    return [
        History(
            i,
            tuple(events[i]),
            zones.get(i) or "UTC",
            plans.get(i),
            tuple(touchpoints[i]),
            tuple(contacts[i]),
            titles[i],
        )  # fmt: skip
        for i in ids
    ]
