"""The outbox and the learner's notification preferences."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

OUTBOX_STATUSES = ("pending", "sent", "folded", "dropped", "skipped", "failed")


class OutboxMessage(db.Model):
    """One planned touchpoint for one learner. ``(user, rule, occurrence)`` is unique, so a
    second planning run, or a second scheduler process, cannot plan it twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("user_id", "rule", "occurrence", name="uq_outbox_messages_occurrence"),
        CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="known_status"),
        Index("ix_outbox_messages_due", "status", "due_at"),
        Index("ix_outbox_messages_user_sent", "user_id", "sent_at"),
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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
