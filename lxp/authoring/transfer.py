"""Import and export of a course as one JSON document (see ``schemas.py``).

An import is checked completely before anything is written: every error is reported with its
JSON path (``$.course.modules[0].items[2].minutes``) and nothing is stored unless the whole
document is good. Export is deterministic, so export -> import -> export gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import select

from lxp.authoring import services
from lxp.authoring.kinds import KINDS
from lxp.authoring.models import Competency, Course, CourseVersion, Goal, Item, Module, Outcome, Package, PackageItem
from lxp.authoring.schemas import FORMAT, FORMAT_VERSION, DocumentSchema
from lxp.core.errors import Conflict
from lxp.extensions import db


@dataclass(frozen=True)
class DocumentError:
    path: str
    message: str


class DocumentRejected(Exception):
    """The document has errors; ``errors`` lists each with its JSON path. Nothing was written."""

    def __init__(self, errors: list[DocumentError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def flatten_errors(messages, path: str = "$") -> list[DocumentError]:
    """marshmallow's nested error dict as a flat list of (JSON path, message)."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            step = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
            found.extend(flatten_errors(value, step))
        return found
    if isinstance(messages, list):
        found = []
        for message in messages:
            found.extend(
                flatten_errors(message, path) if not isinstance(message, str) else [DocumentError(path, message)]
            )
        return found
    return [DocumentError(path, str(messages))]


def read_document(organisation_id: int, raw: bytes | str) -> dict:
    """Parse and check a document. Raises ``DocumentRejected`` with every error found."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise DocumentRejected([DocumentError("$", f"This is not a JSON document{where}.")]) from None
    if not isinstance(data, dict):
        raise DocumentRejected([DocumentError("$", "The document must be a JSON object.")])
    try:
        document, errors = DocumentSchema().load(data), []
    except ValidationError as error:
        document, errors = None, flatten_errors(error.messages)
    # The cross-checks run on the raw data too, so one pass reports every error; where both
    # find fault with the same place, the schema's message is kept.
    reported = {error.path for error in errors}
    errors += [e for e in _cross_check(organisation_id, document or data) if e.path not in reported]
    if errors:
        raise DocumentRejected(errors)
    return document


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _cross_check(organisation_id: int, document: dict) -> list[DocumentError]:
    """What the schema cannot see: item content, keys and codes that refer to each other."""
    errors: list[DocumentError] = []
    course = _dict(document.get("course"))
    competency_entries = [_dict(c) for c in _list(document.get("competencies"))]
    known_codes = {c.get("code") for c in competency_entries}
    seen_codes: set[str] = set()
    for n, competency in enumerate(competency_entries):
        if competency.get("code") in seen_codes:
            errors.append(DocumentError(f"$.competencies[{n}].code", "This code appears twice."))
        seen_codes.add(competency.get("code"))
    known_codes |= set(
        db.session.execute(select(Competency.code).where(Competency.organisation_id == organisation_id)).scalars()
    )

    def check_codes(codes, path):
        for n, code in enumerate(_list(codes)):
            if code not in known_codes:
                errors.append(
                    DocumentError(f"{path}[{n}]", f"Unknown competency {code!r}: list it under $.competencies.")
                )

    mix = _dict(_dict(course.get("how")).get("modality_mix"))
    if mix and all(isinstance(share, int) for share in mix.values()) and sum(mix.values()) != 100:
        errors.append(DocumentError("$.course.how.modality_mix", "The shares must add up to 100."))
    for n, outcome in enumerate(_list(course.get("outcomes"))):
        check_codes(_dict(outcome).get("competencies"), f"$.course.outcomes[{n}].competencies")

    modules = [[_dict(i) for i in _list(_dict(m).get("items"))] for m in _list(course.get("modules"))]
    keys: dict[str, str] = {}
    for m, items in enumerate(modules):
        for i, item in enumerate(items):
            path = f"$.course.modules[{m}].items[{i}]"
            key = item.get("key")
            if key in keys:
                errors.append(DocumentError(f"{path}.key", f"The key {key!r} is used twice."))
            if isinstance(key, str):
                keys[key] = path
            check_codes(item.get("teaches"), f"{path}.teaches")
            check_codes(item.get("assesses"), f"{path}.assesses")
            if item.get("kind") not in KINDS or "content" not in item:
                continue
            try:
                item["content"] = KINDS[item["kind"]].validate(item["content"])
            except ValidationError as error:
                errors.extend(flatten_errors(error.messages, f"{path}.content"))
            else:
                assessed = set(_list(item.get("assesses")))
                for q, question in enumerate(item["content"].get("questions", [])):
                    question_path = f"{path}.content.questions[{q}].competency"
                    check_codes([question["competency"]], question_path)
                    if question["competency"] not in assessed:
                        errors.append(
                            DocumentError(question_path, "List this competency under the item's assesses too.")
                        )
    for m, items in enumerate(modules):
        for i, item in enumerate(items):
            for field in ("prerequisites", "alternatives"):
                for n, key in enumerate(_list(item.get(field))):
                    if key not in keys or key == item.get("key"):
                        errors.append(DocumentError(f"$.course.modules[{m}].items[{i}].{field}[{n}]",
                                                    f"No other item of this course has the key {key!r}."))  # fmt: skip

    other_courses = {
        c.slug: c for c in db.session.execute(select(Course).where(Course.organisation_id == organisation_id)).scalars()
    }
    goal_slugs: set[str] = set()
    for g, goal in enumerate(_dict(g) for g in _list(document.get("goals"))):
        path = f"$.goals[{g}]"
        if goal.get("slug") in goal_slugs:
            errors.append(DocumentError(f"{path}.slug", "This goal appears twice."))
        goal_slugs.add(goal.get("slug"))
        check_codes(goal.get("competencies"), f"{path}.competencies")
        for n, slug in enumerate(_list(goal.get("courses"))):
            if slug != course.get("slug") and slug not in other_courses:
                errors.append(DocumentError(f"{path}.courses[{n}]", f"Unknown course {slug!r}."))
        package_slugs: set[str] = set()
        for p, package in enumerate(_dict(p) for p in _list(goal.get("packages"))):
            if package.get("slug") in package_slugs:
                errors.append(DocumentError(f"{path}.packages[{p}].slug", "This package appears twice in the goal."))
            package_slugs.add(package.get("slug"))
            for n, entry in enumerate(_dict(e) for e in _list(package.get("items"))):
                entry_path = f"{path}.packages[{p}].items[{n}]"
                if "course" not in entry or "item" not in entry:
                    continue
                if entry["course"] == course.get("slug"):
                    if entry["item"] not in keys:
                        errors.append(
                            DocumentError(
                                f"{entry_path}.item", f"No item of this course has the key {entry['item']!r}."
                            )
                        )
                elif entry["course"] not in other_courses:
                    errors.append(DocumentError(f"{entry_path}.course", f"Unknown course {entry['course']!r}."))
                elif entry["item"] not in _item_keys(services.latest_version(other_courses[entry["course"]])):
                    errors.append(
                        DocumentError(
                            f"{entry_path}.item", f"The course {entry['course']!r} has no item {entry['item']!r}."
                        )
                    )
    return errors + _referencing(organisation_id, course)


# Checks of what items refer to outside the document (a stored package), registered by the
# features that own those things; authoring cannot import them (they build on it).
ReferenceCheck = Callable[[int, list[tuple[str, dict]]], list[DocumentError]]
_reference_checks: dict[str, ReferenceCheck] = {}


def reference_check(check: ReferenceCheck) -> ReferenceCheck:
    """Register ``check(organisation_id, [(JSON path of an item, item)])``, which returns the
    errors of items that refer to something the organisation lacks. Registering a function
    of the same name again replaces it. Returns ``check``, so it works as a decorator."""
    _reference_checks[f"{check.__module__}.{check.__qualname__}"] = check
    return check


def _referencing(organisation_id: int, course: dict) -> list[DocumentError]:
    items = [(f"$.course.modules[{m}].items[{n}]", _dict(item))
             for m, module in enumerate(_list(course.get("modules")))
             for n, item in enumerate(_list(_dict(module).get("items")))]  # fmt: skip
    return [error for check in _reference_checks.values() for error in check(organisation_id, items)]


def _item_keys(version: CourseVersion) -> set[str]:
    return {item.key for item in version.items}


def import_document(admin, raw: bytes | str) -> CourseVersion:
    """Check and store a document in the admin's organisation, as a draft; returns the version.

    A new slug makes a new course. For a known slug the document replaces the newest version
    when it is a draft, and becomes a new draft otherwise. Competencies and goals are matched
    by code and slug and updated. Raises ``DocumentRejected`` or ``Conflict``; writes nothing then.
    """
    organisation_id = admin.organisation_id
    document = read_document(organisation_id, raw)
    data = document["course"]
    competencies = _upsert_competencies(organisation_id, document["competencies"])

    course = services.find_course(organisation_id, data["slug"])
    if course is None:
        course = Course(organisation_id=organisation_id, slug=data["slug"], created_by_id=admin.id)
        version = CourseVersion(course=course, number=1, title=data["title"], created_by_id=admin.id)
        db.session.add_all([course, version])
    else:
        latest = services.latest_version(course)
        if latest.status == "in_review":
            raise Conflict(f"The course {course.slug!r} is in review; approve it or send it back first.")
        if latest.status == "draft":
            version = latest
            version.outcomes.clear()
            for item in list(version.items):  # items first: modules do not cascade to them
                db.session.delete(item)
            db.session.flush()
            version.modules.clear()
            db.session.flush()
        else:
            version = CourseVersion(
                course=course, number=latest.number + 1, title=data["title"], created_by_id=admin.id
            )
            db.session.add(version)
    _fill_version(version, data, competencies)
    db.session.flush()
    _upsert_goals(organisation_id, document["goals"], competencies, {course.slug: course})
    services.log_change(course, version, admin.id, "imported", title=version.title)
    db.session.flush()
    return version


def _upsert_competencies(organisation_id: int, entries: list[dict]) -> dict[str, Competency]:
    existing = {
        c.code: c
        for c in db.session.execute(select(Competency).where(Competency.organisation_id == organisation_id)).scalars()
    }
    for entry in entries:
        competency = existing.get(entry["code"])
        if competency is None:
            competency = Competency(organisation_id=organisation_id, code=entry["code"])
            db.session.add(competency)
            existing[entry["code"]] = competency
        competency.name, competency.description = entry["name"], entry["description"]
        if entry.get("translations"):  # a document without them leaves the ones kept here alone
            competency.translations = {**(competency.translations or {}), **entry["translations"]}
    return existing


def _fill_version(version: CourseVersion, data: dict, competencies: dict[str, Competency]) -> None:
    version.language = data["language"]
    version.title = data["title"]
    version.summary = data["summary"]
    version.questions = list(data["questions"])
    audience, why, how = data["audience"], data["why"], data["how"]
    version.audience_role = audience.get("role", "")
    version.audience_experience = audience.get("experience", "")
    version.audience_prior_learning = audience.get("prior_learning", "")
    version.audience_language = audience.get("language", "")
    version.problem_today = why.get("problem_today", "")
    version.cost_of_inaction = why.get("cost_of_inaction", "")
    version.approach = how.get("approach", "")
    version.modality_mix = dict(how.get("modality_mix", {}))
    version.expected_minutes = how.get("expected_minutes", 0)
    version.span_weeks = how.get("span_weeks", 1)
    for n, outcome in enumerate(data["outcomes"]):
        version.outcomes.append(
            Outcome(
                position=n,
                statement=outcome["statement"],
                competencies=[competencies[c] for c in outcome["competencies"]],
            )  # fmt: skip
        )
    by_key: dict[str, Item] = {}
    for m, module_data in enumerate(data["modules"]):
        module = Module(version=version, position=m, title=module_data["title"], summary=module_data["summary"])
        db.session.add(module)  # many-to-one assignment does not cascade into the session
        for i, entry in enumerate(module_data["items"]):
            by_key[entry["key"]] = Item(
                version=version, module=module, key=entry["key"], position=i, kind=entry["kind"],
                title=entry["title"], minutes=entry["minutes"], language=entry["language"] or version.language,
                content=entry["content"],
                teaches=[competencies[c] for c in entry["teaches"]],
                assesses=[competencies[c] for c in entry["assesses"]],
            )  # fmt: skip
            db.session.add(by_key[entry["key"]])
    for module_data in data["modules"]:
        for entry in module_data["items"]:
            by_key[entry["key"]].prerequisites = [by_key[k] for k in entry["prerequisites"]]
            by_key[entry["key"]].alternatives = [by_key[k] for k in entry["alternatives"]]


def _upsert_goals(organisation_id: int, entries: list[dict], competencies: dict[str, Competency],
                  imported: dict[str, Course]) -> None:  # fmt: skip
    courses = {
        c.slug: c for c in db.session.execute(select(Course).where(Course.organisation_id == organisation_id)).scalars()
    } | imported
    for entry in entries:
        goal = db.session.execute(
            select(Goal).where(Goal.organisation_id == organisation_id, Goal.slug == entry["slug"])
        ).scalar_one_or_none()
        if goal is None:
            goal = Goal(organisation_id=organisation_id, slug=entry["slug"])
            db.session.add(goal)
        goal.title, goal.description, goal.language = entry["title"], entry["description"], entry["language"]
        goal.suggested_roles = list(entry["suggested_roles"])
        goal.competencies = [competencies[c] for c in entry["competencies"]]
        goal.courses = sorted({*goal.courses, *(courses[s] for s in entry["courses"])}, key=lambda c: c.slug)
        goal.packages.clear()
        db.session.flush()
        for p, package_data in enumerate(entry["packages"]):
            package = Package(slug=package_data["slug"], position=p, title=package_data["title"],
                              description=package_data["description"], weeks=package_data["weeks"])  # fmt: skip
            goal.packages.append(package)
            package.entries = [
                PackageItem(course=courses[e["course"]], item_key=e["item"], position=n, mandatory=e["mandatory"])
                for n, e in enumerate(package_data["items"])
            ]


# --- export ----------------------------------------------------------------------------


def export_document(course: Course, version: CourseVersion | None = None) -> str:
    """The course (newest version unless ``version``) as a JSON document, deterministically."""
    version = version or services.latest_version(course)
    _loaded = services.load_version_links(version)  # held: see its docstring
    used_codes: set[str] = set()

    def codes(competencies) -> list[str]:
        found = [c.code for c in competencies]
        used_codes.update(found)
        return sorted(found)

    modules = []
    for module in version.modules:
        items = []
        for item in module.items:
            for question in item.content.get("questions", []):
                used_codes.add(question["competency"])
            items.append({
                "key": item.key, "kind": item.kind, "title": item.title, "minutes": item.minutes,
                "language": item.language, "teaches": codes(item.teaches), "assesses": codes(item.assesses),
                "prerequisites": [p.key for p in item.prerequisites], "alternatives": [a.key for a in item.alternatives],
                "content": item.content,
            })  # fmt: skip
        modules.append({"title": module.title, "summary": module.summary, "items": items})

    goals = (
        db.session.execute(
            select(Goal)
            .where(Goal.organisation_id == course.organisation_id, Goal.courses.contains(course))
            .order_by(Goal.slug)
        )
        .scalars()
        .all()
    )
    goal_documents = [
        {
            "slug": goal.slug,
            "title": goal.title,
            "description": goal.description,
            "language": goal.language,
            "suggested_roles": list(goal.suggested_roles),
            "competencies": codes(goal.competencies),
            "courses": sorted(c.slug for c in goal.courses),
            "packages": [
                {
                    "slug": p.slug,
                    "title": p.title,
                    "description": p.description,
                    "weeks": p.weeks,
                    "items": [
                        {"course": e.course.slug, "item": e.item_key, "mandatory": e.mandatory} for e in p.entries
                    ],
                }
                for p in goal.packages
            ],
        }  # fmt: skip
        for goal in goals
    ]
    outcomes = [{"statement": o.statement, "competencies": codes(o.competencies)} for o in version.outcomes]
    competencies = db.session.execute(
        select(Competency).where(Competency.organisation_id == course.organisation_id, Competency.code.in_(used_codes))
        .order_by(Competency.code)
    ).scalars().all()  # fmt: skip

    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "course": {
            "slug": course.slug,
            "language": version.language,
            "title": version.title,
            "summary": version.summary,
            "questions": list(version.questions),
            "audience": {
                "role": version.audience_role,
                "experience": version.audience_experience,
                "prior_learning": version.audience_prior_learning,
                "language": version.audience_language,
            },
            "why": {"problem_today": version.problem_today, "cost_of_inaction": version.cost_of_inaction},
            "how": {
                "approach": version.approach,
                "modality_mix": dict(sorted(version.modality_mix.items())),
                "expected_minutes": version.expected_minutes,
                "span_weeks": version.span_weeks,
            },
            "outcomes": outcomes,
            "modules": modules,
        },  # fmt: skip
        "competencies": [
            {
                "code": c.code,
                "name": c.name,
                "description": c.description,
                **({"translations": dict(sorted(c.translations.items()))} if c.translations else {}),
            }
            for c in competencies
        ],  # fmt: skip
        "goals": goal_documents,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
