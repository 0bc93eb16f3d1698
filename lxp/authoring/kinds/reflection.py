"""A reflection: a prompt; the learner writes a few words that only they can read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lxp.authoring.item_forms import ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, SelfCompletion, Strict, register, text_field
from lxp.core.errors import Invalid

LONGEST = 10_000


class ReflectionContent(Strict):
    prompt = text_field(max_length=2000)


class ReflectionForm(ItemForm):
    prompt = TextAreaField(_l("Prompt"), validators=[DataRequired(), Length(max=2000)])

    def content(self):
        return {"prompt": self.prompt.data}

    def fill_content(self, content):
        self.prompt.data = content.get("prompt")


@register
class Reflection(ItemKind):
    name, label, modality, order = "reflection", _l("Reflection"), "self_paced", 30
    shared_as = "reflection"  # its text
    schema, form, completes = ReflectionContent, ReflectionForm, Completes.SELF
    keeps_response = True

    def response_from_form(self, form, content):
        return form.get("reflection")

    def complete(self, content, response):
        """Keeps what the learner wrote, privately. Raises ``Invalid`` for an empty or overlong text."""
        written = (response if isinstance(response, str) else "").strip()
        if not written:
            raise Invalid(_l("Write a few words first; only you can read them."), field="reflection")
        if len(written) > LONGEST:
            raise Invalid(_l("Use at most 10,000 characters."), field="reflection")
        return SelfCompletion(written, private=True)
