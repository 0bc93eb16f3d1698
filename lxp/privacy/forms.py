"""Forms of the privacy pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional


class TrailFilterForm(FlaskForm):
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=True)
    person = StringField(_l("Person (e-mail)"), validators=[Optional(), Length(max=254)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])
