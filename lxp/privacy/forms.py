"""Forms of the privacy pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.core.forms import Form
from lxp.privacy.retention import EVENT_MONTHS_MIN


class TrailFilterForm(Form):
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=True)
    person = StringField(_l("Person (e-mail)"), validators=[Optional(), Length(max=254)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])


class EraseForm(Form):
    confirm_email = StringField(_l("Type the person's e-mail to confirm"), validators=[DataRequired(), Length(max=254)])


class RetentionForm(Form):
    inactive_months = IntegerField(_l("Erase accounts without a sign-in for this many months"),
                                   validators=[Optional(), NumberRange(3, 120)],
                                   description=_l("Empty: keep them. The person is warned by e-mail first."))  # fmt: skip
    event_months = IntegerField(_l("Delete learning events older than this many months"),
                                validators=[Optional(), NumberRange(EVENT_MONTHS_MIN, 120)],
                                description=_l("Empty: keep them. At least %(num)d months, as the risk model looks back that far. "
                                               "Completions and the journey map's figures stay.", num=EVENT_MONTHS_MIN))  # fmt: skip
