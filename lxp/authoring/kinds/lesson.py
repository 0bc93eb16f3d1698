"""A lesson: text to read (Markdown), perhaps a video; the learner ticks it off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lxp.authoring.item_forms import MARKDOWN_HINT, ItemForm
from lxp.authoring.kinds.base import HTTP_URL, Completes, ItemKind, Strict, register, text_field


class LessonContent(Strict):
    markdown = text_field()
    video_url = fields.String(load_default=None, allow_none=True, validate=HTTP_URL)


class LessonForm(ItemForm):
    markdown = TextAreaField(
        _l("Text (Markdown)"), validators=[DataRequired(), Length(max=20_000)], description=MARKDOWN_HINT
    )
    video_url = StringField(_l("Video link (optional)"), validators=[Optional(), Length(max=500)])

    def content(self):
        return {"markdown": self.markdown.data, "video_url": (self.video_url.data or "").strip() or None}

    def fill_content(self, content):
        self.markdown.data, self.video_url.data = content.get("markdown"), content.get("video_url")


@register
class Lesson(ItemKind):
    name, label, modality, order = "lesson", _l("Lesson"), "self_paced", 10
    schema, form, completes = LessonContent, LessonForm, Completes.SELF
