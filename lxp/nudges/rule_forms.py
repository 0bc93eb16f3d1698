"""The admin's form for one touchpoint rule of a course."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lxp import channels
from lxp.core.forms import Form


def channel_choices() -> list[SelectChoice]:
    """None, then every channel in its order."""
    return [SelectChoice("", _l("(none)")), *(SelectChoice(c.name, c.label) for c in channels.ordered())]


class RuleForm(Form):
    enabled = BooleanField(_l("Send this touchpoint"))
    delay_hours = IntegerField(_l("Hours after the event"), validators=[Optional()])
    hours = IntegerField(_l("Hours before the session"), validators=[Optional()])
    days = IntegerField(_l("Days"), validators=[Optional()])
    priority = IntegerField(
        _l("Priority (0–100, higher goes first)"), validators=[InputRequired(), NumberRange(0, 100)]
    )
    channel_1 = SelectField(_l("First choice of channel"), choices=channel_choices, default="")
    channel_2 = SelectField(_l("Second choice"), choices=channel_choices, default="")
    channel_3 = SelectField(_l("Third choice"), choices=channel_choices, default="")
    holdout_percent = IntegerField(_l("Keep back from this share of learners, in percent, to measure the effect"),
                                   validators=[InputRequired(), NumberRange(0, 50)])  # fmt: skip
    adaptive_time = BooleanField(_l("Send at each learner's own time (learnt from when they usually learn)"))
    en_subject = StringField(_l("Subject (English)"), validators=[Length(max=200)])
    en_body = TextAreaField(_l("Message (English)"), validators=[Length(max=2000)])
    de_subject = StringField(_l("Subject (German)"), validators=[Length(max=200)])
    de_body = TextAreaField(_l("Message (German)"), validators=[Length(max=2000)])
    ru_subject = StringField(_l("Subject (Russian)"), validators=[Length(max=200)])
    ru_body = TextAreaField(_l("Message (Russian)"), validators=[Length(max=2000)])


class PreviewForm(Form):
    class Meta:
        csrf = False  # a GET that changes nothing

    learner = StringField(_l("Learner's e-mail address"), validators=[InputRequired(), Length(max=254)])
