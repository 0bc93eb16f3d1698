"""Delivery: claim due outbox rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), ask
``policy.decide``, and send, hold, fold, drop or skip each one. The inbox always gets a sent
message; e-mail (with a one-click unsubscribe) and Web Push when the learner's channels say so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.channels import DeliveryFailed, in_app
from lxp.channels import email as email_channel
from lxp.core.time import utcnow
from lxp.core.unit_of_work import after_commit
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges import effect, policy
from lxp.nudges.models import OutboxMessage
from lxp.nudges.planning import LEARNING_VERBS
from lxp.nudges.preferences import preferences_of, unsubscribe_token
from lxp.nudges.rules import RULES_BY_KEY

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
                                        open_link=effect.tracked_link(message, "email"))  # fmt: skip
        mail = replace(mail, headers={**mail.headers, "List-Unsubscribe": f"<{link}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})  # fmt: skip
        after_commit(db.session, lambda: email_channel.send(mail))
    elif channel == "webpush":
        from lxp.channels.webpush import PushNote, WebPushChannel

        try:
            WebPushChannel().send(PushNote(user_id=user.id, title=message.subject, body=message.body,
                                           link=effect.tracked_link(message, "webpush"),
                                           tag=f"{message.rule}:{message.occurrence}"[:32]))  # fmt: skip
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
