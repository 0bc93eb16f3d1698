"""Forms for help requests and coach assignment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, MultipleFileField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lxp.coaching.services import ANSWER_LIMIT, NOTE_LIMIT
from lxp.core.forms import Form


class StuckForm(Form):
    note = TextAreaField(_l("What is in the way? (optional)"), validators=[Optional(), Length(max=NOTE_LIMIT)])


class AnswerForm(Form):
    answer = TextAreaField(
        _l("Your answer"), validators=[DataRequired(), Length(max=ANSWER_LIMIT)], render_kw={"rows": 6}
    )
    resolve = BooleanField(_l("This solves it"), default=True)


class HandOverForm(Form):
    trainer = SelectField(_l("Hand it to"), coerce=int, validators=[DataRequired()])
    note = TextAreaField(
        _l("A word for them (optional)"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )


class HelpedForm(Form):
    helped = RadioField(_l("Did it help?"), validators=[DataRequired()],
                        choices=[SelectChoice("yes", _l("Yes, it helped")), SelectChoice("no", _l("Not really"))])  # fmt: skip
    mood = RadioField(_l("How did it feel?"), coerce=int, validators=[Optional()], choices=[
        SelectChoice(5, _l("Great")), SelectChoice(4, _l("Good")), SelectChoice(3, _l("Okay")),
        SelectChoice(2, _l("Not great")), SelectChoice(1, _l("Bad"))])  # fmt: skip


class CoachForm(Form):
    coach = SelectField(_l("Coach"), coerce=lambda v: int(v) if v else None, validate_choice=False)


class MessageForm(Form):
    body = TextAreaField(_l("Your message"), validators=[Optional(), Length(max=10_000)], render_kw={"rows": 4})
    files = MultipleFileField(_l("Photos or files (optional)"))


class ReactionForm(Form):
    helped = RadioField(_l("Did it help?"), validators=[DataRequired()],
                        choices=[SelectChoice("yes", _l("Yes, it helped")), SelectChoice("no", _l("Not really"))])  # fmt: skip
    mood = RadioField(_l("How did it feel?"), coerce=int, validators=[Optional()], choices=[
        SelectChoice(5, _l("Great")), SelectChoice(4, _l("Good")), SelectChoice(3, _l("Okay")),
        SelectChoice(2, _l("Not great")), SelectChoice(1, _l("Bad"))])  # fmt: skip


class FeedbackForm(Form):
    competency = SelectField(_l("Competency"), validators=[DataRequired()], validate_choice=False)
    rating = RadioField(_l("What you saw"), coerce=int, validators=[DataRequired()], choices=[
        SelectChoice(1, _l("Not yet")), SelectChoice(2, _l("Getting there")),
        SelectChoice(3, _l("Can do it")), SelectChoice(4, _l("Does it well"))])  # fmt: skip
    comment = TextAreaField(_l("What you noticed (optional)"), validators=[Optional(), Length(max=4000)],
                            render_kw={"rows": 4})  # fmt: skip
