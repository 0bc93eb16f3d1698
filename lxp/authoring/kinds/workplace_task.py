"""An on-the-job task: instructions, the evidence expected and the rubric a coach reviews it by."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import FieldList, FormField, TextAreaField
from wtforms.validators import DataRequired, Length

from lxp.authoring.forms import CriterionRow
from lxp.authoring.item_forms import ItemForm, set_rows
from lxp.authoring.kinds.base import Completes, ItemKind, Strict, register, text_field
from lxp.core.forms import CheckboxListField

EVIDENCE_TYPES = ("text", "photo", "file", "link")
BLANK_CRITERIA = 2


class RubricCriterion(Strict):
    criterion = text_field(max_length=200)
    description = text_field(required=False, max_length=2000)


class WorkplaceTaskContent(Strict):
    instructions = text_field()
    evidence = fields.List(
        fields.String(validate=validate.OneOf(EVIDENCE_TYPES)), required=True, validate=validate.Length(min=1)
    )
    rubric = fields.List(fields.Nested(RubricCriterion), required=True, validate=validate.Length(min=1, max=12))


def evidence_choices():
    labels = {"text": _l("Written account"), "photo": _l("Photo"), "file": _l("File"), "link": _l("Link")}
    return [(name, labels[name]) for name in EVIDENCE_TYPES]


class WorkplaceTaskForm(ItemForm):
    instructions = TextAreaField(_l("Instructions"), validators=[DataRequired(), Length(max=20_000)])
    evidence = CheckboxListField(_l("Evidence expected"), choices=evidence_choices)
    rubric = FieldList(FormField(CriterionRow), min_entries=BLANK_CRITERIA)

    def content(self):
        rows = [row.form for row in self.rubric]
        return {
            "instructions": self.instructions.data,
            "evidence": list(self.evidence.data or []),
            "rubric": [
                {"criterion": r.criterion.data.strip(), "description": (r.description.data or "").strip()}
                for r in rows
                if (r.criterion.data or "").strip()
            ],  # fmt: skip
        }

    def fill_content(self, content):
        self.instructions.data = content.get("instructions")
        self.evidence.data = content.get("evidence", [])
        set_rows(self.rubric, content.get("rubric", []), BLANK_CRITERIA)


@register
class WorkplaceTask(ItemKind):
    name, label, modality, order = "workplace_task", _l("On-the-job task"), "on_the_job", 70
    shared_as = "evidence"  # its last sent evidence
    schema, form, completes = WorkplaceTaskContent, WorkplaceTaskForm, Completes.REVIEWED
    short_block = False
    shows_due_date = True  # the evidence is due by then
    editor_template = "authoring/course/_workplace_task_fields.html"
    outside_template = "workplace/_task.html"  # the evidence forms, outside the player's form
