"""A checklist: a short job aid of points to check at work. The learner ticks the points; the
block is done when every point is ticked, or when they tick "done" (some did not apply).

The whole kind is this module and ``templates/blocks/checklist.html``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lxp.authoring.item_forms import MARKDOWN_HINT, ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, SelfCompletion, Strict, register, text_field
from lxp.core.errors import Invalid

MOST_CHECKS = 30


class ChecklistContent(Strict):
    intro = text_field(required=False, max_length=2000)
    checks = fields.List(text_field(max_length=300), required=True, validate=validate.Length(min=1, max=MOST_CHECKS))


class ChecklistForm(ItemForm):
    intro = TextAreaField(_l("Introduction (optional)"), validators=[Optional(), Length(max=2000)],
                          description=MARKDOWN_HINT)  # fmt: skip
    checks = TextAreaField(_l("Points to check"), validators=[DataRequired(), Length(max=MOST_CHECKS * 300)],
                           description=_l("One point per line, short enough to read at work."))  # fmt: skip

    def content(self):
        checks = [line.strip() for line in (self.checks.data or "").splitlines() if line.strip()]
        return {"intro": (self.intro.data or "").strip(), "checks": checks}

    def fill_content(self, content):
        self.intro.data, self.checks.data = content.get("intro", ""), "\n".join(content.get("checks", []))


@register
class Checklist(ItemKind):
    name, label, modality, order = "checklist", _l("Checklist"), "self_paced", 45
    schema, form, completes = ChecklistContent, ChecklistForm, Completes.SELF
    keeps_response = True  # the ticks are there again when the learner comes back

    def response_from_form(self, form, content):
        ticked = sorted({int(value) for value in form.getlist("ticked") if value.isdigit()})
        return {"ticked": ticked, "done": form.get("done") == "1"}

    def complete(self, content, response):
        """Done when every point is ticked or ``done`` is. Raises ``Invalid`` otherwise, and
        for a tick of a point the checklist does not have."""
        response = response if isinstance(response, dict) else {}
        ticked, done = response.get("ticked") or [], response.get("done") is True
        if not isinstance(ticked, list) or not all(type(n) is int and 0 <= n < len(content["checks"]) for n in ticked):
            raise Invalid(_l("Tick the points of this checklist."), field="ticked")
        ticked = sorted(set(ticked))
        if len(ticked) < len(content["checks"]) and not done:
            raise Invalid(_l("Tick every point, or tick \u201cDone\u201d if some did not apply."), field="ticked")
        return SelfCompletion({"ticked": ticked, "done": done})

    def reference_text(self, content):
        points = "\n".join(f"- {point}" for point in content["checks"])
        return f"{content.get('intro') or ''}\n\n{points}".strip()
