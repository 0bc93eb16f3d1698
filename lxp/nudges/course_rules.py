"""Each course's journey of touchpoints: the default rules as an admin changed them for it.

A course without a stored version of a rule uses the default (``rules.DEFAULT_RULES``). The
admin may switch a rule off or on, change the numbers its trigger kind allows, its priority,
its channels in order, a holdout share, and its words per language. Templates are checked on
saving: a variable the rule does not offer is refused, naming it, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp import channels
from lxp.accounts.models import User
from lxp.authoring.models import Course, CourseVersion
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import rules
from lxp.nudges.models import TouchpointRule
from lxp.nudges.rules import DEFAULT_RULES, RULES_BY_KEY, Rule, Template, TemplateError

LOCALES = ("en", "de", "ru")


def course_titles() -> dict[int, str]:
    rows = db.session.execute(select(CourseVersion.course_id, CourseVersion.title).order_by(CourseVersion.number))
    return dict(rows.all())  # the newest version's title wins


def _as_rule(row: TouchpointRule) -> Rule:
    default = RULES_BY_KEY[row.key]
    own = {loc: Template(t.get("subject", ""), t.get("body", "")) for loc, t in (row.templates or {}).items()
           if isinstance(t, dict)}  # fmt: skip
    return rules.configure(default, enabled=row.enabled, params=row.params, priority=row.priority,
                           channels=tuple(row.channels or ()), holdout_percent=row.holdout_percent, templates=own,
                           adaptive_time=row.adaptive_time)  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """One version of a rule and where it applies: ``courses`` None means every course that
    has no version of its own (and messages that belong to no course)."""

    rule: Rule
    courses: frozenset[int] | None
    failing: bool = False  # it failed at the last planning run


def variants() -> dict[str, list[Variant]]:
    """Every rule key -> its versions in use: one statement."""
    own: dict[str, list[TouchpointRule]] = {}
    for row in db.session.execute(select(TouchpointRule).where(TouchpointRule.key.in_(RULES_BY_KEY))).scalars():
        own.setdefault(row.key, []).append(row)
    found = {}
    for default in DEFAULT_RULES:
        rows = own.get(default.key, [])
        found[default.key] = [Variant(default, None)] + [
            Variant(_as_rule(r), frozenset({r.course_id}), r.last_error is not None) for r in rows
        ]
    return found


def rule_for(variants_of_key: list[Variant], course_id: int | None) -> Rule:
    for variant in variants_of_key[1:]:
        if course_id in variant.courses:
            return variant.rule
    return variants_of_key[0].rule


def effective_rule(key: str, course_id: int | None) -> Rule | None:
    """The rule as it applies to a course (the default without a version of its own)."""
    default = RULES_BY_KEY.get(key)
    if default is None or course_id is None:
        return default
    row = db.session.execute(
        select(TouchpointRule).where(TouchpointRule.course_id == course_id, TouchpointRule.key == key)
    ).scalar_one_or_none()
    return _as_rule(row) if row is not None else default


@dataclass(frozen=True)
class CourseRule:
    rule: Rule
    customised: bool
    updated_at: object = None
    last_error: str | None = None  # why it failed at the last planning run, if it did
    last_error_at: object = None


def journey_of(admin: User, course_id: int) -> tuple[object, list[CourseRule]]:
    """The course and its touchpoint rules, in the order they come on a journey. Raises
    ``NotFound`` for a course of another organisation, ``NotAllowed`` for a non-admin."""
    course = _course(admin, course_id)
    rows = {r.key: r for r in db.session.execute(
        select(TouchpointRule).where(TouchpointRule.course_id == course.id)).scalars()}  # fmt: skip
    return course, [
        CourseRule(
            _as_rule(rows[d.key]), True, rows[d.key].updated_at, rows[d.key].last_error, rows[d.key].last_error_at
        )
        if d.key in rows
        else CourseRule(d, False)
        for d in DEFAULT_RULES
    ]


def _course(admin: User, course_id: int):
    if not admin.has_role("admin"):
        raise NotAllowed(_l("Only admins change touchpoints."))
    return get_in_organisation(Course, course_id, admin.organisation_id, _l("There is no such course."))


@dataclass(frozen=True)
class RuleChange:
    enabled: bool
    params: Mapping[str, int]
    priority: int
    channels: tuple[str, ...]
    holdout_percent: int
    templates: Mapping[str, Template]  # locale -> words; an empty subject keeps the default words
    adaptive_time: bool = False


def save_rule(admin: User, course_id: int, key: str, change: RuleChange) -> None:
    """Store the course's version of a rule. Raises ``Invalid`` (naming the field and, for a
    template, the unknown variable), ``NotFound``, ``NotAllowed``; nothing is stored then."""
    course = _course(admin, course_id)
    default = RULES_BY_KEY.get(key)
    if default is None:
        raise NotFound(_l("There is no such touchpoint."))
    for name, value in change.params.items():
        low, high = rules.EDITABLE[default.trigger].get(name, (None, None))
        if low is None:
            raise Invalid(_l("This touchpoint has no setting %(name)s.", name=name), field=name)
        if not low <= value <= high:
            raise Invalid(_l("Choose a number from %(low)d to %(high)d.", low=low, high=high), field=name)
    if not 0 <= change.priority <= 100:
        raise Invalid(_l("Choose a priority from 0 to 100."), field="priority")
    if not 0 <= change.holdout_percent <= 50:
        raise Invalid(_l("Keep back between 0 and 50 percent."), field="holdout_percent")
    if len(set(change.channels)) != len(change.channels) or not set(change.channels) <= set(channels.names()):
        raise Invalid(_l("Choose each channel at most once."), field="channels")
    stored = {}
    for locale, template in change.templates.items():
        if locale not in LOCALES:
            raise Invalid(_l("Unknown language %(locale)s.", locale=locale), field="templates")
        if not template.subject.strip() and not template.body.strip():
            continue
        if not template.subject.strip():
            raise Invalid(_l("Give the message a subject."), field=f"{locale}_subject")
        for part, text in (("subject", template.subject), ("body", template.body)):
            try:
                rules.check_template(default, text)
            except TemplateError as error:
                allowed = ", ".join(f"{{{v}}}" for v in default.allowed_variables)
                if error.placeholder:
                    message = _l("Write %(placeholder)s as {%(name)s}: a variable takes no format or conversion.",
                                 placeholder=error.placeholder, name=error.variable)  # fmt: skip
                elif error.variable:
                    message = _l("Unknown variable {%(name)s}. You can use %(allowed)s.", name=error.variable,
                                 allowed=allowed)  # fmt: skip
                else:
                    message = _l("Write variables in braces, like {name}; use {{ and }} for a brace itself.")
                raise Invalid(message, field=f"{locale}_{part}") from None
        stored[locale] = {"subject": template.subject.strip()[:200], "body": template.body.strip()[:2000]}
    row = db.session.execute(
        select(TouchpointRule).where(TouchpointRule.course_id == course.id, TouchpointRule.key == key)
    ).scalar_one_or_none()
    if row is None:
        row = TouchpointRule(course_id=course.id, key=key)
        db.session.add(row)
    row.enabled, row.params, row.priority = change.enabled, dict(change.params), change.priority
    row.channels, row.holdout_percent, row.templates = list(change.channels), change.holdout_percent, stored
    row.adaptive_time = change.adaptive_time and not default.asked_for  # a reminder asked for keeps its hour
    row.updated_at, row.updated_by_id = utcnow(), admin.id
    db.session.flush()


def reset_rule(admin: User, course_id: int, key: str) -> None:
    """Back to the default for this course. Idempotent."""
    course = _course(admin, course_id)
    row = db.session.execute(
        select(TouchpointRule).where(TouchpointRule.course_id == course.id, TouchpointRule.key == key)
    ).scalar_one_or_none()
    if row is not None:
        db.session.delete(row)
    db.session.flush()
