"""Live sessions: dated occurrences of a live-session item, their registrations and the
private calendar feeds that carry them.

A session belongs to an item by its stable ref (course id and item key), so it stays on the
paths of learners who are on older or newer versions of the course. Times are stored in UTC
with the IANA zone the trainer scheduled in; ``sequence`` is the iCalendar SEQUENCE and goes
up with every change a calendar must follow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

SESSION_STATUSES = ("scheduled", "cancelled")
# registered: holds a seat; offered: a seat kept for them until ``offer_expires_at`` (claim
# window); waitlisted: waiting in ``queued_at`` order; cancelled: by the learner; expired: an
# offer not claimed in time.
REGISTRATION_STATUSES = ("registered", "offered", "waitlisted", "cancelled", "expired")
SEAT_HOLDING = ("registered", "offered")
ATTENDANCE = ("present", "late", "absent", "excused")

live_session_trainers = Table(
    "live_session_trainers",
    db.metadata,
    Column("session_id", ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class LiveSession(db.Model):
    """One date of a live-session item: when, where, how many, who teaches."""

    __tablename__ = "live_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SESSION_STATUSES!r}", name="known_status"),
        CheckConstraint("capacity > 0", name="positive_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("claim_hours IS NULL OR claim_hours > 0", name="positive_claim_hours"),
        Index("ix_live_sessions_item_start", "course_id", "item_key", "starts_at"),
        Index("ix_live_sessions_org_start", "organisation_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    item_key: Mapped[str] = mapped_column(String(36))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))  # the published version it was scheduled from
    series_id: Mapped[str | None] = mapped_column(String(32), index=True)  # shared by dates scheduled together
    # Only this cohort's members see it and may register (None: everyone whose path has the item)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column()
    registration_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_hours: Mapped[int | None] = mapped_column()  # None: the first waiting person is promoted at once
    sequence: Mapped[int] = mapped_column(default=0)
    # The last edit registrants have not been told about yet (see ``send_pending_session_updates``).
    update_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item = relationship("Item")
    cohort = relationship("Cohort")
    trainers = relationship("User", secondary=live_session_trainers, order_by="User.display_name")
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Registration.queued_at"
    )

    @property
    def ref(self) -> str:
        return f"{self.course_id}:{self.item_key}"

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


class Registration(db.Model):
    """A learner's place on a session: a seat, an offer of one, or a place in the queue."""

    __tablename__ = "live_registrations"
    __table_args__ = (
        UniqueConstraint("session_id", "learner_id"),
        CheckConstraint(f"status IN {REGISTRATION_STATUSES!r}", name="known_status"),
        CheckConstraint(f"attendance IS NULL OR attendance IN {ATTENDANCE!r}", name="known_attendance"),
        Index("ix_live_registrations_session_status", "session_id", "status"),
        Index("ix_live_registrations_learner_status", "learner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # waitlist order
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[str | None] = mapped_column(String(16))
    attendance_event_id: Mapped[str | None] = mapped_column(String(36))  # voided when the mark changes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[LiveSession] = relationship(back_populates="registrations")
    learner = relationship("User")


class CalendarFeed(db.Model):
    """A person's private calendar address: only the SHA-256 of its secret token is stored."""

    __tablename__ = "live_calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
