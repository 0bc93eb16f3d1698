"""The course exchange document (``lxp-course``, version 1), as marshmallow schemas.

These schemas both validate an import and shape an export; ``docs/course-format.json`` is
generated from them (``flask lxp course schema``) and a test keeps it in step.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from lxp.authoring.kinds import KINDS
from lxp.authoring.models import MODALITIES

FORMAT = "lxp-course"
FORMAT_VERSION = 1
KEY = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,35}$", error="Use 1-36 letters, digits, - or _.")
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Use 1-64 lower-case letters, digits, - or _.")
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and dashes.")
LANGUAGE = validate.OneOf(["en", "de", "ru"])


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _text(max_length=20_000, required=False):
    kwargs = {"required": True} if required else {"load_default": ""}
    return fields.String(validate=validate.Length(min=1 if required else 0, max=max_length), **kwargs)


class CompetencyTextSchema(_Strict):
    name = _text(200, required=True)
    description = _text(2000)


class CompetencySchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = _text(200, required=True)
    description = _text(2000)
    # The name and description in other languages, by language code.
    translations = fields.Dict(keys=fields.String(validate=LANGUAGE), values=fields.Nested(CompetencyTextSchema),
                               load_default=dict)  # fmt: skip


class OutcomeSchema(_Strict):
    statement = _text(1000, required=True)
    competencies = fields.List(fields.String(validate=CODE), required=True)


class ItemSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    kind = fields.String(required=True, validate=validate.OneOf(sorted(KINDS)))
    title = _text(200, required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=600))
    language = fields.String(load_default=None, validate=LANGUAGE, metadata={"description": "Default: the course's."})
    teaches = fields.List(fields.String(validate=CODE), load_default=list)
    assesses = fields.List(fields.String(validate=CODE), load_default=list)
    prerequisites = fields.List(fields.String(validate=KEY), load_default=list)
    alternatives = fields.List(fields.String(validate=KEY), load_default=list)
    content = fields.Dict(required=True, metadata={"description": "Validated by the schema of the item's kind."})


class ModuleSchema(_Strict):
    title = _text(200, required=True)
    summary = _text(5000)
    items = fields.List(fields.Nested(ItemSchema), load_default=list)


class AudienceSchema(_Strict):
    role = _text(2000)
    experience = _text(2000)
    prior_learning = _text(2000)
    language = _text(2000)


class WhySchema(_Strict):
    problem_today = _text(5000)
    cost_of_inaction = _text(5000)


class HowSchema(_Strict):
    approach = _text(5000)
    modality_mix = fields.Dict(
        keys=fields.String(validate=validate.OneOf(MODALITIES)),
        values=fields.Integer(validate=validate.Range(min=0, max=100)),
        load_default=dict,
    )
    expected_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))
    span_weeks = fields.Integer(load_default=1, validate=validate.Range(min=1, max=104))


class CourseSchema(_Strict):
    slug = fields.String(required=True, validate=SLUG)
    language = fields.String(load_default="en", validate=LANGUAGE)
    title = _text(200, required=True)
    summary = _text(5000)
    questions = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list)
    audience = fields.Nested(AudienceSchema, load_default=dict)
    why = fields.Nested(WhySchema, load_default=dict)
    how = fields.Nested(HowSchema, load_default=dict)
    outcomes = fields.List(fields.Nested(OutcomeSchema), load_default=list)
    modules = fields.List(fields.Nested(ModuleSchema), load_default=list)


class PackageEntrySchema(_Strict):
    course = fields.String(required=True, validate=SLUG)
    item = fields.String(required=True, validate=KEY)
    mandatory = fields.Boolean(load_default=False)


class PackageSchema(_Strict):
    slug = fields.String(required=True, validate=SLUG)
    title = _text(200, required=True)
    description = _text(5000)
    weeks = fields.Integer(load_default=2, validate=validate.Range(min=1, max=104))
    items = fields.List(fields.Nested(PackageEntrySchema), load_default=list)


class GoalSchema(_Strict):
    slug = fields.String(required=True, validate=SLUG)
    title = _text(200, required=True)
    description = _text(5000)
    language = fields.String(load_default="en", validate=LANGUAGE)
    suggested_roles = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    competencies = fields.List(fields.String(validate=CODE), load_default=list)
    courses = fields.List(fields.String(validate=SLUG), load_default=list)
    packages = fields.List(fields.Nested(PackageSchema), load_default=list)


class DocumentSchema(_Strict):
    format = fields.String(required=True, validate=validate.Equal(FORMAT))
    format_version = fields.Integer(required=True, validate=validate.Equal(FORMAT_VERSION))
    course = fields.Nested(CourseSchema, required=True)
    competencies = fields.List(fields.Nested(CompetencySchema), load_default=list)
    goals = fields.List(fields.Nested(GoalSchema), load_default=list)
