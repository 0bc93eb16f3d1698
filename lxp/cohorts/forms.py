"""The admin's cohort form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from lxp.core.forms import Form, PeopleField


class CohortForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    coach = SelectField(_l("Coach"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    members = PeopleField(_l("Members"))
