"""Spaces: threads and posts a cohort or a course shares, reports of posts, and whether a space is on.

A thread belongs to one space: a cohort's (``cohort_id``) or a course's, for everyone on the
course (``course_id``); only its members and the organisation's trainers and admins see it
(``access``). A thread is a title and its posts (the first post is its opening text): a discussion, the
weekly question a trainer
posts (tied to a path station, open until ``open_until``), or an "I'm stuck" request the
learner chose to share with the cohort (``help_request_id``). Nothing is ever hard-deleted
by its author: ``deleted_at`` hides the text for everyone and the related events are voided;
``hidden_at`` is a moderator's hiding, which a moderator can undo.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

THREAD_KINDS = ("discussion", "weekly", "help", "shared")
REPORT_OUTCOMES = ("hidden", "restored", "warned", "dismissed")


class SpaceSetting(db.Model):
    """An admin's choice for one cohort's space; no row means the space is on."""

    __tablename__ = "space_settings"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseSpaceSetting(db.Model):
    """An admin's choice for one course's space; no row means the space is on."""

    __tablename__ = "course_space_settings"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpaceThread(db.Model):
    __tablename__ = "space_threads"
    __table_args__ = (
        CheckConstraint(f"kind IN {THREAD_KINDS!r}", name="known_kind"),
        CheckConstraint("(cohort_id IS NULL) <> (course_id IS NULL)", name="one_space"),
        Index("ix_space_threads_cohort_recent", "cohort_id", "last_post_at"),
        Index("ix_space_threads_course_recent", "course_id", "last_post_at"),
        Index("ix_space_threads_item", "item_ref", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), default="discussion")
    title: Mapped[str] = mapped_column(String(200))
    item_ref: Mapped[str | None] = mapped_column(String(64))  # the path station it is about
    item_title: Mapped[str | None] = mapped_column(String(200))
    open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a weekly question's end
    # kind "shared": a learner's own work shared by choice (a reflection's text, a task's
    # evidence), copied when shared; ``shared_ref`` is the item it belongs to.
    shared_source: Mapped[str | None] = mapped_column(String(16))
    help_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_requests.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User", foreign_keys=[author_id])
    cohort = relationship("Cohort")
    posts: Mapped[list[SpacePost]] = relationship(
        back_populates="thread", order_by="SpacePost.created_at, SpacePost.id", cascade="all, delete-orphan"
    )


class SpacePost(db.Model):
    """A reply in a thread. On a shared "I'm stuck" thread the asker may mark a reply as the
    one that helped and a trainer may endorse it: such a reply shows to later learners on the
    same step. On shared work, the author's request for feedback is a post of theirs too."""

    __tablename__ = "space_posts"
    __table_args__ = (Index("ix_space_posts_thread_time", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("space_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("space_posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    helped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the asker said it helped
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    endorsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # On shared work: the author asks for feedback with this post's short question (``sharing``).
    asks_feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[SpaceThread] = relationship(back_populates="posts")
    author = relationship("User", foreign_keys=[author_id])
    endorsed_by = relationship("User", foreign_keys=[endorsed_by_id])
    quote = relationship("SpacePost", remote_side=[id])

    @property
    def visible(self) -> bool:
        return self.hidden_at is None and self.deleted_at is None


class SpaceReport(db.Model):
    """Someone reported a post to the trainers of the organisation."""

    __tablename__ = "space_reports"
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR outcome IN {REPORT_OUTCOMES!r}", name="known_outcome"),
        Index("ix_space_reports_open", "organisation_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("space_threads.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("space_posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(16))

    thread = relationship("SpaceThread")
    post = relationship("SpacePost")
    reporter = relationship("User", foreign_keys=[reporter_id])
