"""The item-kind interface and its registry.

An item kind is one class in one module of this package, registered with ``@register``. It
says everything the rest of lxp needs to know about items of its kind:

- what it is: ``name``, ``label``, ``modality``, ``short_block``, ``order`` (in the editor);
- what the rest of lxp may ask of it, as traits (read through ``lxp.authoring.kinds.where``
  and ``get``, never by comparing kind names): ``is_check`` (its result says whether the
  learner can do it: the journey map's "next check"), ``asks_questions`` and ``questions``
  (multiple-choice questions in its content, each naming a competency), ``counts_for_placement``
  (those questions may place a learner), ``reviewable`` (they come back as spaced review),
  ``shows_due_date`` (the path card shows its due date: work to hand in);
- how it is authored: ``schema`` (the ``content`` an import and the editor accept; the JSON
  Schema in ``docs/`` is generated from it), ``form`` (the editor's form) and, for fields that
  need more than a label and a box, ``editor_template``;
- how a learner sees it: ``player_template`` (shared by the player and the preview) and
  ``outside_template`` (a part of the player page outside the player's own form);
- how it is done: ``completes`` (ticked off by the learner, answered and marked, reviewed by a
  coach, talked through with the coach, attended; asked as ``self_completed``, ``marked``,
  ``reviewed``, ``coached``, ``attended``), ``response_from_form`` (what the learner's
  form sends), ``complete`` (checks a self-completion) and ``grade`` (marks an answer);
- what else it offers: ``reference_text`` (looked up at work, in the job-aid search) and
  ``learner_content`` (its content as a learner's program may see it).

Kinds decide; they do not write. ``lxp.learning.services`` records the events and replans,
so the one write path stays where it is. Kinds import neither views nor services.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from lxp.core.errors import Invalid

KINDS: dict[str, ItemKind] = {}
HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


class Completes(StrEnum):
    """How an item of a kind gets done."""

    SELF = "self"  # the learner ticks it off (``lxp.learning.services.complete_block``)
    MARKED = "marked"  # the learner answers and lxp marks it (``answer_quiz``)
    REVIEWED = "reviewed"  # a coach reviews the learner's evidence against a rubric
    COACHED = "coached"  # learner and coach talk it through
    ATTENDED = "attended"  # a trainer takes attendance
    PLAYED = "played"  # the learner plays an imported package, which reports its own result


@dataclass(frozen=True)
class QuestionFeedback:
    key: str
    prompt: str
    chosen: tuple[int, ...]
    correct: bool
    options: tuple[tuple[str, bool, bool, str], ...]  # text, is correct, was chosen, feedback


@dataclass(frozen=True)
class Grade:
    """A marked attempt (what ``ItemKind.grade`` returns): its score, whether it passed, each
    question's feedback, and the competencies it showed (every question on them right) or did not."""

    score: int  # percent
    passed: bool
    questions: tuple[QuestionFeedback, ...]
    mastered: tuple[str, ...]
    failed_competencies: tuple[str, ...]


@dataclass(frozen=True)
class SelfCompletion:
    """What a self-completed item keeps of the learner's completion."""

    response: Any = None  # stored as the event's ``result.response``
    private: bool = False  # only the learner may read it (left out of the LRS)


class ItemKind:
    """One kind of item. Subclass, set the class attributes, override what differs, register."""

    name: ClassVar[str]
    label: ClassVar[Any]  # a lazy translated string
    modality: ClassVar[str]  # self_paced, live, coaching, on_the_job
    schema: ClassVar[type[Schema]]
    form: ClassVar[type]  # an ``lxp.authoring.item_forms.ItemForm``
    completes: ClassVar[Completes]
    # Blocks a learner works through alone should stay short; others (a live session) may not.
    short_block: ClassVar[bool] = True
    order: ClassVar[int] = 100  # place in the editor's list of kinds
    # The learner's last response is shown again when they come back (a reflection's text).
    keeps_response: ClassVar[bool] = False
    outside_template: ClassVar[str | None] = None
    # The kind's part of the item editor, for fields that need more than a label and a box
    # (repeated rows); None shows the form's ``content_fields`` one after another.
    editor_template: ClassVar[str | None] = None
    # Content holds multiple-choice questions (``questions``), each checking a competency.
    asks_questions: ClassVar[bool] = False
    # Those questions may test a learner out of what they know (the placement check).
    counts_for_placement: ClassVar[bool] = False
    # Those questions come back later as spaced review, once the item is passed.
    reviewable: ClassVar[bool] = False
    # The path card shows the step's due date (work handed in by then, not just a suggestion).
    shows_due_date: ClassVar[bool] = False
    # Plays an imported content package (``lxp.packages``) of one of ``package_standards``.
    plays_package: ClassVar[bool] = False
    package_standards: ClassVar[frozenset[str]] = frozenset()
    # What a learner may share with their cohort from an item of this kind (``lxp.social.sharing``):
    # the source of the shared thread, or None when there is nothing to share.
    shared_as: ClassVar[str | None] = None

    @property
    def player_template(self) -> str:
        """The item as a learner sees it, in the player and in the authors' preview. It gets
        ``item``, ``kind``, ``interactive`` (in the player) and ``block`` (the player's)."""
        return f"blocks/{self.name}.html"

    def sections(self, content: dict) -> tuple[str, ...]:
        """The titles of the parts of its course an item sits in, outermost first, as the path
        and the player show them (a cmi5 AU's blocks); none for most kinds."""
        return ()

    @property
    def self_completed(self) -> bool:
        return self.completes is Completes.SELF

    @property
    def marked(self) -> bool:
        return self.completes is Completes.MARKED

    @property
    def reviewed(self) -> bool:
        return self.completes is Completes.REVIEWED

    @property
    def coached(self) -> bool:
        return self.completes is Completes.COACHED

    @property
    def attended(self) -> bool:
        return self.completes is Completes.ATTENDED

    @property
    def played(self) -> bool:
        return self.completes is Completes.PLAYED

    @property
    def is_check(self) -> bool:
        """Its result says whether the learner can do what it checks (marked or reviewed)."""
        return self.completes in (Completes.MARKED, Completes.REVIEWED)

    def validate(self, content: dict) -> dict:
        """The content as the schema loads it. Raises ``marshmallow.ValidationError``."""
        return self.schema().load(content or {})

    def response_from_form(self, form, content: dict) -> Any:
        """The learner's response in a posted player form (a ``MultiDict``); None by default."""
        return None

    def complete(self, content: dict, response: Any) -> SelfCompletion:
        """Check a learner's self-completion with their ``response``. Raises ``Invalid`` when the
        kind is not completed by ticking it off, or the response does not do."""
        if not self.self_completed:
            raise Invalid(_l("This step is completed by doing it, not by ticking it off."))
        return SelfCompletion()

    def grade(self, content: dict, response: Any) -> Grade:
        """Mark an answer. Raises ``Invalid``: only marked kinds have answers."""
        raise Invalid(_l("This step is not a quiz."))

    def questions(self, content: dict) -> list[dict]:
        """The multiple-choice questions in ``content`` (each with ``key``, ``prompt``,
        ``multiple``, ``competency`` and ``options`` of ``text`` and ``correct``); none by default."""
        return []

    def reference_text(self, content: dict) -> str | None:
        """Text to look up at work (the job-aid search), as Markdown; None: not a reference."""
        return None

    def learner_content(self, content: dict) -> dict:
        """The content as a learner's program may read it (without a quiz's answers)."""
        return content


def get(name: str) -> ItemKind:
    """The kind called ``name``. Raises ``KeyError`` for a name no kind is registered under."""
    return KINDS[name]


def where(trait: str) -> frozenset[str]:
    """The names of the kinds whose ``trait`` (an attribute or property) is true, e.g.
    ``where("attended")``: for a query (``Item.kind.in_(...)``) or a pure engine's input."""
    return frozenset(name for name, kind in KINDS.items() if getattr(kind, trait))


def register(kind_class: type[ItemKind]) -> type[ItemKind]:
    """Class decorator: make the kind available under its ``name``."""
    if kind_class.name in KINDS:
        raise ValueError(f"item kind {kind_class.name!r} is registered twice")
    KINDS[kind_class.name] = kind_class()
    return kind_class


class Strict(Schema):
    """A content schema that refuses fields it does not know."""

    class Meta:
        unknown = RAISE


def text_field(required=True, max_length=20_000):
    return fields.String(required=required, validate=validate.Length(min=1 if required else 0, max=max_length))
