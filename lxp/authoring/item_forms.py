"""The item editor: one form per kind, built on a common part.

Repeated parts (quiz questions and options, rubric criteria) are shown with a few blank rows
to fill in; blank rows are ignored. No JavaScript is needed to add a question.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.accounts.forms import CheckboxListField
from lxp.authoring.forms import CriterionRow, OptionRow, QuestionRow, language_choices
from lxp.authoring.kinds import EVIDENCE_TYPES

BLANK_QUESTIONS = 1
OPTIONS_PER_QUESTION = 4
BLANK_CRITERIA = 2


class ItemForm(FlaskForm):
    module = SelectField(_l("Module"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(_l("Estimated minutes"), validators=[DataRequired(), NumberRange(1, 600)])
    language = SelectField(_l("Language"), choices=language_choices)
    teaches = CheckboxListField(_l("Teaches"), coerce=int)
    assesses = CheckboxListField(_l("Assesses"), coerce=int)
    prerequisites = CheckboxListField(_l("Needs first"), coerce=int)
    alternatives = CheckboxListField(_l("Can be replaced by"), coerce=int)

    def content(self) -> dict:
        raise NotImplementedError

    def fill_content(self, content: dict) -> None:
        raise NotImplementedError

    def prepare_rows(self, competency_codes: list[str]) -> None:
        """Give repeated rows their choices; forms without rows have nothing to do."""


class LessonForm(ItemForm):
    markdown = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=20_000)])
    video_url = StringField(_l("Video link (optional)"), validators=[Optional(), Length(max=500)])

    def content(self):
        return {"markdown": self.markdown.data, "video_url": (self.video_url.data or "").strip() or None}

    def fill_content(self, content):
        self.markdown.data, self.video_url.data = content.get("markdown"), content.get("video_url")


class JobAidForm(ItemForm):
    markdown = TextAreaField(_l("Reference text (Markdown)"), validators=[DataRequired(), Length(max=20_000)])

    def content(self):
        return {"markdown": self.markdown.data}

    def fill_content(self, content):
        self.markdown.data = content.get("markdown")


class ReflectionForm(ItemForm):
    prompt = TextAreaField(_l("Prompt"), validators=[DataRequired(), Length(max=2000)])

    def content(self):
        return {"prompt": self.prompt.data}

    def fill_content(self, content):
        self.prompt.data = content.get("prompt")


class LiveSessionForm(ItemForm):
    agenda = TextAreaField(_l("Agenda"), validators=[DataRequired(), Length(max=5000)])
    duration_minutes = IntegerField(_l("Session length (minutes)"), validators=[DataRequired(), NumberRange(5, 480)])

    def content(self):
        return {"agenda": self.agenda.data, "duration_minutes": self.duration_minutes.data}

    def fill_content(self, content):
        self.agenda.data, self.duration_minutes.data = content.get("agenda"), content.get("duration_minutes")


class CoachingCheckpointForm(ItemForm):
    agenda = TextAreaField(_l("What learner and coach discuss"), validators=[DataRequired(), Length(max=5000)])
    due_after_weeks = IntegerField(_l("Due after (weeks)"), validators=[Optional(), NumberRange(0, 52)], default=1)

    def content(self):
        return {"agenda": self.agenda.data, "due_after_weeks": self.due_after_weeks.data or 0}

    def fill_content(self, content):
        self.agenda.data, self.due_after_weeks.data = content.get("agenda"), content.get("due_after_weeks", 1)


def evidence_choices():
    labels = {"text": _l("Written account"), "photo": _l("Photo"), "file": _l("File"), "link": _l("Link")}
    return [(name, labels[name]) for name in EVIDENCE_TYPES]


class WorkplaceTaskForm(ItemForm):
    instructions = TextAreaField(_l("Instructions"), validators=[DataRequired(), Length(max=20_000)])
    evidence = CheckboxListField(_l("Evidence expected"), choices=evidence_choices)
    rubric = FieldList(FormField(CriterionRow), min_entries=BLANK_CRITERIA)

    def content(self):
        rows = [row.form for row in self.rubric]
        return {
            "instructions": self.instructions.data,
            "evidence": list(self.evidence.data or []),
            "rubric": [
                {"criterion": r.criterion.data.strip(), "description": (r.description.data or "").strip()}
                for r in rows
                if (r.criterion.data or "").strip()
            ],  # fmt: skip
        }

    def fill_content(self, content):
        self.instructions.data = content.get("instructions")
        self.evidence.data = content.get("evidence", [])
        _set_rows(self.rubric, content.get("rubric", []), BLANK_CRITERIA)


class QuestionWithOptions(QuestionRow):
    options = FieldList(FormField(OptionRow), min_entries=OPTIONS_PER_QUESTION)


class QuizForm(ItemForm):
    pass_mark = IntegerField(_l("Pass mark (%)"), validators=[DataRequired(), NumberRange(1, 100)], default=80)
    max_attempts = IntegerField(_l("Attempts allowed (empty: no limit)"), validators=[Optional(), NumberRange(1, 20)])
    questions = FieldList(FormField(QuestionWithOptions), min_entries=BLANK_QUESTIONS)

    def prepare_rows(self, competency_codes):
        for row in self.questions:
            row.form.competency.choices = [(code, code) for code in competency_codes]

    def content(self):
        questions = []
        for row in self.questions:
            q = row.form
            if not (q.prompt.data or "").strip():
                continue
            options = [
                {"text": o.form.text.data.strip(), "correct": bool(o.form.correct.data),
                 "feedback": (o.form.feedback.data or "").strip()}
                for o in q.options if (o.form.text.data or "").strip()
            ]  # fmt: skip
            questions.append({
                "key": q.key.data or uuid.uuid4().hex[:12],
                "prompt": q.prompt.data.strip(),
                "multiple": bool(q.multiple.data),
                "competency": q.competency.data,
                "options": options,
            })  # fmt: skip
        return {"pass_mark": self.pass_mark.data, "max_attempts": self.max_attempts.data, "questions": questions}

    def fill_content(self, content):
        self.pass_mark.data = content.get("pass_mark", 80)
        self.max_attempts.data = content.get("max_attempts")
        questions = content.get("questions", [])
        _set_rows(self.questions, questions, BLANK_QUESTIONS, fill=_fill_question)


def _fill_question(row_form, question: dict) -> None:
    row_form.key.data = question.get("key")
    row_form.prompt.data = question.get("prompt")
    row_form.multiple.data = question.get("multiple", False)
    row_form.competency.data = question.get("competency")
    options = question.get("options", [])
    blank = max(0, OPTIONS_PER_QUESTION - len(options))
    _set_rows(row_form.options, options, blank, fill=_fill_option)


def _fill_option(row_form, option: dict) -> None:
    row_form.text.data = option.get("text")
    row_form.correct.data = option.get("correct", False)
    row_form.feedback.data = option.get("feedback", "")


def _fill_plain(row_form, values: dict) -> None:
    for name, value in values.items():
        getattr(row_form, name).data = value


def _set_rows(field_list: FieldList, values: list[dict], blank: int, fill=_fill_plain) -> None:
    """Show ``values`` in ``field_list``, followed by ``blank`` empty rows."""
    while len(field_list):
        field_list.pop_entry()
    for value in values:
        fill(field_list.append_entry().form, value)
    for _ in range(blank):
        field_list.append_entry()


ITEM_FORMS: dict[str, type[ItemForm]] = {
    "lesson": LessonForm,
    "quiz": QuizForm,
    "reflection": ReflectionForm,
    "job_aid": JobAidForm,
    "live_session": LiveSessionForm,
    "coaching_checkpoint": CoachingCheckpointForm,
    "workplace_task": WorkplaceTaskForm,
}
