"""The admin's assignment and unit forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.core.forms import Form, PeopleField


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class AssignmentForm(Form):
    goal = SelectField(_l("Goal"), coerce=_id_or_none, validate_choice=False)
    package = SelectField(_l("Package (optional)"), coerce=_id_or_none, validate_choice=False)
    reason = TextAreaField(_l("Why it is asked for"), validators=[Length(max=300)])
    audience = SelectField(_l("Who is asked"), validate_choice=False)
    people = PeopleField(_l("People"))
    cohort = SelectField(_l("Cohort"), coerce=_id_or_none, validate_choice=False)
    unit = SelectField(_l("Organisation unit"), coerce=_id_or_none, validate_choice=False)
    role = SelectField(_l("Role"), validate_choice=False)
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_within_days = IntegerField(_l("Or due within this many days of getting it"),
                                   validators=[Optional(), NumberRange(min=1, max=730)])  # fmt: skip
    recertify_months = IntegerField(_l("Recertify every … months (optional)"),
                                    validators=[Optional(), NumberRange(min=1, max=120)])  # fmt: skip
    escalate = BooleanField(_l("Tell the manager when it is overdue, even if the learner did not allow it"))


class UnitForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    parent = SelectField(_l("Inside"), coerce=_id_or_none, validate_choice=False)
