"""Competencies of an organisation: what outcomes promise and items teach and assess.

Each writing function is one unit of work; errors are ``lxp.core.errors`` types naming the
field, and nothing is written when one is raised. Another organisation's competency is ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from lxp.authoring import kinds, services
from lxp.authoring.models import (
    Competency,
    Course,
    CourseVersion,
    Goal,
    Item,
    Outcome,
    item_assesses,
    item_teaches,
    outcome_competencies,
)
from lxp.authoring.text import CODE, MAX_COMPETENCY_DESCRIPTION, MAX_TITLE, ascii_slug, check_text
from lxp.core.errors import Conflict, Invalid
from lxp.core.i18n import LANGUAGE_NAMES
from lxp.core.paging import paginate
from lxp.core.tenancy import get_in_organisation
from lxp.extensions import db

# --- competencies -----------------------------------------------------------------------


def get_competency(admin, competency_id: int) -> Competency:
    """The competency with this id in the admin's organisation. Raises ``NotFound``."""
    return get_in_organisation(Competency, competency_id, admin.organisation_id, _l("No such competency."))


def search_competencies(admin, query: str = "", page: int = 1, per_page: int = 50):
    """The organisation's competencies whose code or name, in any language, contains ``query``,
    by code, paginated."""
    statement = select(Competency).where(Competency.organisation_id == admin.organisation_id)
    words = (query or "").strip().lower()
    if words:
        # Names in other languages sit in a JSON column, which databases store with their own
        # escaping: match them here (an organisation has dozens of competencies, not millions).
        rows = db.session.execute(
            select(Competency.id, Competency.code, Competency.name, Competency.translations).where(
                Competency.organisation_id == admin.organisation_id
            )
        ).all()
        matching = [
            row.id
            for row in rows
            if any(words in text.lower() for text in (row.code, row.name, *_translated_names(row.translations)))
        ]
        statement = statement.where(Competency.id.in_(matching))
    statement = statement.order_by(Competency.code, Competency.id)
    return paginate(statement, page, per_page)


def _translated_names(translations: dict | None) -> list[str]:
    return [text.get("name") or "" for text in (translations or {}).values()]


def all_competencies(admin) -> list[Competency]:
    """Every competency of the organisation, by code (for choosing a goal's competencies)."""
    return list(
        db.session.execute(
            select(Competency).where(Competency.organisation_id == admin.organisation_id).order_by(Competency.code)
        ).scalars()
    )


def _code_taken(organisation_id: int, code: str) -> bool:
    return (
        db.session.execute(
            select(Competency.id).where(
                Competency.organisation_id == organisation_id, func.lower(Competency.code) == code.lower()
            )
        ).first()
        is not None
    )


def create_competency(admin, code: str | None, name: str, description: str = "",
                      translations: dict[str, dict[str, str]] | None = None) -> Competency:  # fmt: skip
    """Add a competency; an empty code is suggested from the name. ``translations`` gives the
    name and description per language as ``update_competency`` takes them.

    Raises ``Invalid`` for a missing or too long name, a malformed code or a name from which no
    code can be suggested, or a translation as ``update_competency`` refuses it; ``Conflict``
    when the code is in use in the organisation (in any case).
    """
    name = check_text(name, MAX_TITLE, "name", _l("Give the competency a name."))
    description = check_text(description, MAX_COMPETENCY_DESCRIPTION, "description")
    kept = _checked_translations(translations or {})
    code = (code or "").strip().lower()
    if not code:
        code = ascii_slug(name, 64)
        if not code:
            raise Invalid(_l("Enter a code: no code can be made from this name."), field="code")
    if not CODE.match(code):
        raise Invalid(
            _l("Use up to 64 lower-case letters, digits, - or _ for the code, starting with a letter or digit."),
            field="code",
        )
    if _code_taken(admin.organisation_id, code):
        raise Conflict(_l("The code %(code)s is already in use.", code=code), field="code")
    competency = Competency(
        organisation_id=admin.organisation_id, code=code, name=name, description=description, translations=kept
    )
    db.session.add(competency)
    db.session.flush()
    return competency


def update_competency(admin, competency: Competency, name: str, description: str = "",
                      translations: dict[str, dict[str, str]] | None = None) -> None:  # fmt: skip
    """Change name and description, and when ``translations`` is given ({"de": {"name": ...,
    "description": ...}}) the name and description per language: a language with neither is
    dropped. The code stays: imports refer to it.

    Raises ``NotFound`` for another organisation's competency, ``Invalid`` for a missing or too
    long name or description, or a translated description without a translated name.
    """
    services.require_organisation(admin, competency.organisation_id, _l("No such competency."))
    competency.name = check_text(name, MAX_TITLE, "name", _l("Give the competency a name."))
    competency.description = check_text(description, MAX_COMPETENCY_DESCRIPTION, "description")
    if translations is not None:
        competency.translations = _checked_translations(translations)
    db.session.flush()


def _checked_translations(translations: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The translations to store: languages learners may choose, each with a name; a language
    with neither name nor description is dropped. Raises ``Invalid`` naming the field."""
    kept = {}
    for code, text in sorted(translations.items()):
        if code not in LANGUAGE_NAMES:
            raise Invalid(_l("Choose a language learners can pick."), field="translations")
        if not (text.get("name") or "").strip() and not (text.get("description") or "").strip():
            continue
        kept[code] = {
            "name": check_text(text.get("name"), MAX_TITLE, f"name_{code}", _l("Give the name in this language too.")),
            "description": check_text(text.get("description"), MAX_COMPETENCY_DESCRIPTION, f"description_{code}"),
        }
    return kept


@dataclass(frozen=True)
class CompetencyUses:
    """Where a competency is used, counted across all versions of every course.

    Outcomes count once per course and statement and items once per course and item key, so a
    course with three versions does not triple the figures.
    """

    outcomes: int
    items: int
    goals: int

    @property
    def total(self) -> int:
        return self.outcomes + self.items + self.goals


def competency_uses(competency: Competency) -> CompetencyUses:
    """Count the outcomes, items (teaching, assessing, or asked about in a quiz) and goals using it."""
    outcomes = db.session.execute(
        select(CourseVersion.course_id, Outcome.statement)
        .select_from(Outcome)
        .join(Outcome.version)
        .join(outcome_competencies, outcome_competencies.c.outcome_id == Outcome.id)
        .where(outcome_competencies.c.competency_id == competency.id)
        .distinct()
    ).all()
    item_keys = set()
    for link in (item_teaches, item_assesses):
        item_keys |= set(
            db.session.execute(
                select(CourseVersion.course_id, Item.key)
                .select_from(Item)
                .join(Item.version)
                .join(link, link.c.item_id == Item.id)
                .where(link.c.competency_id == competency.id)
            ).all()
        )
    # Questions name the competency they check by code, inside the item's content.
    asking = db.session.execute(
        select(CourseVersion.course_id, Item.key, Item.kind, Item.content)
        .select_from(Item)
        .join(Item.version)
        .join(CourseVersion.course)
        .where(Course.organisation_id == competency.organisation_id, Item.kind.in_(kinds.where("asks_questions")))
    ).all()
    item_keys |= {
        (course_id, key)
        for course_id, key, kind, content in asking
        if any(q.get("competency") == competency.code for q in kinds.get(kind).questions(content or {}))
    }
    goals = db.session.execute(select(func.count(Goal.id)).where(Goal.competencies.contains(competency))).scalar_one()
    return CompetencyUses(outcomes=len(outcomes), items=len(item_keys), goals=goals)


def delete_competency(admin, competency: Competency) -> None:
    """Delete an unused competency.

    Raises ``NotFound`` for another organisation's competency and ``Conflict``, naming how many
    outcomes, items and goals use it, while anything does (in any version of any course).
    """
    services.require_organisation(admin, competency.organisation_id, _l("No such competency."))
    uses = competency_uses(competency)
    if uses.total:
        parts = []
        if uses.outcomes:
            parts.append(str(lazy_ngettext("%(num)d outcome", "%(num)d outcomes", uses.outcomes)))
        if uses.items:
            parts.append(str(lazy_ngettext("%(num)d item", "%(num)d items", uses.items)))
        if uses.goals:
            parts.append(str(lazy_ngettext("%(num)d goal", "%(num)d goals", uses.goals)))
        raise Conflict(
            _l(
                "%(code)s is still used by %(uses)s (counting every version of each course). Take it out of those first.",
                code=competency.code,
                uses=", ".join(parts),
            )
        )
    db.session.delete(competency)
    db.session.flush()
