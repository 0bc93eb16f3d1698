"""Touchpoints: plan due messages into the outbox, deliver them under the learner's control.

``plan_touchpoints(now)`` runs every rule set-wise (one query per rule) and adds a row per
new occurrence; the unique ``(user, rule, occurrence)`` makes a second run, or a second
scheduler process, harmless. Each row is written in the learner's language, with why it was
sent. ``deliver_outbox(now)`` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
asks ``policy.decide`` and sends, holds, folds, drops or skips each one; the inbox always
gets a sent message, e-mail (with a one-click unsubscribe) when the learner's channels say so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lxp.accounts.models import User, UserRole
from lxp.channels import DeliveryFailed, in_app, path_for
from lxp.channels import email as email_channel
from lxp.core.time import utcnow
from lxp.core.unit_of_work import after_commit
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges import policy
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from lxp.nudges.rules import DEFAULT_RULES, RULES_BY_KEY, Rule

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


# --- the learner's control -------------------------------------------------------------------


def preferences_of(user: User) -> policy.Preferences:
    row = db.session.get(NotificationPreferences, user.id)
    if row is None:
        return policy.Preferences(timezone=user.timezone or "UTC")
    return policy.Preferences(
        timezone=user.timezone or "UTC", off=frozenset(row.off or ()),
        channels={k: tuple(v) for k, v in (row.channels or {}).items()}, quiet_start=row.quiet_start,
        quiet_end=row.quiet_end, weekly_cap=row.weekly_cap, paused_until=row.paused_until,
        muted_rules=frozenset(row.muted_rules or ()),
    )  # fmt: skip


def _row_for(user: User) -> NotificationPreferences:
    row = db.session.get(NotificationPreferences, user.id)
    if row is None:
        defaults = policy.Preferences()
        row = NotificationPreferences(user_id=user.id, off=[], channels={}, quiet_start=defaults.quiet_start,
                                      quiet_end=defaults.quiet_end, weekly_cap=defaults.weekly_cap, muted_rules=[])  # fmt: skip
        db.session.add(row)
    return row


def mute_rule(user: User, rule_key: str) -> None:
    """ "Fewer like this": the learner gets no more messages of this rule (they can undo it on
    their notifications page). Raises ``KeyError`` for an unknown rule."""
    RULES_BY_KEY[rule_key]
    row = _row_for(user)
    row.muted_rules = sorted({*(row.muted_rules or ()), rule_key})
    row.updated_at = utcnow()
    db.session.commit()


# --- one-click unsubscribe -------------------------------------------------------------------


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp-unsubscribe")


def unsubscribe_token(user: User, category: str) -> str:
    return _unsubscribe_serializer().dumps({"u": user.id, "c": category})


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The person and category a link was made for, or None when it is not genuine."""
    try:
        payload = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    user = db.session.get(User, payload.get("u")) if isinstance(payload, dict) else None
    category = payload.get("c") if isinstance(payload, dict) else None
    if user is None or category not in policy.CATEGORIES:
        return None
    return user, category


def stop_email(user: User, category: str) -> None:
    """No more e-mail of this category (the inbox keeps them). Idempotent."""
    row = _row_for(user)
    current = list((row.channels or {}).get(category) or policy.Preferences().channels_for(category))
    row.channels = {**(row.channels or {}), category: [c for c in current if c != "email"] or ["in_app"]}
    row.updated_at = utcnow()
    db.session.commit()


# --- delivery ------------------------------------------------------------------------------


def _last_activity(user_id: int) -> datetime | None:
    return db.session.scalar(
        select(func.max(LearningEvent.occurred_at)).where(
            LearningEvent.actor_id == user_id, LearningEvent.verb.in_(LEARNING_VERBS)
        )
    )


def _sent_this_week(user_id: int, since: datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.user_id == user_id, OutboxMessage.status == "sent", OutboxMessage.sent_at >= since,
            OutboxMessage.category != "celebration", OutboxMessage.asked_for.is_(False))
    )  # fmt: skip


def _available_channels(user: User) -> frozenset[str]:
    from lxp.push.services import has_subscriptions

    found = {"in_app"}
    if user.email:
        found.add("email")
    if has_subscriptions(user.id):
        found.add("webpush")
    return frozenset(found)


def _send(message: OutboxMessage, channel: str) -> None:
    user = message.user
    in_app.post(in_app.InAppNote(user_id=user.id, category=message.category, subject=message.subject,
                                 body=message.body, link=message.link, why=message.why,
                                 key=f"nudge:{message.rule}:{message.occurrence}"))  # fmt: skip
    if channel == "email":
        link = email_channel.external_url("nudges.unsubscribe", token=unsubscribe_token(user, message.category))
        with force_locale(user.locale or current_app.config["DEFAULT_LOCALE"]):
            mail = email_channel.render("touchpoint", to=user.email, name=user.display_name, headline=message.subject,
                                        body=message.body, why=message.why, unsubscribe=link,
                                        open_link=current_app.config["BASE_URL"].rstrip("/") + (message.link or "/"))  # fmt: skip
        mail = replace(mail, headers={**mail.headers, "List-Unsubscribe": f"<{link}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})  # fmt: skip
        after_commit(db.session, lambda: email_channel.send(mail))
    elif channel == "webpush":
        from lxp.channels.webpush import PushNote, WebPushChannel

        try:
            WebPushChannel().send(PushNote(user_id=user.id, title=message.subject, body=message.body,
                                           link=message.link, tag=f"{message.rule}:{message.occurrence}"[:32]))  # fmt: skip
        except DeliveryFailed as failure:  # the inbox has it; push is only the nudge to look
            message.last_error = str(failure)[:300]


def deliver_outbox(now: datetime | None = None, limit: int = 200) -> int:
    """Deliver the due messages (claimed, so two schedulers never send one twice); returns how
    many were sent."""
    now = now or utcnow()
    due = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()  # fmt: skip
    sent = 0
    for message in due:
        if message.expires_at is not None and message.expires_at < now:
            message.status, message.outcome = "dropped", "expired"
            continue
        preferences = preferences_of(message.user)
        rule = RULES_BY_KEY.get(message.rule)
        situation = policy.Situation(
            now=now, last_activity=_last_activity(message.user_id),
            sent_this_week=_sent_this_week(message.user_id, policy.week_start(now, preferences.timezone)),
            available_channels=_available_channels(message.user),
        )  # fmt: skip
        candidate = policy.Candidate(message.rule, message.category, message.asked_for,
                                     rule.digestible if rule else True)  # fmt: skip
        decision = policy.decide(candidate, preferences, situation)
        message.attempts += 1
        if decision.action == "send":
            _send(message, decision.channel)
            message.status, message.channel, message.sent_at = "sent", decision.channel, now
            sent += 1
        elif decision.action == "hold":
            message.due_at, message.outcome = decision.until, decision.reason
        else:
            message.status = {"fold": "folded", "drop": "dropped", "skip": "skipped"}[decision.action]
            message.outcome = decision.reason
    db.session.commit()
    return sent


def save_preferences(user: User, on: dict[str, bool], email: dict[str, bool], quiet_start, quiet_end,
                     weekly_cap: int, pause: str = "", now: datetime | None = None) -> None:  # fmt: skip
    """Save the learner's choices. ``pause``: "" keeps the pause as it is, a number of days
    pauses from now, "off" ends it. Raises ``Invalid`` (quiet hours with one end only, a cap
    outside 0..30)."""
    from lxp.core.errors import Invalid

    now = now or utcnow()
    if (quiet_start is None) != (quiet_end is None):
        raise Invalid(_l("Give both ends of your quiet hours, or neither."), field="quiet_end")
    if not 0 <= weekly_cap <= 30:
        raise Invalid(_l("Choose between 0 and 30 messages a week."), field="weekly_cap")
    row = _row_for(user)
    row.off = sorted(c for c in policy.CATEGORIES if not on.get(c, True))
    row.channels = {c: ["in_app", "email"] if email.get(c) else ["in_app"] for c in policy.CATEGORIES}
    row.quiet_start, row.quiet_end, row.weekly_cap = quiet_start, quiet_end, weekly_cap
    if pause == "off":
        row.paused_until = None
    elif pause.isdigit():
        row.paused_until = now + timedelta(days=int(pause))
    row.updated_at = now
    db.session.commit()


def unmute_rule(user: User, rule_key: str) -> None:
    """Undo "fewer like this" for a rule."""
    row = _row_for(user)
    row.muted_rules = [r for r in row.muted_rules or () if r != rule_key]
    row.updated_at = utcnow()
    db.session.commit()


def rule_of_message(key: str | None) -> str | None:
    """The rule an inbox message came from (its key is ``nudge:<rule>:<occurrence>``)."""
    if not key or not key.startswith("nudge:"):
        return None
    rule = key.split(":", 2)[1]
    return rule if rule in RULES_BY_KEY else None
