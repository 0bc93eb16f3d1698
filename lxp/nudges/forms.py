"""The learner's notification settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional

from lxp import channels
from lxp.core.forms import Form
from lxp.nudges import policy


class NotificationsForm(Form):
    """The settings; ``notifications_form`` adds a switch ``<category>_<channel>`` per category
    for each channel the learner chooses per category."""

    reminder = BooleanField(_l("Reminders (sessions you registered for, steps falling due)"))
    nudge = BooleanField(_l("Nudges when you have not been on your path for a while"))
    celebration = BooleanField(_l("Celebrations of what you reached"))
    digest = BooleanField(_l("A weekly digest instead of what goes over your limit"))
    review = BooleanField(_l("Short recall questions on what you learnt"))
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


def notifications_form() -> NotificationsForm:
    """The notification settings form, with the switches of the channels chosen per category."""
    switches = {f"{category}_{name}": BooleanField(channels.CHANNELS[name].choice_label)
                for category in policy.CATEGORIES for name in channels.where("chosen_per_category")}  # fmt: skip
    return type("NotificationsForm", (NotificationsForm,), switches)()
