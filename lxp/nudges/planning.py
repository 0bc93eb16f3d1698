"""Planning: find, set-wise in SQL, who each touchpoint rule applies to now, and add one
outbox row per new occurrence, written in the learner's language with why it was sent.

The unique ``(user, rule, occurrence)`` makes a second run, or a second scheduler process,
harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lxp.accounts.models import User, UserRole
from lxp.channels import path_for
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage
from lxp.nudges.rules import DEFAULT_RULES, Rule

LEARNING_VERBS = ("completed", "passed", "failed", "attended", "answered", "attempted", "launched")


@dataclass(frozen=True)
class Occurrence:
    user_id: int
    key: str
    due_at: datetime
    values: dict


# --- planning ------------------------------------------------------------------------------


def _learners():
    return select(UserRole.user_id).where(UserRole.role == "learner")


def _before_session(rule: Rule, now: datetime) -> list[Occurrence]:
    from lxp.authoring.models import Item
    from lxp.live.models import LiveSession, Registration

    rows = db.session.execute(
        select(Registration.learner_id, LiveSession.id, LiveSession.starts_at, Item.title)
        .join(LiveSession, LiveSession.id == Registration.session_id)
        .join(Item, Item.id == LiveSession.item_id)
        .where(Registration.status == "registered", LiveSession.status == "scheduled",
               LiveSession.starts_at > now, LiveSession.starts_at <= now + timedelta(hours=rule.hours))
    ).all()  # fmt: skip
    return [
        Occurrence(learner_id, f"session:{session_id}:{int(starts_at.timestamp())}",
                   max(now, starts_at - timedelta(hours=rule.hours)),
                   {"title": title, "starts_at": starts_at, "link": path_for("live.session", session_id=session_id)})
        for learner_id, session_id, starts_at, title in rows
    ]  # fmt: skip


def _inactivity(rule: Rule, now: datetime) -> list[Occurrence]:
    from lxp.paths.models import Journey

    last = (
        select(LearningEvent.actor_id, func.max(LearningEvent.occurred_at).label("last"))
        .where(LearningEvent.verb.in_(LEARNING_VERBS))
        .group_by(LearningEvent.actor_id)
        .subquery()
    )
    since = func.coalesce(last.c.last, Journey.created_at)
    rows = db.session.execute(
        select(Journey.learner_id, since)
        .outerjoin(last, last.c.actor_id == Journey.learner_id)
        .where(Journey.status == "active", Journey.learner_id.in_(_learners()),
               since < now - timedelta(days=rule.days))
    ).all()  # fmt: skip
    return [
        Occurrence(learner_id, f"silence-since:{quiet_since.date().isoformat()}", now,
                   {"days": (now - quiet_since).days, "link": path_for("learning.today")})
        for learner_id, quiet_since in rows
    ]  # fmt: skip


def _after_event(rule: Rule, now: datetime) -> list[Occurrence]:
    passed = aliased(LearningEvent)  # a later pass of the same check: no nudge needed
    later = (
        select(passed.id)
        .where(passed.actor_id == LearningEvent.actor_id, passed.object_id == LearningEvent.object_id,
               passed.object_type == LearningEvent.object_type, passed.verb == "passed",
               passed.occurred_at > LearningEvent.occurred_at)
        .exists()
    )  # fmt: skip
    rows = db.session.execute(
        select(LearningEvent.actor_id, LearningEvent.id, LearningEvent.object_id, LearningEvent.occurred_at,
               LearningEvent.context)
        .where(LearningEvent.verb == rule.verb, LearningEvent.object_type == rule.object_type,
               LearningEvent.occurred_at <= now - timedelta(hours=rule.delay_hours),
               LearningEvent.occurred_at > now - timedelta(hours=rule.delay_hours + rule.expires_hours),
               LearningEvent.actor_id.in_(_learners()), ~later)
    ).all()  # fmt: skip
    # A coach's review ("needs another try") has told the learner already, in the coach's words.
    rows = [row[:4] for row in rows if "reviewer" not in (row[4] or {})]
    titles = _titles({ref for *_rest, ref, _when in rows})
    return [
        Occurrence(actor_id, f"event:{event_id}", occurred + timedelta(hours=rule.delay_hours),
                   {"title": titles.get(ref, ""), "link": path_for("learning.block", ref=ref)})
        for actor_id, event_id, ref, occurred in rows
    ]  # fmt: skip


def _milestone(rule: Rule, now: datetime) -> list[Occurrence]:
    rows = db.session.execute(
        select(LearningEvent.actor_id, func.min(LearningEvent.occurred_at))
        .where(LearningEvent.verb.in_(("completed", "passed", "attended")), LearningEvent.object_type == "item",
               LearningEvent.actor_id.in_(_learners()))
        .group_by(LearningEvent.actor_id)
        .having(func.min(LearningEvent.occurred_at) > now - timedelta(hours=rule.expires_hours))
    ).all()  # fmt: skip
    return [Occurrence(actor_id, "first-step", max(first, now), {"link": path_for("learning.path")})
            for actor_id, first in rows]  # fmt: skip


TRIGGERS = {"before_session": _before_session, "inactivity": _inactivity, "after_event": _after_event,
            "milestone": _milestone}  # fmt: skip


def _titles(refs: set[str]) -> dict[str, str]:
    """Item ref -> title (of the newest version that has it)."""
    from lxp.authoring.models import CourseVersion, Item

    found = {}
    for ref in refs:
        course_id, _, key = ref.partition(":")
        if not course_id.isdigit():
            continue
        title = db.session.execute(
            select(Item.title).join(CourseVersion, CourseVersion.id == Item.version_id)
            .where(CourseVersion.course_id == int(course_id), Item.key == key)
            .order_by(CourseVersion.number.desc()).limit(1)
        ).scalar_one_or_none()  # fmt: skip
        if title:
            found[ref] = title
    return found


def _texts(rule: Rule, user: User, values: dict) -> tuple[str, str, str]:
    """Subject, body and why of a rule's message, in the learner's language."""
    when = _local(values["starts_at"], user) if values.get("starts_at") is not None else ""
    texts = {
        "session_tomorrow": (_l("Tomorrow: %(title)s", title=values.get("title", "")),
                             _l("Your live session starts %(when)s.", when=when),
                             _l("You registered for \u201c%(title)s\u201d on %(when)s.", title=values.get("title", ""), when=when)),
        "session_soon": (_l("In an hour: %(title)s", title=values.get("title", "")),
                         _l("Your live session starts %(when)s.", when=when),
                         _l("You registered for \u201c%(title)s\u201d on %(when)s.", title=values.get("title", ""), when=when)),
        "inactive": (_l("Five minutes for your path?"),
                     _l("Your next step is waiting, and it is short. Pick up where you left off."),
                     _ln("You have not opened your path for %(num)d day.", "You have not opened your path for %(num)d days.",
                         values.get("days", 0))),
        "failed_check": (_l("Another look at \u201c%(title)s\u201d", title=values.get("title", "")),
                         _l("Your path has a short step to go over it again, then you can try the check once more."),
                         _l("Your check \u201c%(title)s\u201d did not pass yet.", title=values.get("title", ""))),
        "first_step": (_l("Your first step is done"),
                       _l("That is how a path is walked: one short step at a time."),
                       _l("You finished the first step of your path.")),
    }  # fmt: skip
    subject, body, why = texts[rule.key]
    return str(subject), str(body), str(why)


def _local(moment: datetime, user: User) -> str:
    from lxp.live.timezones import format_in_zone

    return format_in_zone(moment, user.timezone or "UTC", user.locale or current_app.config["DEFAULT_LOCALE"], "short")


def _plan_one(rule: Rule, user: User, occurrence: Occurrence) -> bool:
    exists = db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.user_id == user.id, OutboxMessage.rule == rule.key,
                                       OutboxMessage.occurrence == occurrence.key)
    ).first()  # fmt: skip
    if exists:
        return False
    with force_locale(user.locale or current_app.config["DEFAULT_LOCALE"]):
        subject, body, why = _texts(rule, user, occurrence.values)
    row = OutboxMessage(user_id=user.id, rule=rule.key, occurrence=occurrence.key, category=rule.category,
                        asked_for=rule.asked_for, subject=subject[:200], body=body, link=occurrence.values.get("link"),
                        why=why[:300], due_at=occurrence.due_at,
                        expires_at=occurrence.due_at + timedelta(hours=rule.expires_hours))  # fmt: skip
    try:
        with db.session.begin_nested():  # another scheduler may have planned it a moment ago
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def plan_touchpoints(now: datetime | None = None) -> int:
    """Add the messages that fell due since the last run to the outbox; returns how many."""
    now = now or utcnow()
    planned = 0
    for rule in DEFAULT_RULES:
        occurrences = TRIGGERS[rule.trigger](rule, now)
        users = {u.id: u for u in db.session.execute(
            select(User).where(User.id.in_({o.user_id for o in occurrences}), User.active)).scalars()}  # fmt: skip
        for occurrence in occurrences:
            if occurrence.user_id in users:
                planned += _plan_one(rule, users[occurrence.user_id], occurrence)
    db.session.commit()
    return planned
