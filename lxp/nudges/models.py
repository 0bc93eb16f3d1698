"""The outbox and the learner's notification preferences."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

# sending: claimed by a delivery run until ``claimed_until`` (a run that dies leaves it to the next);
# held_out: the rule's holdout group, never sent, kept to measure what the message changes.
OUTBOX_STATUSES = ("pending", "sending", "sent", "folded", "dropped", "skipped", "failed", "held_out")


class OutboxMessage(db.Model):
    """One planned touchpoint for one learner. ``(user, rule, occurrence)`` is unique, so a
    second planning run, or a second scheduler process, cannot plan it twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("user_id", "rule", "occurrence", name="uq_outbox_messages_occurrence"),
        CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="known_status"),
        Index("ix_outbox_messages_due", "status", "due_at"),
        Index("ix_outbox_messages_user_sent", "user_id", "sent_at"),
        Index("ix_outbox_messages_rule_sent", "rule", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(64))
    occurrence: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(16))
    asked_for: Mapped[bool] = mapped_column(default=False)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    why: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # not worth sending after this
    status: Mapped[str] = mapped_column(String(16), default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))  # why held, folded, dropped or skipped
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_via: Mapped[str | None] = mapped_column(String(16))  # the channel it was opened through
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "fewer like this" or unsubscribe
    # adaptive: sent at the learner's own hour; fixed: an adaptive rule's comparison group; None: not adaptive
    timing: Mapped[str | None] = mapped_column(String(8))
    digested_in_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"))

    user = relationship("User")


class NotificationPreferences(db.Model):
    """A learner's choices; no row means the defaults of ``policy.Preferences``."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    off: Mapped[list] = mapped_column(JSON, default=list)  # categories switched off
    channels: Mapped[dict] = mapped_column(JSON, default=dict)  # category -> [channel, ...]
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    weekly_cap: Mapped[int] = mapped_column(default=5)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    muted_rules: Mapped[list] = mapped_column(JSON, default=list)
    auto_paused_rules: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # ignored too often
    digest_weekday: Mapped[int] = mapped_column(default=0, server_default="0")  # Monday
    digest_hour: Mapped[int] = mapped_column(default=9, server_default="9")  # in the learner's zone
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TouchpointRule(db.Model):
    """An admin's version of one touchpoint rule for one course. Without a row the rule's
    defaults apply (``rules.DEFAULT_RULES``); ``params`` overrides the rule's numbers,
    ``templates`` holds ``{locale: {"subject": …, "body": …}}`` with ``{variables}``."""

    __tablename__ = "touchpoint_rules"
    __table_args__ = (
        UniqueConstraint("course_id", "key", name="uq_touchpoint_rules_course_key"),
        CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="holdout_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(default=50)
    channels: Mapped[list] = mapped_column(JSON, default=list)
    templates: Mapped[dict] = mapped_column(JSON, default=dict)
    holdout_percent: Mapped[int] = mapped_column(default=0)
    adaptive_time: Mapped[bool] = mapped_column(default=False, server_default="0")  # at the learner's own hour
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Why this rule failed at its last planning run (None: it did not); cleared by a run that succeeds.
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewCard(db.Model):
    """Spaced review of one quiz question for one learner: the fsrs card and when it is due."""

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("user_id", "question", name="uq_review_cards_user_question"),
        Index("ix_review_cards_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(200))  # "<course>:<item ref>/<question key>"
    card: Mapped[dict] = mapped_column(JSON)  # fsrs.Card.to_dict()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrganisationRhythm(db.Model):
    """When an organisation's learners learn: their learning events of the last weeks per hour
    of the week, each counted in the learner's own zone. Recomputed weekly by the scheduler
    (``lxp.nudges.rhythm.refresh``); adaptive timing leans on it where a learner's own rhythm
    is thin (``lxp.nudges.policy.learner_time``)."""

    __tablename__ = "organisation_rhythms"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hours: Mapped[list] = mapped_column(JSON, default=list)  # 168 counts, Monday 00:00 first
    learners: Mapped[int] = mapped_column(default=0)  # how many learners it was learnt from
