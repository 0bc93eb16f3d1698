"""Forms of the manager's team page and the admin's reporting lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.core.forms import CheckboxListField, Form, PeopleField


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class EncourageForm(Form):
    message = TextAreaField(_l("A few encouraging words"), validators=[DataRequired(), Length(max=500)])


class ConfirmPracticeForm(Form):
    ref = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("What you saw (optional)"), validators=[Length(max=1000)])


class LineForm(Form):
    person = PeopleField(_l("Person"), multiple=False)
    manager = PeopleField(_l("Manager"), multiple=False, none_label=_l("Nobody"))


class LinesUploadForm(Form):
    file = FileField(_l("CSV file"))


class TeamAssignmentForm(Form):
    goal = SelectField(_l("Goal"), coerce=_id_or_none, validate_choice=False)
    package = SelectField(_l("Package (optional)"), coerce=_id_or_none, validate_choice=False)
    people = CheckboxListField(_l("Who is asked"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Why it is asked for"), validators=[Length(max=300)])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_within_days = IntegerField(
        _l("Or due within this many days"), validators=[Optional(), NumberRange(min=1, max=730)]
    )
