"""Learner histories read from the database, in the shape ``lxp.risk.features`` needs.

Learners who turned predictive support off are never read (``RiskOptOut``): no features are
computed for them, in training or for flags.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, select

from lxp import channels
from lxp.accounts.models import User, UserRole
from lxp.coaching.models import CoachingMessage, CoachingThread, HelpRequest
from lxp.events import LearningEvent, fill_completions
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage
from lxp.paths.models import Journey
from lxp.risk.features import Event, History, Plan, Touchpoint
from lxp.risk.models import RiskOptOut

LOOKBACK = timedelta(weeks=36)  # 26 weekly cut-offs, plus the 8 weeks before the oldest
BATCH = 50  # learners whose histories ``each_history`` reads and holds at once


def learner_ids(organisation_id: int) -> list[int]:
    """The organisation's active learners who have not turned predictive support off."""
    return list(db.session.execute(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation_id, User.active.is_(True), UserRole.role == "learner",
               User.id.not_in(select(RiskOptOut.user_id)))
        .order_by(User.id)
    ).scalars())  # fmt: skip


def _event(row) -> Event:
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
    # Columns, not entities: each row becomes plain values at once, nothing for the session to track.
    # Each part oldest first, so a learner's history is the same however many learners share the read.
    for row in db.session.execute(
        select(LearningEvent.actor_id, LearningEvent.verb, LearningEvent.object_type, LearningEvent.object_id,
               LearningEvent.occurred_at, LearningEvent.result)
        .where(LearningEvent.actor_id.in_(ids), LearningEvent.occurred_at >= since)
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    ):  # fmt: skip
        events[row.actor_id].append(_event(row))
    for user_id, sent, opened in db.session.execute(
        select(OutboxMessage.user_id, OutboxMessage.sent_at, OutboxMessage.opened_at)
        .where(OutboxMessage.user_id.in_(ids), OutboxMessage.sent_at >= since)
        .order_by(OutboxMessage.sent_at, OutboxMessage.id)
    ):  # fmt: skip
        touchpoints[user_id].append(Touchpoint(sent, opened))
    for learner_id, at in db.session.execute(
        select(CoachingThread.learner_id, CoachingMessage.created_at)
        .join(CoachingMessage, CoachingMessage.thread_id == CoachingThread.id)
        .where(CoachingThread.learner_id.in_(ids), CoachingMessage.author_id != CoachingThread.learner_id,
               CoachingMessage.created_at >= since)
        .order_by(CoachingMessage.created_at, CoachingMessage.id)
    ):  # fmt: skip
        contacts[learner_id].append(at)
    for learner_id, at in db.session.execute(
        select(HelpRequest.learner_id, HelpRequest.answered_at)
        .where(HelpRequest.learner_id.in_(ids), HelpRequest.answered_at >= since)
        .order_by(HelpRequest.answered_at, HelpRequest.id)
    ):  # fmt: skip
        contacts[learner_id].append(at)
    zones = dict(db.session.execute(select(User.id, User.timezone).where(User.id.in_(ids))).all())
    plans, titles = {}, defaultdict(dict)
    # Each plan as text, parsed one by one: the driver would parse the batch's plans all at once.
    for journey in db.session.execute(
        select(Journey.learner_id, Journey.start_date, Journey.target_date, cast(Journey.plan, Text).label("plan"))
        .where(Journey.learner_id.in_(ids)).order_by(Journey.created_at)
    ):  # fmt: skip
        plan = json.loads(journey.plan) if journey.plan is not None else None
        steps = (plan or {}).get("steps", ())
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


def each_history(ids: list[int], now: datetime) -> Iterator[History]:
    """``histories(ids, now)`` one by one, read ``BATCH`` learners at a time: an organisation's
    histories all at once (36 weeks of events and every plan) raised the long-lived scheduler's
    high-water mark in step with the number of learners, and it kept most of it (issue 20)."""
    for start in range(0, len(ids), BATCH):
        yield from histories(ids[start : start + BATCH], now)


def store(
    organisation_id: int,
    generated: list[History],
    *,
    email: str = "quiet-{n:05d}@{org}.example",
    course_id: int | None = None,
    timing: bool = False,
) -> list[int]:
    """Store generated histories (``lxp.risk.population``) as learners with their events and
    touchpoints (of ``course_id``'s "inactive" rule; with ``timing``, split into the adaptive and
    the fixed-time group as ``policy.fixed_time`` splits them), in the caller's transaction;
    returns the new learners' ids in order. For the demo and the tests: bulk inserts of the rows
    ``events.record`` and the outbox write."""
    import uuid

    from sqlalchemy import func, insert

    from lxp.accounts.models import Organisation
    from lxp.nudges.policy import fixed_time

    slug = db.session.get(Organisation, organisation_id).slug
    taken = db.session.scalar(select(func.count()).select_from(User).where(User.organisation_id == organisation_id))
    addresses = [email.format(n=taken + n, org=slug) for n in range(len(generated))]
    people = [dict(organisation_id=organisation_id, email=address, display_name=f"Learner {taken + n}",
                   password_hash=None, locale="en", timezone=h.timezone, active=True, auth_version=1)
              for n, (address, h) in enumerate(zip(addresses, generated, strict=True))]  # fmt: skip
    db.session.execute(insert(User), people)
    by_email = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(addresses))).all())
    ids = [by_email[address] for address in addresses]
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    rows, messages = [], []
    inbox = channels.inbox()  # the histories' nudges were read in the app
    for learner, h in zip(ids, generated, strict=True):
        for n, e in enumerate(h.events):
            result = {"success": e.success} if e.success is not None else {}
            if e.mood is not None:
                result["extensions"] = {"mood": e.mood, "effort": e.effort}
            rows.append({"id": uuid.uuid5(uuid.NAMESPACE_URL, f"lxp-risk:{learner}:{n}"), "actor_id": learner,
                         "verb": e.verb, "object_type": e.object_type, "object_id": e.object_id,
                         "result": result or None, "context": None, "occurred_at": e.at, "recorded_at": e.at})  # fmt: skip
        for n, t in enumerate(h.touchpoints):
            messages.append({"user_id": learner, "rule": "inactive", "occurrence": f"risk-{n}", "category": "nudge",
                             "asked_for": False, "subject": "Your next step is waiting", "body": "",
                             "why": "Nothing from you for a while.", "due_at": t.sent_at, "status": "sent",
                             "channel": inbox, "attempts": 1, "created_at": t.sent_at, "sent_at": t.sent_at,
                             "opened_at": t.opened_at, "opened_via": inbox if t.opened_at else None,
                             "course_id": course_id,
                             "timing": ("fixed" if fixed_time(learner * 1000 + n) else "adaptive") if timing else None})  # fmt: skip
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(LearningEvent), rows[start : start + 5000])
    if messages:
        db.session.execute(insert(OutboxMessage), messages)
    db.session.flush()
    fill_completions(sorted({row["actor_id"] for row in rows}))
    return ids
