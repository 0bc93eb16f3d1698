"""The item editor's common part; each kind's own fields are in its module under
``lxp.authoring.kinds`` (``ItemKind.form``).

Repeated parts (quiz questions and options, rubric criteria) are shown with a few blank rows
to fill in; blank rows are ignored. No JavaScript is needed to add a question.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from lxp.authoring.forms import language_choices
from lxp.core.forms import CheckboxListField, Form

MARKDOWN_HINT = _l("Markdown: **bold**, lists, [links](https://…) and images ![description](https://…).")
_COMMON_FIELDS = frozenset(
    ("csrf_token", "module", "title", "minutes", "language", "teaches", "assesses", "prerequisites", "alternatives")
)


class ItemForm(Form):
    module = SelectField(_l("Module"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(_l("Estimated minutes"), validators=[DataRequired(), NumberRange(1, 600)])
    language = SelectField(_l("Language"), choices=language_choices)
    teaches = CheckboxListField(_l("Teaches"), coerce=int)
    assesses = CheckboxListField(_l("Assesses"), coerce=int)
    prerequisites = CheckboxListField(_l("Needs first"), coerce=int)
    alternatives = CheckboxListField(_l("Can be replaced by"), coerce=int)

    def content_fields(self) -> list:
        """The kind's own fields, in the order they are declared (the editor shows them with
        their ``description`` as a hint, unless the kind has an ``editor_template``)."""
        return [f for f in self if f.name not in _COMMON_FIELDS]

    def content(self) -> dict:
        raise NotImplementedError

    def fill_content(self, content: dict) -> None:
        raise NotImplementedError

    def prepare_rows(self, competency_codes: list[str]) -> None:
        """Give repeated rows their choices; forms without rows have nothing to do."""


def fill_plain(row_form, values: dict) -> None:
    for name, value in values.items():
        getattr(row_form, name).data = value


def set_rows(field_list: FieldList, values: list[dict], blank: int, fill=fill_plain) -> None:
    """Show ``values`` in ``field_list``, followed by ``blank`` empty rows."""
    while len(field_list):
        field_list.pop_entry()
    for value in values:
        fill(field_list.append_entry().form, value)
    for _ in range(blank):
        field_list.append_entry()
