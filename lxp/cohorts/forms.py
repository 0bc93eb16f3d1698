"""The admin's cohort forms: a new cohort, its name and coach, members to add, members to take out."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from lxp.core.forms import Form, PeopleField


class CohortForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    coach = SelectField(_l("Coach"), coerce=lambda v: int(v) if v else None, validate_choice=False)


class NewCohortForm(CohortForm):
    members = PeopleField(_l("Members"))


class AddMembersForm(Form):
    members = PeopleField(_l("Add members"))


class RemoveMembersForm(Form):
    """The members ticked on the page shown (the page lists them: no choices to check here)."""

    remove = SelectMultipleField(_l("Members"), coerce=int, validate_choice=False)
