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
    digest_weekday = SelectField(_l("Digest on"), coerce=int, choices=[
        SelectChoice(0, _l("Monday")), SelectChoice(1, _l("Tuesday")), SelectChoice(2, _l("Wednesday")),
        SelectChoice(3, _l("Thursday")), SelectChoice(4, _l("Friday")), SelectChoice(5, _l("Saturday")),
        SelectChoice(6, _l("Sunday"))], default=0)  # fmt: skip
    digest_hour = SelectField(_l("at"), coerce=int, choices=[SelectChoice(h, f"{h:02d}:00") for h in range(24)],
                              default=9)  # fmt: skip
    quiet_start = TimeField(_l("Quiet from"), validators=[Optional()])
    quiet_end = TimeField(_l("Quiet until"), validators=[Optional()])
    weekly_cap = IntegerField(_l("At most this many messages a week"), validators=[InputRequired(), NumberRange(0, 30)])
    pause = SelectField(_l("Pause everything"), choices=[
        SelectChoice("", _l("No pause")), SelectChoice("3", _l("For 3 days")), SelectChoice("7", _l("For a week")),
        SelectChoice("14", _l("For two weeks")), SelectChoice("off", _l("End the pause now"))], default="")  # fmt: skip
