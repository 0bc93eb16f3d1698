"""Learner forms: choosing goals and calendar, and the small forms of the block player."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.core.forms import CheckboxListField, Form
from lxp.core.i18n import MODALITY_LABELS


class JourneyForm(Form):
    goals = CheckboxListField(_l("Your goals"), coerce=int)
    package = SelectField(_l("A ready-made package"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    target_date = DateField(_l("When do you want to get there?"), validators=[Optional()])
    weekly_minutes = IntegerField(_l("Minutes a week you can give"), validators=[DataRequired(), NumberRange(15, 1200)],
                                  default=60)  # fmt: skip
    modalities = CheckboxListField(_l("Ways of learning you like"), choices=lambda: list(MODALITY_LABELS.items()),
                                   default=list(MODALITY_LABELS))  # fmt: skip


class BlockDoneForm(Form):
    """Posted when a lesson, job aid or reflection is done; the ids make a resubmit harmless."""

    event_id = HiddenField()
    started_at = HiddenField()


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class PulseForm(Form):
    """One tap: how it felt. Everything but the face is optional."""

    event_id = HiddenField()
    mood = RadioField(_l("How did it feel?"), coerce=int, choices=_choices(
        [(5, _l("Great")), (4, _l("Good")), (3, _l("Okay")), (2, _l("Not great")), (1, _l("Bad"))]))  # fmt: skip
    effort = RadioField(_l("How much effort did it take?"), coerce=int, validators=[Optional()], choices=_choices(
        [(1, _l("Very little")), (2, _l("Little")), (3, _l("Some")), (4, _l("A lot")), (5, _l("Too much"))]))  # fmt: skip
    useful = RadioField(_l("Was it useful for your work?"), validators=[Optional()],
                        choices=_choices([("yes", _l("Yes")), ("no", _l("Not really"))]))  # fmt: skip
    comment = TextAreaField(_l("Anything to add? (optional)"), validators=[Optional(), Length(max=1000)])
    nps = RadioField(_l("How likely are you to recommend this programme to a colleague? (0 = not at all likely, 10 = very likely)"),
                     coerce=int, validators=[Optional()], choices=_choices((n, str(n)) for n in range(11)))  # fmt: skip
