"""The learner's notification settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional


class NotificationsForm(FlaskForm):
    reminder = BooleanField(_l("Reminders (sessions you registered for, steps falling due)"))
    reminder_email = BooleanField(_l("also by e-mail"))
    nudge = BooleanField(_l("Nudges when you have not been on your path for a while"))
    nudge_email = BooleanField(_l("also by e-mail"))
    celebration = BooleanField(_l("Celebrations of what you reached"))
    celebration_email = BooleanField(_l("also by e-mail"))
    digest = BooleanField(_l("A weekly digest instead of what goes over your limit"))
    digest_email = BooleanField(_l("also by e-mail"))
    review = BooleanField(_l("Short recall questions on what you learnt"))
    review_email = BooleanField(_l("also by e-mail"))
    quiet_start = TimeField(_l("Quiet from"), validators=[Optional()])
    quiet_end = TimeField(_l("Quiet until"), validators=[Optional()])
    weekly_cap = IntegerField(_l("At most this many messages a week"), validators=[InputRequired(), NumberRange(0, 30)])
    pause = SelectField(_l("Pause everything"), choices=[
        SelectChoice("", _l("No pause")), SelectChoice("3", _l("For 3 days")), SelectChoice("7", _l("For a week")),
        SelectChoice("14", _l("For two weeks")), SelectChoice("off", _l("End the pause now"))], default="")  # fmt: skip
