"""Organisation units, reporting lines, assignments and each person's assigned work.

An ``Assignment`` is what an admin asks for (a goal, or one of its packages) of an audience:
named people, a cohort, an organisation unit or everyone with a role. Each person it reaches
gets an ``AssignedWork`` row per cycle: when they got it, when it is due, when they finished,
and when a recertification makes it expire (the next cycle then re-opens the work).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

AUDIENCES = ("people", "cohort", "unit", "role")


class OrgUnit(db.Model):
    """A part of the organisation (a department, a team), optionally inside another."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_org_units_organisation_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"))

    parent = relationship("OrgUnit", remote_side=[id])


class UnitMember(db.Model):
    """The one unit a person belongs to."""

    __tablename__ = "org_unit_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"), index=True)

    unit = relationship(OrgUnit)


assignment_people = Table(
    "assignment_people",
    db.metadata,
    Column("assignment_id", ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Assignment(db.Model):
    """A goal (or a package of it) the organisation asks an audience to reach, with the reason
    it gives, a fixed due date or a number of days from when each person got it, and optionally
    a recertification interval in months. ``escalate``: the manager hears of overdue work even
    when the learner did not allow it (compliance)."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="known_audience"),
        CheckConstraint("due_date IS NULL OR due_within_days IS NULL", name="one_due_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    audience: Mapped[str] = mapped_column(String(16))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(16))
    due_date: Mapped[date | None] = mapped_column(Date)
    due_within_days: Mapped[int | None] = mapped_column()
    recertify_months: Mapped[int | None] = mapped_column()
    escalate: Mapped[bool] = mapped_column(default=False)
    # A manager asked their own report for it from My team: the learner hears it was their
    # manager (``created_by``), not the organisation.
    by_manager: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    goal = relationship("Goal")
    package = relationship("Package")
    cohort = relationship("Cohort")
    unit = relationship(OrgUnit)
    people = relationship("User", secondary=assignment_people, order_by="User.display_name")
    created_by = relationship("User", foreign_keys=[created_by_id])


class AssignedWork(db.Model):
    """One person's share of an assignment, per recertification cycle (1 first)."""

    __tablename__ = "assigned_work"
    __table_args__ = (UniqueConstraint("assignment_id", "learner_id", "cycle", name="uq_assigned_work_cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)  # completed work of a recertification

    assignment: Mapped[Assignment] = relationship()
    learner = relationship("User")


class ReportingLine(db.Model):
    """A person's one line manager (of the same organisation). ``share_progress``: the person
    lets their manager hear when assigned work is overdue; ``share_support``: when predictive
    support (``lxp.risk``) notices they may need help, their manager sees that on My team."""

    __tablename__ = "reporting_lines"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    share_progress: Mapped[bool] = mapped_column(default=False)
    share_support: Mapped[bool] = mapped_column(default=False, server_default=false())

    user = relationship("User", foreign_keys=[user_id])
    manager = relationship("User", foreign_keys=[manager_id])
