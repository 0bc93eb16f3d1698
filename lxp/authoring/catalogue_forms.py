"""Forms of the catalogue pages. They check shape; the rules live in ``competencies.py`` and ``goals.py``.

A package's items are not a form field: the page lists them as plain ``include`` and
``mandatory`` checkboxes, one pair per item, and the view hands the ticked values on.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lxp.core.forms import CheckboxListField, Form
from lxp.core.i18n import LANGUAGE_NAMES


class CompetencyEditForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw={"rows": 4})

    def translations(self) -> dict[str, dict[str, str]]:
        """The translation fields as ``{"de": {"name": ..., "description": ...}}`` (all languages)."""
        return {code: {"name": self[f"name_{code}"].data or "", "description": self[f"description_{code}"].data or ""}
                for code in LANGUAGE_NAMES}  # fmt: skip

    def fill_translations(self, translations: dict) -> None:
        for code in LANGUAGE_NAMES:
            self[f"name_{code}"].data = (translations or {}).get(code, {}).get("name", "")
            self[f"description_{code}"].data = (translations or {}).get(code, {}).get("description", "")


# The name and description in each language learners may choose, shown to those who chose it.
for _code, _language in LANGUAGE_NAMES.items():
    setattr(
        CompetencyEditForm,
        f"name_{_code}",
        StringField(_l("Name in %(language)s", language=_language), validators=[Optional(), Length(max=200)]),
    )
    setattr(
        CompetencyEditForm,
        f"description_{_code}",
        TextAreaField(
            _l("Description in %(language)s", language=_language), validators=[Length(max=2000)], render_kw={"rows": 3}
        ),
    )


class CompetencyForm(CompetencyEditForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=64)])


class GoalForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name"), validators=[Optional(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 4})
    language = SelectField(_l("Language"), choices=lambda: list(LANGUAGE_NAMES.items()), default="en")
    suggested_roles = TextAreaField(_l("Suggested for these job roles"), render_kw={"rows": 3})
    # Choices come from the organisation's catalogue; the view fills them in.
    competencies = CheckboxListField(_l("Competencies it builds"), coerce=int, choices=[])
    courses = CheckboxListField(_l("Courses it draws on"), coerce=int, choices=[])


class PackageForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name"), validators=[Optional(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 3})
    weeks = IntegerField(_l("Weeks"), validators=[InputRequired()], default=2, render_kw={"min": 1, "max": 104})


class MoveForm(Form):
    """Move a package: the button pressed sends ``step`` -1 (up) or 1 (down)."""

    step = IntegerField(validators=[InputRequired()])
