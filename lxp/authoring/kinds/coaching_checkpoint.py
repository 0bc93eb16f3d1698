"""A coaching checkpoint: what learner and coach talk about, some weeks into the path."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.authoring.item_forms import ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, Strict, register, text_field


class CoachingCheckpointContent(Strict):
    agenda = text_field(max_length=5000)
    due_after_weeks = fields.Integer(load_default=1, validate=validate.Range(min=0, max=52))


class CoachingCheckpointForm(ItemForm):
    agenda = TextAreaField(_l("What learner and coach discuss"), validators=[DataRequired(), Length(max=5000)])
    due_after_weeks = IntegerField(_l("Due after (weeks)"), validators=[Optional(), NumberRange(0, 52)], default=1)

    def content(self):
        return {"agenda": self.agenda.data, "due_after_weeks": self.due_after_weeks.data or 0}

    def fill_content(self, content):
        self.agenda.data, self.due_after_weeks.data = content.get("agenda"), content.get("due_after_weeks", 1)


@register
class CoachingCheckpoint(ItemKind):
    name, label, modality, order = "coaching_checkpoint", _l("Coaching checkpoint"), "coaching", 60
    schema, form, completes = CoachingCheckpointContent, CoachingCheckpointForm, Completes.COACHED
    short_block = False
    outside_template = "blocks/coaching_checkpoint_outside.html"
