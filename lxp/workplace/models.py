"""Evidence for on-the-job tasks and the coach's reviews of it.

A learner's attempts at one task are numbered submissions; at most one is open (a draft
being written, or submitted and waiting for review) at a time. A review closes a submission
as accepted or as needing another try; the next try is a new submission, so the history
keeps every submission with its evidence and its review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

STATUSES = ("draft", "submitted", "accepted", "needs_another_try")
OUTCOMES = ("accepted", "needs_another_try")
OPEN_STATUSES = ("draft", "submitted")
_OPEN = text("status IN ('draft', 'submitted')")


class TaskSubmission(db.Model):
    """One try at an on-the-job task: a written account (Markdown), links, and files
    (``StoredFile`` rows of kind ``evidence`` attached to this id).

    ``rubric`` and ``competencies`` are copied from the item when the draft is started, so a
    review reads what the learner was asked for even if the course changes later.
    """

    __tablename__ = "task_submissions"
    __table_args__ = (
        UniqueConstraint("learner_id", "item_ref", "number", name="uq_task_submissions_try"),
        CheckConstraint(f"status IN {STATUSES!r}", name="known_status"),
        # one open try per learner and task, even when two requests race
        Index(
            "uq_task_submissions_open",
            "learner_id",
            "item_ref",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),  # fmt: skip
        Index("ix_task_submissions_waiting", "organisation_id", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journeys.id", ondelete="SET NULL"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    item_ref: Mapped[str] = mapped_column(String(64))  # "<course id>:<item key>"
    item_title: Mapped[str] = mapped_column(String(200))
    rubric: Mapped[list] = mapped_column(JSON, default=list)  # [{"criterion", "description"}]
    competencies: Mapped[list] = mapped_column(JSON, default=list)  # codes the task assesses
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    account: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    links: Mapped[list] = mapped_column(JSON, default=list)  # http(s) addresses
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    learner = relationship("User", foreign_keys=[learner_id])
    review: Mapped[TaskReview | None] = relationship(back_populates="submission", uselist=False)


class TaskReview(db.Model):
    """The coach's verdict on one submission: a rating per rubric criterion and a comment."""

    __tablename__ = "task_reviews"
    __table_args__ = (CheckConstraint(f"outcome IN {OUTCOMES!r}", name="known_outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("task_submissions.id", ondelete="CASCADE"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    ratings: Mapped[list] = mapped_column(JSON, default=list)  # [{"criterion", "rating"}] in rubric order
    comment: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[TaskSubmission] = relationship(back_populates="review")
    reviewer = relationship("User")
