"""Courses, their versions and their structure: the rules and transactions of editing.

Only a draft version is edited. Editing a course whose newest version is published (or in
review) first makes a new draft: a deep copy with the same item keys. Every change is written
to the course's history in the same transaction. Errors are ``lxp.core.errors`` types with a
message for the admin; nothing is written when one is raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lxp.authoring.kinds import KINDS
from lxp.authoring.models import (
    AuthoringChange,
    Competency,
    Course,
    CourseVersion,
    Item,
    Module,
    Outcome,
)
from lxp.authoring.text import SLUG, ascii_slug, renumber
from lxp.core.errors import Conflict, Invalid, NotAllowed, NotFound
from lxp.core.statements import contains
from lxp.core.tenancy import get_in_organisation
from lxp.extensions import db

CONCEPT_FIELDS = (
    "title", "summary", "questions", "audience_role", "audience_experience", "audience_prior_learning",
    "audience_language", "problem_today", "cost_of_inaction", "approach", "modality_mix", "expected_minutes",
    "span_weeks", "language",
)  # fmt: skip


def slugify(text: str) -> str:
    """A URL-safe slug from a title ("Leading a hybrid team" -> "leading-a-hybrid-team")."""
    return ascii_slug(text) or f"course-{uuid.uuid4().hex[:8]}"


def log_change(course: Course, version: CourseVersion, actor_id: int | None, action: str, **details) -> None:
    """Add one line to the course's history (in the caller's transaction)."""
    db.session.add(
        AuthoringChange(course_id=course.id, version_number=version.number, actor_id=actor_id, action=action,
                        details=details)
    )  # fmt: skip


# --- finding things, within the admin's organisation ---------------------------------


def require_organisation(admin, organisation_id: int, message) -> None:
    """Raises ``NotFound`` with ``message`` unless the thing belongs to the admin's organisation."""
    if organisation_id != admin.organisation_id:
        raise NotFound(message)


def _course_organisation(row) -> int:
    """The organisation of a row inside a course version: its course's."""
    return row.version.course.organisation_id


def get_course(admin, course_id: int) -> Course:
    """The course with this id in the admin's organisation. Raises ``NotFound``."""
    return get_in_organisation(Course, course_id, admin.organisation_id, _l("No such course."))


def find_course(organisation_id: int, slug: str) -> Course | None:
    return db.session.execute(
        select(Course).where(Course.organisation_id == organisation_id, Course.slug == slug)
    ).scalar_one_or_none()


def latest_version(course: Course) -> CourseVersion:
    return course.versions[-1]


def current_published(course: Course) -> CourseVersion | None:
    """The newest published version: what new enrolments get."""
    published = [v for v in course.versions if v.status == "published"]
    return published[-1] if published else None


def get_item(admin, item_id: int) -> Item:
    return get_in_organisation(
        Item, item_id, admin.organisation_id, _l("No such item."), organisation_of=_course_organisation
    )


def get_module(admin, module_id: int) -> Module:
    return get_in_organisation(Module, module_id, admin.organisation_id, _l("No such module."),
                               organisation_of=_course_organisation)  # fmt: skip


def get_outcome(admin, outcome_id: int) -> Outcome:
    return get_in_organisation(Outcome, outcome_id, admin.organisation_id, _l("No such outcome."),
                               organisation_of=_course_organisation)  # fmt: skip


@dataclass(frozen=True)
class CourseRow:
    course: Course
    latest: CourseVersion
    published: CourseVersion | None


def list_courses(admin, query: str = "", status: str | None = None) -> list[CourseRow]:
    """Courses of the organisation with their newest and current published version, by title."""
    statement = select(Course).where(Course.organisation_id == admin.organisation_id)
    if query.strip():
        words = query.strip()
        statement = statement.where(
            or_(contains(Course.slug, words), Course.versions.any(contains(CourseVersion.title, words)))
        )
    courses = db.session.execute(statement).scalars().all()
    rows = [CourseRow(c, latest_version(c), current_published(c)) for c in courses if c.versions]
    if status:
        rows = [row for row in rows if row.latest.status == status]
    return sorted(rows, key=lambda row: (row.latest.title.lower(), row.course.id))


def resolve_competencies(organisation_id: int, ids: Iterable[int]) -> list[Competency]:
    """The organisation's competencies with these ids. Raises ``Invalid`` for any other id."""
    wanted = {int(i) for i in ids}
    if not wanted:
        return []
    found = (
        db.session.execute(
            select(Competency).where(Competency.organisation_id == organisation_id, Competency.id.in_(wanted))
        )
        .scalars()
        .all()
    )
    if len(found) != len(wanted):
        raise Invalid(_l("Choose competencies from the list."), field="competencies")
    return sorted(found, key=lambda c: c.code)


# --- courses and versions ------------------------------------------------------------


def create_course(admin, title: str, language: str = "en", slug: str | None = None) -> Course:
    """Start a course: the course and its first draft version. Raises ``Invalid``/``Conflict``."""
    title = (title or "").strip()
    if not title:
        raise Invalid(_l("Give the course a title."), field="title")
    slug = (slug or "").strip().lower() or slugify(title)
    if not SLUG.match(slug):
        raise Invalid(_l("Use lower-case letters, digits and dashes for the short name."), field="slug")
    if find_course(admin.organisation_id, slug):
        raise Conflict(_l("A course with the short name %(slug)s exists already.", slug=slug), field="slug")
    course = Course(organisation_id=admin.organisation_id, slug=slug, created_by_id=admin.id)
    version = CourseVersion(course=course, number=1, title=title, language=language, created_by_id=admin.id)
    db.session.add_all([course, version])
    db.session.flush()
    log_change(course, version, admin.id, "created", title=title)
    db.session.flush()
    return course


def draft_for_editing(admin, course: Course) -> CourseVersion:
    """The draft to edit: the newest version if it is a draft, else a new draft copied from it.

    Raises ``Conflict`` while the newest version is in review (approve or return it first).
    """
    latest = latest_version(course)
    if latest.status == "draft":
        return latest
    if latest.status == "in_review":
        raise Conflict(_l("This version is in review. Approve it or send it back before you edit."))
    draft = copy_version(latest, admin.id)
    log_change(course, draft, admin.id, "new_draft", from_version=latest.number)
    db.session.flush()
    return draft


def copy_version(source: CourseVersion, actor_id: int | None) -> CourseVersion:
    """A new draft with everything ``source`` has; items keep their keys."""
    draft = CourseVersion(
        course=source.course,
        number=source.number + 1,
        status="draft",
        created_by_id=actor_id,
        **{name: _copy_value(getattr(source, name)) for name in CONCEPT_FIELDS},
    )
    db.session.add(draft)
    for outcome in source.outcomes:
        draft.outcomes.append(Outcome(position=outcome.position, statement=outcome.statement,
                                      competencies=list(outcome.competencies)))  # fmt: skip
    copies: dict[int, Item] = {}
    for module in source.modules:
        new_module = Module(version=draft, position=module.position, title=module.title, summary=module.summary)
        db.session.add(new_module)
        for item in module.items:
            copies[item.id] = Item(
                version=draft, module=new_module, key=item.key, position=item.position, kind=item.kind,
                title=item.title, minutes=item.minutes, language=item.language, content=_copy_value(item.content),
                teaches=list(item.teaches), assesses=list(item.assesses),
            )  # fmt: skip
            db.session.add(copies[item.id])
    for module in source.modules:
        for item in module.items:
            copies[item.id].prerequisites = [copies[p.id] for p in item.prerequisites]
            copies[item.id].alternatives = [copies[a.id] for a in item.alternatives]
    db.session.flush()
    return draft


def _copy_value(value):
    import copy

    return copy.deepcopy(value)


def _require_draft(version: CourseVersion) -> None:
    if not version.editable:
        raise NotAllowed(_l("Only a draft can be changed. Start a new draft from the course page."))


def update_concept(admin, version: CourseVersion, **concept) -> None:
    """Save the concept fields given. Raises ``NotAllowed`` for a non-draft, ``Invalid`` for bad values."""
    _require_draft(version)
    unknown = set(concept) - set(CONCEPT_FIELDS)
    if unknown:
        raise Invalid(f"unknown concept fields {sorted(unknown)}")
    if "title" in concept and not (concept["title"] or "").strip():
        raise Invalid(_l("Give the course a title."), field="title")
    mix = concept.get("modality_mix")
    if mix is not None and (any(share < 0 for share in mix.values()) or (mix and sum(mix.values()) != 100)):
        raise Invalid(_l("The shares of the four ways of learning must add up to 100 %."), field="modality_mix")
    changed = sorted(name for name, value in concept.items() if getattr(version, name) != value)
    for name, value in concept.items():
        setattr(version, name, value.strip() if isinstance(value, str) else value)
    if changed:
        log_change(version.course, version, admin.id, "concept_edited", fields=changed)
    db.session.flush()


# --- outcomes ------------------------------------------------------------------------


def save_outcome(admin, version: CourseVersion, statement: str, competency_ids: Iterable[int],
                 outcome: Outcome | None = None) -> Outcome:  # fmt: skip
    """Add an outcome, or change ``outcome``. Raises ``Invalid`` without a statement."""
    _require_draft(version)
    statement = (statement or "").strip()
    if not statement:
        raise Invalid(_l("Write what people can do afterwards."), field="statement")
    competencies = resolve_competencies(version.course.organisation_id, competency_ids)
    if outcome is None:
        outcome = Outcome(version=version, position=len(version.outcomes), statement=statement)
        db.session.add(outcome)
        action = "outcome_added"
    else:
        action = "outcome_edited"
    outcome.statement = statement
    outcome.competencies = competencies
    log_change(version.course, version, admin.id, action, statement=statement)
    db.session.flush()
    return outcome


def delete_outcome(admin, outcome: Outcome) -> None:
    version = outcome.version
    _require_draft(version)
    version.outcomes.remove(outcome)
    renumber(version.outcomes)
    log_change(version.course, version, admin.id, "outcome_deleted", statement=outcome.statement)
    db.session.flush()


# --- modules and items ---------------------------------------------------------------


def save_module(admin, version: CourseVersion, title: str, summary: str = "", module: Module | None = None) -> Module:
    _require_draft(version)
    title = (title or "").strip()
    if not title:
        raise Invalid(_l("Give the module a title."), field="title")
    if module is None:
        module = Module(version=version, position=len(version.modules), title=title, summary=summary.strip())
        db.session.add(module)
        log_change(version.course, version, admin.id, "module_added", title=title)
    else:
        module.title, module.summary = title, summary.strip()
        log_change(version.course, version, admin.id, "module_edited", title=title)
    db.session.flush()
    return module


def delete_module(admin, module: Module) -> None:
    """Delete an empty module. Raises ``Conflict`` while it holds items."""
    version = module.version
    _require_draft(version)
    if module.items:
        raise Conflict(_l("Move or delete the items of this module first."))
    version.modules.remove(module)
    renumber(version.modules)
    log_change(version.course, version, admin.id, "module_deleted", title=module.title)
    db.session.flush()


@dataclass
class ItemInput:
    """What the item editor (or an import) says about one item."""

    kind: str
    title: str
    minutes: int
    language: str
    content: dict
    teaches: list[int]
    assesses: list[int]
    prerequisites: list[int]
    alternatives: list[int]


def check_content(kind: str, content: dict) -> dict:
    """The item content validated by its kind's schema. Raises ``Invalid`` listing every problem."""
    if kind not in KINDS:
        raise Invalid(_l("Unknown kind of item."), field="kind")
    try:
        return KINDS[kind].validate(content)
    except ValidationError as error:
        raise Invalid(_format_errors(error.messages), field="content") from None


def _format_errors(messages, path: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(
            _format_errors(value, f"{path}.{key}" if path else str(key)) for key, value in messages.items()
        )
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{path}: {' '.join(messages)}" if path else " ".join(messages)
    return "; ".join(_format_errors(m, path) for m in messages)


def save_item(admin, module: Module, data: ItemInput, item: Item | None = None) -> Item:
    """Add an item at the end of ``module``, or change ``item`` (moving it to ``module``).

    Raises ``Invalid`` for a bad title, duration, content, or a prerequisite or alternative
    outside this version.
    """
    version = module.version
    _require_draft(version)
    title = (data.title or "").strip()
    if not title:
        raise Invalid(_l("Give the item a title."), field="title")
    if not 1 <= data.minutes <= 600:
        raise Invalid(_l("Estimate the duration in minutes, between 1 and 600."), field="minutes")
    content = check_content(data.kind, data.content)
    org = version.course.organisation_id
    teaches = resolve_competencies(org, data.teaches)
    assesses = resolve_competencies(org, data.assesses)
    unassessed = sorted({q["competency"] for q in content.get("questions", [])} - {c.code for c in assesses})
    if unassessed:
        raise Invalid(_l("The questions check %(codes)s; tick the same under \u201cAssesses\u201d.", codes=", ".join(unassessed)),
                      field="assesses")  # fmt: skip
    siblings = {i.id: i for i in version.items}
    own_id = item.id if item is not None else None
    for field_name, ids in (("prerequisites", data.prerequisites), ("alternatives", data.alternatives)):
        if any(int(i) not in siblings or int(i) == own_id for i in ids):
            raise Invalid(_l("Choose other items of this course."), field=field_name)

    if item is None:
        item = Item(version=version, module=module, key=str(uuid.uuid4()), position=len(module.items))
        db.session.add(item)
        action = "item_added"
    else:
        if item.module is not module:
            item.module.items.remove(item)
            renumber(item.module.items)
            item.module = module
            item.position = len(module.items)
        action = "item_edited"
    item.kind, item.title, item.minutes, item.language, item.content = (
        data.kind,
        title,
        data.minutes,
        data.language,
        content,
    )
    item.teaches, item.assesses = teaches, assesses
    item.prerequisites = [siblings[int(i)] for i in data.prerequisites]
    item.alternatives = [siblings[int(i)] for i in data.alternatives]
    log_change(version.course, version, admin.id, action, title=title, kind=data.kind)
    db.session.flush()
    return item


def delete_item(admin, item: Item) -> None:
    """Delete an item; others that needed it no longer do."""
    version = item.version
    _require_draft(version)
    module = item.module
    for other in version.items:
        if item in other.prerequisites:
            other.prerequisites.remove(item)
        if item in other.alternatives:
            other.alternatives.remove(item)
    module.items.remove(item)
    db.session.delete(item)
    renumber(module.items)
    log_change(version.course, version, admin.id, "item_deleted", title=item.title)
    db.session.flush()


def move(admin, thing: Outcome | Module | Item, step: int) -> None:
    """Move an outcome, module or item one place up (-1) or down (+1) among its siblings."""
    if isinstance(thing, Item):
        parent, collection = thing.module, "items"
    else:
        parent, collection = thing.version, "modules" if isinstance(thing, Module) else "outcomes"
    version = thing.version
    _require_draft(version)
    siblings = list(getattr(parent, collection))
    index = siblings.index(thing)
    target = index + step
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        # Assign the whole list: swapping in place briefly drops a row, and delete-orphan
        # would delete it.
        setattr(parent, collection, siblings)
        renumber(siblings)
        log_change(version.course, version, admin.id, "reordered",
                   title=getattr(thing, "title", None) or getattr(thing, "statement", ""))  # fmt: skip
    db.session.flush()


def load_version_links(version: CourseVersion) -> list:
    """Each item's competencies, prerequisites and alternatives, each outcome's competencies and
    each module's items: a statement per kind of link for the whole version (the check reads
    them all; one at a time they were four statements an item, 91 on the demo's first course
    page). Returns what it loaded, for the caller to hold: the session keeps loaded objects only
    while something refers to them, and their loaded links with them."""
    items = db.session.execute(
        select(Item).where(Item.version_id == version.id).options(
            selectinload(Item.teaches), selectinload(Item.assesses), selectinload(Item.prerequisites),
            selectinload(Item.alternatives))
    ).scalars().all()  # fmt: skip
    outcomes = db.session.execute(
        select(Outcome).where(Outcome.version_id == version.id).options(selectinload(Outcome.competencies))
    ).scalars().all()  # fmt: skip
    modules = db.session.execute(
        select(Module).where(Module.version_id == version.id).options(selectinload(Module.items))
    ).scalars().all()  # fmt: skip
    return [*items, *outcomes, *modules]
