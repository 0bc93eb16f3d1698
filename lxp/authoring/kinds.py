"""Item kinds behind one small interface and a registry.

Each kind names its modality and validates its ``content`` with a marshmallow schema.
Adding a kind is one new class here with ``@register``; the editor, the import format and the
preview pick it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

KINDS: dict[str, ItemKind] = {}
HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)
EVIDENCE_TYPES = ("text", "photo", "file", "link")


@dataclass(frozen=True)
class ItemKind:
    name: str
    label: object  # a lazy translated string
    modality: str
    schema: type[Schema]
    # Blocks a learner works through alone should stay short; others (a live session) may not.
    short_block: bool = True

    def validate(self, content: dict) -> dict:
        """The content as the schema loads it. Raises ``marshmallow.ValidationError``."""
        return self.schema().load(content or {})


def register(kind: ItemKind) -> ItemKind:
    if kind.name in KINDS:
        raise ValueError(f"item kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _text(required=True, max_length=20_000):
    return fields.String(required=required, validate=validate.Length(min=1 if required else 0, max=max_length))


class LessonContent(_Strict):
    markdown = _text()
    video_url = fields.String(load_default=None, allow_none=True, validate=HTTP_URL)


class QuizOption(_Strict):
    text = _text(max_length=500)
    correct = fields.Boolean(required=True)
    feedback = _text(required=False, max_length=1000)


class QuizQuestion(_Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=36))
    prompt = _text(max_length=2000)
    multiple = fields.Boolean(load_default=False)
    competency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    options = fields.List(fields.Nested(QuizOption), required=True, validate=validate.Length(min=2, max=8))

    @validates_schema
    def _one_right_answer_at_least(self, data, **kwargs):
        correct = sum(1 for option in data.get("options", []) if option["correct"])
        if correct == 0:
            raise ValidationError(str(_l("Mark at least one option as correct.")), "options")
        if correct > 1 and not data.get("multiple"):
            raise ValidationError(str(_l("A single-choice question has exactly one correct option.")), "options")


class QuizContent(_Strict):
    pass_mark = fields.Integer(load_default=80, validate=validate.Range(min=1, max=100))  # percent
    max_attempts = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=20))
    questions = fields.List(fields.Nested(QuizQuestion), required=True, validate=validate.Length(min=1, max=50))

    @validates_schema
    def _question_keys_unique(self, data, **kwargs):
        keys = [q["key"] for q in data.get("questions", [])]
        if len(keys) != len(set(keys)):
            raise ValidationError(str(_l("Two questions have the same key.")), "questions")


class ReflectionContent(_Strict):
    prompt = _text(max_length=2000)


class JobAidContent(_Strict):
    markdown = _text()


class LiveSessionContent(_Strict):
    agenda = _text(max_length=5000)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=8 * 60))


class CoachingCheckpointContent(_Strict):
    agenda = _text(max_length=5000)
    due_after_weeks = fields.Integer(load_default=1, validate=validate.Range(min=0, max=52))


class RubricCriterion(_Strict):
    criterion = _text(max_length=200)
    description = _text(required=False, max_length=2000)


class WorkplaceTaskContent(_Strict):
    instructions = _text()
    evidence = fields.List(
        fields.String(validate=validate.OneOf(EVIDENCE_TYPES)), required=True, validate=validate.Length(min=1)
    )
    rubric = fields.List(fields.Nested(RubricCriterion), required=True, validate=validate.Length(min=1, max=12))


register(ItemKind("lesson", _l("Lesson"), "self_paced", LessonContent))
register(ItemKind("quiz", _l("Quiz"), "self_paced", QuizContent))
register(ItemKind("reflection", _l("Reflection"), "self_paced", ReflectionContent))
register(ItemKind("job_aid", _l("Job aid"), "self_paced", JobAidContent))
register(ItemKind("live_session", _l("Live session"), "live", LiveSessionContent, short_block=False))
register(
    ItemKind("coaching_checkpoint", _l("Coaching checkpoint"), "coaching", CoachingCheckpointContent, short_block=False)
)
register(ItemKind("workplace_task", _l("On-the-job task"), "on_the_job", WorkplaceTaskContent, short_block=False))
