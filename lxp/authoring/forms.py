"""Forms of the course editor. Shape only; the rules live in the services and kinds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import Form as RowForm  # a row inside a form: no CSRF of its own
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.core.forms import CheckboxListField, Form
from lxp.core.i18n import LANGUAGE_NAMES, MODALITY_LABELS


def language_choices():
    return list(LANGUAGE_NAMES.items())


class NewCourseForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name for links and files (optional)"), validators=[Optional(), Length(max=80)])
    language = SelectField(_l("Language"), choices=language_choices)


class ConceptForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=language_choices)
    summary = TextAreaField(_l("What the course is"), validators=[Length(max=5000)])
    questions = TextAreaField(_l("Questions it answers (one per line)"), validators=[Length(max=5000)])
    audience_role = TextAreaField(_l("Role"), validators=[Length(max=2000)])
    audience_experience = TextAreaField(_l("Work experience"), validators=[Length(max=2000)])
    audience_prior_learning = TextAreaField(_l("Prior learning"), validators=[Length(max=2000)])
    audience_language = TextAreaField(_l("Language skills"), validators=[Length(max=2000)])
    problem_today = TextAreaField(_l("The problem today"), validators=[Length(max=5000)])
    cost_of_inaction = TextAreaField(_l("What goes wrong without it"), validators=[Length(max=5000)])
    approach = TextAreaField(_l("How it is done"), validators=[Length(max=5000)])
    mix_self_paced = IntegerField(MODALITY_LABELS["self_paced"], validators=[Optional(), NumberRange(0, 100)])
    mix_live = IntegerField(MODALITY_LABELS["live"], validators=[Optional(), NumberRange(0, 100)])
    mix_coaching = IntegerField(MODALITY_LABELS["coaching"], validators=[Optional(), NumberRange(0, 100)])
    mix_on_the_job = IntegerField(MODALITY_LABELS["on_the_job"], validators=[Optional(), NumberRange(0, 100)])
    expected_minutes = IntegerField(
        _l("Expected total time (minutes)"), validators=[Optional(), NumberRange(0, 100_000)]
    )
    span_weeks = IntegerField(_l("Span (weeks)"), validators=[Optional(), NumberRange(1, 104)])

    def concept(self) -> dict:
        """The form's values as ``services.update_concept`` takes them."""
        mix = {
            name: getattr(self, f"mix_{name}").data
            for name in MODALITY_LABELS
            if getattr(self, f"mix_{name}").data not in (None, 0)
        }
        return {
            "title": self.title.data,
            "language": self.language.data,
            "summary": self.summary.data or "",
            "questions": [line.strip() for line in (self.questions.data or "").splitlines() if line.strip()],
            "audience_role": self.audience_role.data or "",
            "audience_experience": self.audience_experience.data or "",
            "audience_prior_learning": self.audience_prior_learning.data or "",
            "audience_language": self.audience_language.data or "",
            "problem_today": self.problem_today.data or "",
            "cost_of_inaction": self.cost_of_inaction.data or "",
            "approach": self.approach.data or "",
            "modality_mix": mix,
            "expected_minutes": self.expected_minutes.data or 0,
            "span_weeks": self.span_weeks.data or 1,
        }

    def fill_from(self, version) -> None:
        for name in ("title", "language", "summary", "audience_role", "audience_experience", "audience_prior_learning",
                     "audience_language", "problem_today", "cost_of_inaction", "approach", "expected_minutes",
                     "span_weeks"):  # fmt: skip
            getattr(self, name).data = getattr(version, name)
        self.questions.data = "\n".join(version.questions)
        for name in MODALITY_LABELS:
            getattr(self, f"mix_{name}").data = version.modality_mix.get(name, 0)


class OutcomeForm(Form):
    statement = TextAreaField(_l("What people can do afterwards (\u201cI can \u2026\u201d)"),
                              validators=[DataRequired(), Length(max=1000)])  # fmt: skip
    competencies = CheckboxListField(_l("Competencies"), coerce=int)


class ModuleForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=5000)])


class ImportForm(Form):
    file = FileField(_l("Course document (JSON)"), validators=[FileRequired(_l("Choose a file."))])


class SendBackForm(Form):
    comment = TextAreaField(_l("What should change?"), validators=[Length(max=2000)])


# --- quiz and rubric rows: plain wtforms.Form, so nested rows carry no CSRF of their own ---


class OptionRow(RowForm):
    text = StringField(_l("Answer"), validators=[Length(max=500)])
    correct = BooleanField(_l("Correct"))
    feedback = StringField(_l("Feedback"), validators=[Length(max=1000)])


class QuestionRow(RowForm):
    key = HiddenField()
    prompt = TextAreaField(_l("Question"), validators=[Length(max=2000)])
    multiple = BooleanField(_l("Several answers are correct"))
    competency = SelectField(_l("Checks the competency"), choices=[], validate_choice=False)


class CriterionRow(RowForm):
    criterion = StringField(_l("Criterion"), validators=[Length(max=200)])
    description = StringField(_l("What good looks like"), validators=[Length(max=2000)])
