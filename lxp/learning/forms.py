"""Learner forms: choosing goals and calendar, and the small forms of the block player."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from lxp.accounts.forms import CheckboxListField
from lxp.authoring.forms import MODALITY_LABELS


class JourneyForm(FlaskForm):
    goals = CheckboxListField(_l("Your goals"), coerce=int)
    package = SelectField(_l("A ready-made package"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    target_date = DateField(_l("When do you want to get there?"), validators=[Optional()])
    weekly_minutes = IntegerField(_l("Minutes a week you can give"), validators=[DataRequired(), NumberRange(15, 1200)],
                                  default=60)  # fmt: skip
    modalities = CheckboxListField(_l("Ways of learning you like"), choices=lambda: list(MODALITY_LABELS.items()),
                                   default=list(MODALITY_LABELS))  # fmt: skip


class BlockDoneForm(FlaskForm):
    """Posted when a lesson, job aid or reflection is done; the ids make a resubmit harmless."""

    event_id = HiddenField()
    started_at = HiddenField()
