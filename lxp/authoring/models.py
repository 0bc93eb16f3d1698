"""The content model.

A ``Course`` is a stable identity; what it says lives in ``CourseVersion`` snapshots. Editing a
published course makes a new draft version (a deep copy), so learners keep the version they
enrolled in. Items carry a ``key`` that stays the same across versions of a course, so
packages and (later) progress refer to ``(course, item key)`` rather than to one version's rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

STATUSES = ("draft", "in_review", "published", "archived")
MODALITIES = ("self_paced", "live", "coaching", "on_the_job")


class Competency(db.Model):
    """Something people can do, which outcomes promise and items teach and assess."""

    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The name and description in other languages: {"de": {"name": ..., "description": ...}}.
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    def name_in(self, locale: str | None) -> str:
        """The name in ``locale`` where translated, else the organisation's own."""
        return (self.translations or {}).get(locale or "", {}).get("name") or self.name

    def description_in(self, locale: str | None) -> str:
        """The description in ``locale`` where translated, else the organisation's own."""
        return (self.translations or {}).get(locale or "", {}).get("description") or self.description


class Course(db.Model):
    """A course's identity across its versions."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number", cascade="all, delete-orphan"
    )


class CourseVersion(db.Model):
    """One version of a course: its concept, outcomes, modules and items.

    The concept answers five questions: what the course is (and which questions it answers),
    who it is for, why it is needed, what people can do afterwards (the outcomes), and how it
    is done (modality mix, expected time and span).
    """

    __tablename__ = "course_versions"
    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        CheckConstraint(f"status IN {STATUSES!r}", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    language: Mapped[str] = mapped_column(String(8), default="en")

    # what
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[list] = mapped_column(JSON, default=list)
    # who
    audience_role: Mapped[str] = mapped_column(Text, default="")
    audience_experience: Mapped[str] = mapped_column(Text, default="")
    audience_prior_learning: Mapped[str] = mapped_column(Text, default="")
    audience_language: Mapped[str] = mapped_column(Text, default="")
    # why
    problem_today: Mapped[str] = mapped_column(Text, default="")
    cost_of_inaction: Mapped[str] = mapped_column(Text, default="")
    # how
    approach: Mapped[str] = mapped_column(Text, default="")
    modality_mix: Mapped[dict] = mapped_column(JSON, default=dict)  # modality -> share in percent
    expected_minutes: Mapped[int] = mapped_column(default=0)
    span_weeks: Mapped[int] = mapped_column(default=1)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="versions")
    outcomes: Mapped[list[Outcome]] = relationship(
        back_populates="version", order_by="Outcome.position", cascade="all, delete-orphan"
    )
    modules: Mapped[list[Module]] = relationship(
        back_populates="version", order_by="Module.position", cascade="all, delete-orphan"
    )
    items: Mapped[list[Item]] = relationship(back_populates="version", cascade="all, delete-orphan")

    @property
    def editable(self) -> bool:
        return self.status == "draft"


outcome_competencies = Table(
    "outcome_competencies",
    db.metadata,
    Column("outcome_id", ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True),
)


class Outcome(db.Model):
    """What people can do afterwards, as a can-do statement, mapped to competencies."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    statement: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="outcomes")
    competencies: Mapped[list[Competency]] = relationship(secondary=outcome_competencies, order_by="Competency.code")


class Module(db.Model):
    """An ordered group of items within a version."""

    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[CourseVersion] = relationship(back_populates="modules")
    items: Mapped[list[Item]] = relationship(back_populates="module", order_by="Item.position")


item_teaches = Table(
    "item_teaches",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True),
)
item_assesses = Table(
    "item_assesses",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True),
)
item_prerequisites = Table(
    "item_prerequisites",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
)
item_alternatives = Table(
    "item_alternatives",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("alternative_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
)


class Item(db.Model):
    """One block or activity. ``kind`` names an entry of ``lxp.authoring.kinds.KINDS``, whose
    schema validates ``content``."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer, default=5)
    language: Mapped[str] = mapped_column(String(8), default="en")
    content: Mapped[dict] = mapped_column(JSON, default=dict)

    version: Mapped[CourseVersion] = relationship(back_populates="items")
    module: Mapped[Module] = relationship(back_populates="items")
    teaches: Mapped[list[Competency]] = relationship(secondary=item_teaches, order_by="Competency.code")
    assesses: Mapped[list[Competency]] = relationship(secondary=item_assesses, order_by="Competency.code")
    prerequisites: Mapped[list[Item]] = relationship(
        secondary=item_prerequisites,
        primaryjoin=lambda: Item.id == item_prerequisites.c.item_id,
        secondaryjoin=lambda: Item.id == item_prerequisites.c.prerequisite_id,
        order_by="Item.position",
    )
    alternatives: Mapped[list[Item]] = relationship(
        secondary=item_alternatives,
        primaryjoin=lambda: Item.id == item_alternatives.c.item_id,
        secondaryjoin=lambda: Item.id == item_alternatives.c.alternative_id,
        order_by="Item.position",
    )


goal_competencies = Table(
    "goal_competencies",
    db.metadata,
    Column("goal_id", ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True),
)
goal_courses = Table(
    "goal_courses",
    db.metadata,
    Column("goal_id", ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


class Goal(db.Model):
    """What a learner chooses: a learner-facing aim targeting competencies, drawing on courses."""

    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    suggested_roles: Mapped[list] = mapped_column(JSON, default=list)  # job roles, free text
    language: Mapped[str] = mapped_column(String(8), default="en")

    competencies: Mapped[list[Competency]] = relationship(secondary=goal_competencies, order_by="Competency.code")
    courses: Mapped[list[Course]] = relationship(secondary=goal_courses, order_by="Course.slug")
    packages: Mapped[list[Package]] = relationship(
        back_populates="goal", order_by="Package.position", cascade="all, delete-orphan"
    )


class Package(db.Model):
    """A ready-made selection of items for a goal ("Essentials in 2 weeks")."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("goal_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    weeks: Mapped[int] = mapped_column(default=2)

    goal: Mapped[Goal] = relationship(back_populates="packages")
    entries: Mapped[list[PackageItem]] = relationship(
        back_populates="package", order_by="PackageItem.position", cascade="all, delete-orphan"
    )


class PackageItem(db.Model):
    """One item of a package, by course and stable item key, and whether it is mandatory."""

    __tablename__ = "package_items"

    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    mandatory: Mapped[bool] = mapped_column(default=False)

    package: Mapped[Package] = relationship(back_populates="entries")
    course: Mapped[Course] = relationship()


class AuthoringChange(db.Model):
    """One line of a course's history: who did what to which version, and when.

    ``action`` is a code the history page translates; ``details`` holds its parameters.
    """

    __tablename__ = "authoring_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")
