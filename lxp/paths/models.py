"""A learner's journey: the goals they chose, their calendar, the course versions they are on,
and the plan the planner last made for them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

JOURNEY_STATUSES = ("active", "paused", "finished", "left")

journey_goals = Table(
    "journey_goals",
    db.metadata,
    Column("journey_id", ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
    Column("goal_id", ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True),
)


class Journey(db.Model):
    """One learner's path towards their goals. A learner has at most one open journey."""

    __tablename__ = "journeys"
    __table_args__ = (
        CheckConstraint(f"status IN {JOURNEY_STATUSES!r}", name="known_status"),
        Index("ix_journeys_learner_status", "learner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    start_date: Mapped[date] = mapped_column(Date)
    target_date: Mapped[date | None] = mapped_column(Date)
    weekly_minutes: Mapped[int] = mapped_column(default=60)
    modalities: Mapped[list] = mapped_column(JSON, default=list)
    # {"swaps": {ref: alternative ref}, "moves": [[optional ref, ref it goes before or null]]}
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    plan: Mapped[dict | None] = mapped_column(JSON)  # the last plan, see ``paths.storage``
    # How many steps ``plan`` has, written with it: the insights count every learner's steps
    # without reading (and parsing) every plan.
    plan_steps: Mapped[int | None] = mapped_column()
    # The earliest due date of ``plan``'s open coaching checkpoints, written with it: a coach's
    # desk reads only the journeys with a conversation due, not every plan of their learners.
    coached_due_on: Mapped[date | None] = mapped_column(Date)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when replanning after an event failed: the event stood, the plan is rebuilt on the
    # next read or scheduler tick (``paths.services.refresh_plan``).
    plan_stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goals = relationship("Goal", secondary=journey_goals, order_by="Goal.title")
    package = relationship("Package")
    courses: Mapped[list[JourneyCourse]] = relationship(
        back_populates="journey", cascade="all, delete-orphan", order_by="JourneyCourse.course_id"
    )


class JourneyCourse(db.Model):
    """The version of a course this journey uses: fixed at enrolment, so republishing a course
    never changes a learner's path under them."""

    __tablename__ = "journey_courses"

    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))

    journey: Mapped[Journey] = relationship(back_populates="courses")
    version = relationship("CourseVersion")
