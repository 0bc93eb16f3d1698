"""The admin's cohort form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from lxp.core.forms import CheckboxListField, Form


class CohortForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    coach = SelectField(_l("Coach"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    members = CheckboxListField(_l("Members"), coerce=int, validate_choice=False)
