"""Forms of the manager's team page and the admin's reporting lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class EncourageForm(FlaskForm):
    message = TextAreaField(_l("A few encouraging words"), validators=[DataRequired(), Length(max=500)])


class ConfirmPracticeForm(FlaskForm):
    ref = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("What you saw (optional)"), validators=[Length(max=1000)])


class LineForm(FlaskForm):
    person = SelectField(_l("Person"), coerce=_id_or_none, validate_choice=False)
    manager = SelectField(_l("Manager"), coerce=_id_or_none, validate_choice=False)


class LinesUploadForm(FlaskForm):
    file = FileField(_l("CSV file"))
