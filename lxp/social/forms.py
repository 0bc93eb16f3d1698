"""Forms of the cohort spaces."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lxp.coaching.services import NOTE_LIMIT
from lxp.core.forms import CheckboxListField, Form
from lxp.social.services import BODY_LIMIT, TITLE_LIMIT
from lxp.social.sharing import QUESTION_LIMIT


class ThreadForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_LIMIT)])
    body = TextAreaField(_l("Your text"), validators=[DataRequired(), Length(max=BODY_LIMIT)], render_kw={"rows": 5})
    weekly = BooleanField(_l("This is the weekly question (open for a week)"))
    station = SelectField(_l("The step of the path it is about"), validators=[Optional()], validate_choice=False)


class ReplyForm(Form):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=BODY_LIMIT)], render_kw={"rows": 4})
    quote = HiddenField(validators=[Optional()])


class SharedStuckForm(Form):
    """The "I'm stuck" panel's form (same field as the coaching one), sent with the button of the
    space the learner chose (``space``: an ``access.space_key``)."""

    note = TextAreaField(_l("What is in the way? (optional)"), validators=[Optional(), Length(max=NOTE_LIMIT)])
    space = HiddenField(validators=[Optional(), Length(max=32)])


class ReportForm(Form):
    reason = TextAreaField(_l("What is wrong with it? (optional)"), validators=[Optional(), Length(max=500)],
                           render_kw={"rows": 2})  # fmt: skip


class EditForm(Form):
    body = TextAreaField(_l("Your text"), validators=[DataRequired(), Length(max=BODY_LIMIT)], render_kw={"rows": 5})


class FeedbackForm(Form):
    """Peer feedback on shared work: short and structured, advice only."""

    worked = TextAreaField(_l("What worked"), validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 2})
    suggestion = TextAreaField(_l("One suggestion"), validators=[DataRequired(), Length(max=1000)],
                               render_kw={"rows": 2})  # fmt: skip


class FeedbackAskForm(Form):
    """The sharer asks for feedback on their shared work: a short question, and whom by name."""

    question = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=QUESTION_LIMIT)],
                             render_kw={"rows": 2, "maxlength": QUESTION_LIMIT})  # fmt: skip
    people = CheckboxListField(_l("Ask these colleagues by name (optional)"), coerce=int, validate_choice=False)
