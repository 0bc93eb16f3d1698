"""A quiz: questions with options, each checking a competency; answered and marked.

Marking lives here (``Quiz.grade``); ``lxp.learning.services.answer_quiz`` records the attempt,
the competencies mastered, and replans.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema
from wtforms import FieldList, FormField, IntegerField
from wtforms.validators import DataRequired, NumberRange, Optional

from lxp.authoring.forms import OptionRow, QuestionRow
from lxp.authoring.item_forms import ItemForm, set_rows
from lxp.authoring.kinds.base import Completes, Grade, ItemKind, QuestionFeedback, Strict, register, text_field
from lxp.core.errors import Invalid

BLANK_QUESTIONS = 1
OPTIONS_PER_QUESTION = 4
DEFAULT_PASS_MARK = 80


class QuizOption(Strict):
    text = text_field(max_length=500)
    correct = fields.Boolean(required=True)
    feedback = text_field(required=False, max_length=1000)


class QuizQuestion(Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=36))
    prompt = text_field(max_length=2000)
    multiple = fields.Boolean(load_default=False)
    competency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    options = fields.List(fields.Nested(QuizOption), required=True, validate=validate.Length(min=2, max=8))

    @validates_schema
    def _one_right_answer_at_least(self, data, **kwargs):
        correct = sum(1 for option in data.get("options", []) if option["correct"])
        if correct == 0:
            raise ValidationError(str(_l("Mark at least one option as correct.")), "options")
        if correct > 1 and not data.get("multiple"):
            raise ValidationError(str(_l("A single-choice question has exactly one correct option.")), "options")


class QuizContent(Strict):
    pass_mark = fields.Integer(load_default=DEFAULT_PASS_MARK, validate=validate.Range(min=1, max=100))  # percent
    max_attempts = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=20))
    questions = fields.List(fields.Nested(QuizQuestion), required=True, validate=validate.Length(min=1, max=50))

    @validates_schema
    def _question_keys_unique(self, data, **kwargs):
        keys = [q["key"] for q in data.get("questions", [])]
        if len(keys) != len(set(keys)):
            raise ValidationError(str(_l("Two questions have the same key.")), "questions")


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
        self.pass_mark.data = content.get("pass_mark", DEFAULT_PASS_MARK)
        self.max_attempts.data = content.get("max_attempts")
        set_rows(self.questions, content.get("questions", []), BLANK_QUESTIONS, fill=_fill_question)


def _fill_question(row_form, question: dict) -> None:
    row_form.key.data = question.get("key")
    row_form.prompt.data = question.get("prompt")
    row_form.multiple.data = question.get("multiple", False)
    row_form.competency.data = question.get("competency")
    options = question.get("options", [])
    set_rows(row_form.options, options, max(0, OPTIONS_PER_QUESTION - len(options)), fill=_fill_option)


def _fill_option(row_form, option: dict) -> None:
    row_form.text.data = option.get("text")
    row_form.correct.data = option.get("correct", False)
    row_form.feedback.data = option.get("feedback", "")


@register
class Quiz(ItemKind):
    name, label, modality, order = "quiz", _l("Quiz"), "self_paced", 20
    schema, form, completes = QuizContent, QuizForm, Completes.MARKED
    editor_template = "authoring/course/_quiz_fields.html"
    asks_questions = counts_for_placement = reviewable = True

    def response_from_form(self, form, content):
        """The chosen option numbers by question key."""
        return {q["key"]: [int(v) for v in form.getlist(q["key"]) if v.isdigit()] for q in content["questions"]}

    @staticmethod
    def question(content: dict, key: str) -> dict:
        """The question ``key``. Raises ``Invalid`` when the quiz has none of that key."""
        question = next((q for q in content["questions"] if q["key"] == key), None)
        if question is None:
            raise Invalid(_l("That question is not in this quiz."), field="question")
        return question

    @staticmethod
    def check_choice(question: dict, chosen, field: str) -> tuple[int, ...]:
        """The chosen option numbers, sorted and once each. Raises ``Invalid`` for an option
        that is not there, or several for a single-choice question."""
        chosen = tuple(sorted(set(chosen)))
        if any(not 0 <= n < len(question["options"]) for n in chosen) or (len(chosen) > 1 and not question["multiple"]):
            raise Invalid(_l("That answer is not one of the options."), field=field)
        return chosen

    def grade(self, content, response):
        """Mark ``response`` (question key -> chosen option numbers). Raises ``Invalid`` for a
        question left unanswered or an answer that is not one of the options."""
        feedback, by_competency = [], {}
        for question in content["questions"]:
            if not response.get(question["key"]):
                raise Invalid(_l("Answer every question."), field=question["key"])
            chosen = self.check_choice(question, response[question["key"]], question["key"])
            right = tuple(n for n, option in enumerate(question["options"]) if option["correct"])
            correct = chosen == right
            by_competency.setdefault(question["competency"], []).append(correct)
            feedback.append(QuestionFeedback(
                question["key"], question["prompt"], chosen, correct,
                tuple((o["text"], o["correct"], n in chosen, o.get("feedback", ""))
                      for n, o in enumerate(question["options"])),
            ))  # fmt: skip
        score = round(100 * sum(f.correct for f in feedback) / len(feedback))
        passed = score >= content.get("pass_mark", DEFAULT_PASS_MARK)
        shown = tuple(sorted(c for c, marks in by_competency.items() if all(marks)))
        missed = tuple(sorted(c for c, marks in by_competency.items() if not all(marks)))
        return Grade(score, passed, tuple(feedback), shown if passed else (), missed)

    def questions(self, content):
        return content.get("questions", [])

    def learner_content(self, content):
        return {k: v for k, v in content.items() if k != "questions"}
