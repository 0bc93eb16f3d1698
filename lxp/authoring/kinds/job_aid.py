"""A job aid: reference text to look up at work; found by the job-aid search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lxp.authoring.item_forms import MARKDOWN_HINT, ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, Strict, register, text_field


class JobAidContent(Strict):
    markdown = text_field()


class JobAidForm(ItemForm):
    markdown = TextAreaField(
        _l("Reference text (Markdown)"), validators=[DataRequired(), Length(max=20_000)], description=MARKDOWN_HINT
    )

    def content(self):
        return {"markdown": self.markdown.data}

    def fill_content(self, content):
        self.markdown.data = content.get("markdown")


@register
class JobAid(ItemKind):
    name, label, modality, order = "job_aid", _l("Job aid"), "self_paced", 40
    schema, form, completes = JobAidContent, JobAidForm, Completes.SELF

    def reference_text(self, content):
        return content.get("markdown")
