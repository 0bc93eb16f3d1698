"""The admin's form for predictive support: how many flags to hold out, to measure the effect."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from lxp.core.forms import Form


class SettingsForm(Form):
    holdout_percent = IntegerField(
        _l("Hold out this share of flags from coaches, in percent, to measure whether acting on them helps"),
        validators=[InputRequired(), NumberRange(0, 30)],
    )
