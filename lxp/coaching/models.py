"""Coaches and help requests ("I'm stuck").

Every learner can have a coach (a trainer of the same organisation). A help request goes to
that coach; when the learner has none yet it waits in the organisation's trainers' shared
queue until a trainer takes it. The request keeps a snapshot of where the learner was (the
step, their place on the path, their last quiz answers) so the coach need not ask.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

HELP_STATUSES = ("open", "answered", "resolved")


class CoachAssignment(db.Model):
    """Who coaches a learner. One row per learner; changing the coach updates it."""

    __tablename__ = "coach_assignments"

    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    learner = relationship("User", foreign_keys=[learner_id])
    coach = relationship("User", foreign_keys=[coach_id])


class HelpRequest(db.Model):
    """A learner said they are stuck on a step; ``assignee`` answers it (None: any trainer)."""

    __tablename__ = "help_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {HELP_STATUSES!r}", name="known_status"),
        CheckConstraint("helped IS NULL OR status = 'resolved'", name="feedback_after_resolution"),
        Index("ix_help_requests_learner_status", "learner_id", "status"),
        Index("ix_help_requests_organisation_status", "organisation_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    item_ref: Mapped[str] = mapped_column(String(64))  # "<course id>:<item key>"
    item_title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    # {"position": int, "steps": int, "answers": [{"prompt", "chosen": [text], "correct"}]}
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str | None] = mapped_column(Text)  # Markdown, rendered sanitised
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    helped: Mapped[bool | None] = mapped_column()  # the learner's one-tap answer after resolution
    mood: Mapped[int | None] = mapped_column()  # 1..5, how it felt

    learner = relationship("User", foreign_keys=[learner_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])


class CoachingThread(db.Model):
    """A conversation between a learner and whoever coaches them: one general thread per
    journey, and one per item the learner wants to talk about. Who the coach is is decided
    when it is read (``services.coach_of``), so a new coach inherits the conversations."""

    __tablename__ = "coaching_threads"
    __table_args__ = (Index("ix_coaching_threads_learner", "learner_id", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journeys.id", ondelete="SET NULL"))
    item_ref: Mapped[str | None] = mapped_column(String(64))  # None: the journey's general thread
    item_title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    learner = relationship("User", foreign_keys=[learner_id])
    messages: Mapped[list[CoachingMessage]] = relationship(
        back_populates="thread", order_by="CoachingMessage.created_at, CoachingMessage.id"
    )


class CoachingMessage(db.Model):
    """One message, in Markdown (rendered sanitised). A learner may say of a coach's message
    whether it helped and how it felt."""

    __tablename__ = "coaching_messages"
    __table_args__ = (Index("ix_coaching_messages_thread_time", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("coaching_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    helped: Mapped[bool | None] = mapped_column()
    mood: Mapped[int | None] = mapped_column()

    thread: Mapped[CoachingThread] = relationship(back_populates="messages")
    author = relationship("User")


class ThreadReadMark(db.Model):
    """Up to when a person has read a thread."""

    __tablename__ = "coaching_read_marks"

    thread_id: Mapped[int] = mapped_column(ForeignKey("coaching_threads.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


FEEDBACK_RATINGS = (1, 2, 3, 4)  # not yet, getting there, can do it, does it well
SHOWN_AT = 3  # a rating from here on counts as the competency shown


class CoachFeedback(db.Model):
    """A coach's structured feedback on one competency of a learner: evidence for it."""

    __tablename__ = "coach_feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 4", name="rating_range"),
        Index("ix_coach_feedback_learner", "learner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    competency: Mapped[str] = mapped_column(String(64))  # the competency's code
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    coach = relationship("User", foreign_keys=[coach_id])
