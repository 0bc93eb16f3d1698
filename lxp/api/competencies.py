"""For admins (``admin`` role, and with a token the ``admin`` scope): the organisation's
competencies, with their name and description in each language learners may choose. The
same services as the catalogue pages; learners read the names in their language on their
goals and on the reasons of their path (``learning``)."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.api.paging import PageArgs, page_schema, paginate
from lxp.authoring import competencies
from lxp.authoring.text import MAX_COMPETENCY_DESCRIPTION, MAX_TITLE
from lxp.core.i18n import LANGUAGE_NAMES

bp = area("competencies", "For admins: competencies and their names in each language", "admin", admin=True)

COMPETENCY_LIST_LIMIT = 10_000


class CompetencyTranslationSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_TITLE))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_COMPETENCY_DESCRIPTION))


# One optional key per language learners may choose; any other key is refused (422).
TranslationsSchema = ma.Schema.from_dict(
    {
        code: ma.fields.Nested(CompetencyTranslationSchema, metadata={"description": f"in {language}"})
        for code, language in LANGUAGE_NAMES.items()
    },
    name="CompetencyTranslationsSchema",
)


class CompetencySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "fixed once made: course documents refer to it"})
    name = ma.fields.String(metadata={"description": "the organisation's own name"})
    description = ma.fields.String()
    translations = ma.fields.Nested(TranslationsSchema, metadata={
        "description": "name and description per language; learners who chose it read these"})  # fmt: skip


class CompetencyFilter(PageArgs):
    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=200),
                         metadata={"description": "part of the code or of a name in any language"})  # fmt: skip


class NewCompetencySchema(ma.Schema):
    code = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64),
                            metadata={"description": "made from the name when left out"})  # fmt: skip
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_TITLE))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_COMPETENCY_DESCRIPTION))
    translations = ma.fields.Nested(TranslationsSchema, load_default=dict)


class CompetencyChangeSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(1, MAX_TITLE))
    description = ma.fields.String(validate=ma.validate.Length(max=MAX_COMPETENCY_DESCRIPTION))
    translations = ma.fields.Nested(TranslationsSchema, metadata={
        "description": "replaces every translation: a language left out is dropped"})  # fmt: skip


CompetencyPage = page_schema(CompetencySchema, "CompetencyPage")


@bp.get("/competencies")
@bp.arguments(CompetencyFilter, location="query")
@bp.response(200, CompetencyPage)
def list_competencies(args):
    """Competencies of your organisation by code, each with its names in other languages;
    ``q`` filters by code or by a name in any language."""
    found = competencies.search_competencies(current_user, args["q"], page=1, per_page=COMPETENCY_LIST_LIMIT).items
    return paginate(found, list_name="admin.competencies", key=lambda c: (c.code, c.id), limit=args["limit"],
                    page_token=args["page_token"])  # fmt: skip


@bp.post("/competencies")
@bp.arguments(NewCompetencySchema)
@bp.response(201, CompetencySchema)
def create_competency(args):
    """Add a competency, with its name and description in other languages. 409 when the code
    is in use."""
    return competencies.create_competency(current_user, args["code"], args["name"], args["description"],
                                          args["translations"])  # fmt: skip


@bp.get("/competencies/<int(max=2147483647):competency_id>")
@bp.response(200, CompetencySchema)
def get_competency(competency_id: int):
    """One competency of your organisation."""
    return competencies.get_competency(current_user, competency_id)


@bp.patch("/competencies/<int(max=2147483647):competency_id>")
@bp.arguments(CompetencyChangeSchema)
@bp.response(200, CompetencySchema)
def change_competency(change, competency_id: int):
    """Change the name, the description or the translations; fields left out stay as they are.
    The code stays: course documents refer to it."""
    competency = competencies.get_competency(current_user, competency_id)
    competencies.update_competency(current_user, competency, change.get("name", competency.name),
                                   change.get("description", competency.description),
                                   change.get("translations"))  # fmt: skip
    return competency


@bp.delete("/competencies/<int(max=2147483647):competency_id>")
@bp.response(204)
def delete_competency(competency_id: int):
    """Delete a competency nothing uses; 409, saying what uses it, otherwise."""
    competencies.delete_competency(current_user, competencies.get_competency(current_user, competency_id))
