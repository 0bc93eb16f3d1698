"""A live session: an agenda and a length; trainers schedule dates and take attendance."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from lxp.authoring.item_forms import ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, Strict, register, text_field


class LiveSessionContent(Strict):
    agenda = text_field(max_length=5000)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=8 * 60))


class LiveSessionForm(ItemForm):
    agenda = TextAreaField(_l("Agenda"), validators=[DataRequired(), Length(max=5000)])
    duration_minutes = IntegerField(_l("Session length (minutes)"), validators=[DataRequired(), NumberRange(5, 480)])

    def content(self):
        return {"agenda": self.agenda.data, "duration_minutes": self.duration_minutes.data}

    def fill_content(self, content):
        self.agenda.data, self.duration_minutes.data = content.get("agenda"), content.get("duration_minutes")


@register
class LiveSession(ItemKind):
    name, label, modality, order = "live_session", _l("Live session"), "live", 50
    schema, form, completes = LiveSessionContent, LiveSessionForm, Completes.ATTENDED
    short_block = False
