"""Goals learners choose, and the ready-made packages of items each goal offers.

Each writing function is one unit of work; errors are ``lxp.core.errors`` types naming the
field, and nothing is written when one is raised. Another organisation's goal or package is
``NotFound``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.authoring import services
from lxp.authoring.models import (
    Course,
    CourseVersion,
    Goal,
    Item,
    Package,
    PackageItem,
)
from lxp.authoring.text import (
    MAX_DESCRIPTION,
    MAX_ROLE,
    MAX_TITLE,
    MAX_WEEKS,
    MIN_WEEKS,
    check_slug,
    check_text,
    renumber,
)
from lxp.core.errors import Conflict, Invalid, NotFound
from lxp.core.i18n import LANGUAGE_NAMES
from lxp.core.tenancy import get_in_organisation
from lxp.extensions import db

# --- goals ------------------------------------------------------------------------------


def get_goal(admin, goal_id: int) -> Goal:
    """The goal with this id in the admin's organisation. Raises ``NotFound``."""
    return get_in_organisation(Goal, goal_id, admin.organisation_id, _l("No such goal."))


def course_title(course: Course) -> str:
    """What a course is called: the title of its newest version."""
    return services.latest_version(course).title if course.versions else course.slug


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    packages: int
    course_titles: list[str]


def list_goals(admin) -> list[GoalRow]:
    """The organisation's goals by title, with how many packages and which courses each has."""
    goals = db.session.execute(select(Goal).where(Goal.organisation_id == admin.organisation_id)).scalars().all()
    rows = [GoalRow(g, len(g.packages), sorted(course_title(c) for c in g.courses)) for g in goals]
    return sorted(rows, key=lambda row: (row.goal.title.lower(), row.goal.id))


def course_choices(admin) -> list[tuple[int, str]]:
    """(course id, newest version's title) for every course of the organisation, by title."""
    return [(row.course.id, row.latest.title) for row in services.list_courses(admin)]


@dataclass
class GoalInput:
    """What the goal form says."""

    title: str
    slug: str | None
    description: str
    language: str
    suggested_roles: list[str]
    competency_ids: list[int]
    course_ids: list[int]


def _resolve_courses(organisation_id: int, ids: Iterable[int]) -> list[Course]:
    wanted = {int(i) for i in ids}
    if not wanted:
        return []
    found = (
        db.session.execute(select(Course).where(Course.organisation_id == organisation_id, Course.id.in_(wanted)))
        .scalars()
        .all()
    )
    if len(found) != len(wanted):
        raise Invalid(_l("Choose courses from the list."), field="courses")
    return sorted(found, key=lambda c: c.slug)


def _check_roles(roles: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for role in roles:
        role = " ".join((role or "").split())
        if not role or role.lower() in {r.lower() for r in cleaned}:
            continue
        if len(role) > MAX_ROLE:
            raise Invalid(_l("Keep each job role under %(num)d characters.", num=MAX_ROLE), field="suggested_roles")
        cleaned.append(role)
    return cleaned


def _goal_slug_taken(organisation_id: int, slug: str, goal: Goal | None) -> bool:
    statement = select(Goal.id).where(Goal.organisation_id == organisation_id, Goal.slug == slug)
    if goal is not None and goal.id is not None:
        statement = statement.where(Goal.id != goal.id)
    return db.session.execute(statement).first() is not None


def save_goal(admin, data: GoalInput, goal: Goal | None = None) -> Goal:
    """Create a goal, or change ``goal``.

    Raises ``NotFound`` for another organisation's goal; ``Invalid`` for a missing title, a
    malformed short name, an unknown language, a too long job role, no competency, or a
    competency or course outside the organisation; ``Conflict`` when the short name is taken or
    a course taken out of the goal still has items in one of its packages.
    """
    if goal is not None:
        services.require_organisation(admin, goal.organisation_id, _l("No such goal."))
    organisation_id = admin.organisation_id
    title = check_text(data.title, MAX_TITLE, "title", _l("Give the goal a title."))
    slug = check_slug(data.slug, title, "goal")
    description = check_text(data.description, MAX_DESCRIPTION, "description")
    if data.language not in LANGUAGE_NAMES:
        raise Invalid(_l("Choose English, Deutsch or Русский."), field="language")
    roles = _check_roles(data.suggested_roles)
    competencies = services.resolve_competencies(organisation_id, data.competency_ids)
    if not competencies:
        raise Invalid(_l("Choose at least one competency the goal builds."), field="competencies")
    courses = _resolve_courses(organisation_id, data.course_ids)
    if _goal_slug_taken(organisation_id, slug, goal):
        raise Conflict(_l("A goal with the short name %(slug)s exists already.", slug=slug), field="slug")
    if goal is not None:
        kept = {c.id for c in courses}
        still_used = sorted(
            {p.title for p in goal.packages for e in p.entries if e.course_id not in kept}, key=str.lower
        )
        if still_used:
            raise Conflict(
                _l(
                    "These packages use items of a course you took out: %(packages)s. Take the items out of the packages first.",
                    packages=", ".join(still_used),
                ),
                field="courses",
            )
    if goal is None:
        goal = Goal(organisation_id=organisation_id)
        db.session.add(goal)
    goal.title, goal.slug, goal.description, goal.language = title, slug, description, data.language
    goal.suggested_roles = roles
    goal.competencies = competencies
    goal.courses = courses
    db.session.flush()
    return goal


def delete_goal(admin, goal: Goal) -> int:
    """Delete a goal with its packages; returns how many packages went with it.

    Raises ``NotFound`` for another organisation's goal.
    """
    services.require_organisation(admin, goal.organisation_id, _l("No such goal."))
    packages = len(goal.packages)
    db.session.delete(goal)
    db.session.flush()
    return packages


# --- packages ---------------------------------------------------------------------------


def get_package(admin, package_id: int) -> Package:
    """The package with this id in the admin's organisation. Raises ``NotFound``."""
    return get_in_organisation(Package, package_id, admin.organisation_id, _l("No such package."),
                               organisation_of=lambda package: package.goal.organisation_id)  # fmt: skip


def entry_value(course_id: int, item_key: str) -> str:
    """How the package form names one item: ``"<course id>:<item key>"``."""
    return f"{course_id}:{item_key}"


@dataclass(frozen=True)
class ItemChoice:
    value: str
    item: Item


@dataclass(frozen=True)
class CourseItems:
    """The items of the newest version of one of the goal's courses, in course order."""

    course: Course
    version: CourseVersion
    items: list[ItemChoice]


def package_choices(goal: Goal) -> list[CourseItems]:
    """What a package of ``goal`` can include: per course (by short name), module order then item order."""
    choices = []
    for course in goal.courses:
        if not course.versions:
            continue
        version = services.latest_version(course)
        items = [ItemChoice(entry_value(course.id, i.key), i) for m in version.modules for i in m.items]
        choices.append(CourseItems(course, version, items))
    return choices


def package_selection(package: Package) -> tuple[set[str], set[str]]:
    """The package's entries as form values: (included, mandatory)."""
    included = {entry_value(e.course_id, e.item_key) for e in package.entries}
    mandatory = {entry_value(e.course_id, e.item_key) for e in package.entries if e.mandatory}
    return included, mandatory


def stale_entries(package: Package) -> list[PackageItem]:
    """Entries whose item is no longer in the newest version of a goal's course; saving drops them."""
    current = {c.value for course in package_choices(package.goal) for c in course.items}
    return [e for e in package.entries if entry_value(e.course_id, e.item_key) not in current]


@dataclass
class PackageInput:
    """What the package form says; ``included`` and ``mandatory`` hold ``entry_value`` strings."""

    title: str
    slug: str | None
    description: str
    weeks: int | None
    included: list[str]
    mandatory: list[str]


def _package_slug_taken(goal: Goal, slug: str, package: Package | None) -> bool:
    return any(p.slug == slug and p is not package for p in goal.packages)


def save_package(admin, goal: Goal, data: PackageInput, package: Package | None = None) -> Package:
    """Create a package of ``goal`` at the end of its list, or change ``package``.

    Mandatory items are included whether or not they were ticked as included. Entries are kept
    in course order. Raises ``NotFound`` for another organisation's goal or a package of another
    goal; ``Invalid`` for a missing title, a malformed short name, weeks outside 1–104, no item,
    or an item that is not in the newest version of one of the goal's courses; ``Conflict`` when
    the goal has a package with this short name.
    """
    services.require_organisation(admin, goal.organisation_id, _l("No such goal."))
    if package is not None and package.goal is not goal:
        raise NotFound(_l("No such package."))
    title = check_text(data.title, MAX_TITLE, "title", _l("Give the package a title."))
    slug = check_slug(data.slug, title, "package")
    description = check_text(data.description, MAX_DESCRIPTION, "description")
    if data.weeks is None or not MIN_WEEKS <= data.weeks <= MAX_WEEKS:
        raise Invalid(
            _l("Give the length in weeks, from %(min)d to %(max)d.", min=MIN_WEEKS, max=MAX_WEEKS), field="weeks"
        )
    order = {c.value: (c.item, course.course) for course in package_choices(goal) for c in course.items}
    chosen = set(data.included) | set(data.mandatory)
    if any(value not in order for value in chosen):
        raise Invalid(_l("Choose items of the courses this goal draws on."), field="items")
    if not chosen:
        raise Invalid(_l("Include at least one item."), field="items")
    if _package_slug_taken(goal, slug, package):
        raise Conflict(_l("This goal has a package with the short name %(slug)s already.", slug=slug), field="slug")

    if package is None:
        package = Package(position=len(goal.packages))
        goal.packages.append(package)
    package.title, package.slug, package.description, package.weeks = title, slug, description, data.weeks
    existing = {entry_value(e.course_id, e.item_key): e for e in package.entries}
    mandatory = set(data.mandatory)
    entries = []
    for value in (v for v in order if v in chosen):  # dicts keep the course order
        item, course = order[value]
        entry = existing.get(value) or PackageItem(course=course, item_key=item.key)
        entry.mandatory = value in mandatory
        entries.append(entry)
    package.entries = entries
    renumber(package.entries)
    db.session.flush()
    return package


def delete_package(admin, package: Package) -> None:
    """Delete a package; the goal's other packages close the gap. Raises ``NotFound``."""
    goal = package.goal
    services.require_organisation(admin, goal.organisation_id, _l("No such package."))
    goal.packages.remove(package)
    renumber(goal.packages)
    db.session.flush()


def move_package(admin, package: Package, step: int | None) -> None:
    """Move a package one place up (-1) or down (+1) among its goal's packages; at an end, stay.

    Raises ``NotFound`` for another organisation's package, ``Invalid`` for another step.
    """
    goal = package.goal
    services.require_organisation(admin, goal.organisation_id, _l("No such package."))
    if step not in (-1, 1):
        raise Invalid(_l("Move a package one place up or down."), field="step")
    packages = list(goal.packages)
    index = packages.index(package)
    target = index + step
    if 0 <= target < len(packages):
        packages[index], packages[target] = packages[target], packages[index]
        # Assign the whole list: swapping in place would briefly remove a package from the
        # collection, and delete-orphan would then delete it.
        goal.packages = packages
        renumber(goal.packages)
    db.session.flush()
