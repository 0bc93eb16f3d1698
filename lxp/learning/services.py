"""The learner's side of blocks (completing one, answering a quiz), job aids and Today.

An item is reachable only through the learner's own journey, on the course version that
journey is on (``lxp.paths.access``); anything else is ``NotFound``. Every action is recorded through
``lxp.events.record`` with the client's event id when it sends one, so a replay never counts
twice, and the path is replanned in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from lxp import events
from lxp.assignments import services as assignments
from lxp.authoring.kinds import KINDS, QuestionFeedback
from lxp.channels import in_app
from lxp.channels.in_app import InboxGlance
from lxp.completions import Completion
from lxp.core.errors import Conflict, Invalid, NotFound
from lxp.core.markdown import plain_text
from lxp.core.statements import one_of, prepared
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.live import registration
from lxp.live.registration import UpcomingSession
from lxp.paths import planner
from lxp.paths import services as paths
from lxp.paths.access import Block, open_block
from lxp.paths.models import Journey
from lxp.workplace import services as workplace


def _duration(seconds: int | None) -> str | None:
    """Time on task as an ISO 8601 duration, as xAPI has it."""
    if seconds is None or seconds < 0:
        return None
    return f"PT{min(seconds, 6 * 3600)}S"


def complete_block(learner, ref: str, event_id: str | None = None, seconds: int | None = None,
                   response=None, occurred_at=None, block: Block | None = None) -> None:  # fmt: skip
    """Mark a block the learner ticks off done (``Completes.SELF``), with their ``response``
    as its kind reads it (a reflection's text, kept privately). Raises ``NotFound``, ``Invalid`` (a kind completed otherwise, a response
    its kind refuses), ``Conflict`` (the same event id with other content). ``block``: the
    caller's own ``open_block(learner, ref)``, not opened twice."""
    block = block or open_block(learner, ref)
    completion = block.kind.complete(block.item.content, response)
    if events.replayed(event_id, actor_id=learner.id, verb="completed", object_type="item", object_id=ref):
        return
    events.record(actor_id=learner.id, verb="completed", object_type="item", object_id=ref,
                  result={"completion": True, "duration": _duration(seconds), "response": completion.response},
                  context={"journey": block.journey.id, "version": block.item.version_id,
                           "private": completion.private},
                  occurred_at=occurred_at, event_id=event_id)  # fmt: skip
    paths.refresh_plan(block.journey, f"completing {ref}")
    db.session.flush()


@dataclass(frozen=True)
class QuizResult:
    score: int  # percent
    passed: bool
    questions: tuple[QuestionFeedback, ...]
    attempts: int
    attempts_left: int | None


def attempts_so_far(learner_id: int, ref: str) -> int:
    """How many times the check was marked for the learner, from their completions (so a
    quiz's attempt limit still counts attempts whose events retention deleted)."""
    row = db.session.get(Completion, (learner_id, "item", ref))
    return 0 if row is None else row.checks


def answer_quiz(learner, ref: str, answers: dict[str, list[int]], event_id: str | None = None,
                seconds: int | None = None, occurred_at=None, block: Block | None = None) -> QuizResult:  # fmt: skip
    """Mark a quiz attempt, record it with mastery per competency, and replan.

    Raises ``NotFound`` (not on the path), ``Invalid`` (not a quiz, an answer missing or out of
    range), ``Conflict`` (no attempts left, or the same event id with other answers). ``block``
    as for ``complete_block``.
    """
    block = block or open_block(learner, ref)
    item, kind = block.item, block.kind
    if not kind.marked:
        raise Invalid(_l("This step is not a quiz."))
    content = item.content
    previous = events.replayed(event_id, actor_id=learner.id, verb=events.CHECK_VERBS, object_type="item",
                               object_id=ref)  # fmt: skip
    if previous is not None:  # the same attempt sent again: show its result, count it once
        answers = {key: list(chosen) for key, chosen in previous.result["response"].items()}
    limit = content.get("max_attempts")
    if previous is None and limit is not None and attempts_so_far(learner.id, ref) >= limit:
        raise Conflict(_l("You have used all attempts at this quiz. Your coach can help you with it."))
    grade = kind.grade(content, answers)
    score, passed, feedback = grade.score, grade.passed, grade.questions

    if previous is not None:
        attempts = attempts_so_far(learner.id, ref)
        return QuizResult(score, passed, tuple(feedback), attempts, None if limit is None else max(limit - attempts, 0))
    recorded = events.record(
        actor_id=learner.id, verb="passed" if passed else "failed", object_type="item", object_id=ref,
        result={"score": {"scaled": score / 100, "raw": score, "min": 0, "max": 100}, "success": passed,
                "completion": True, "duration": _duration(seconds),
                "response": {f.key: list(f.chosen) for f in feedback},
                "extensions": {"failed_competencies": list(grade.failed_competencies)}},
        context={"journey": block.journey.id, "version": item.version_id},
        occurred_at=occurred_at, event_id=event_id,
    )  # fmt: skip
    for competency in grade.mastered:
        events.record(actor_id=learner.id, verb="mastered", object_type="competency", object_id=competency,
                      context={"check": ref}, occurred_at=recorded.occurred_at,
                      event_id=uuid.uuid5(recorded.id, competency))  # fmt: skip
    paths.refresh_plan(block.journey, f"the check {ref}")
    db.session.flush()
    attempts = attempts_so_far(learner.id, ref)
    return QuizResult(score, passed, tuple(feedback), attempts, None if limit is None else max(limit - attempts, 0))


def save_answer(learner, ref: str, question_key: str, chosen: list[int], event_id: str | None = None,
                occurred_at=None) -> None:  # fmt: skip
    """Keep one answer of a quiz not yet sent for marking, so the learner resumes where they
    left off on any device (an ``answered`` event on the question). Raises ``NotFound``,
    ``Invalid`` (not a quiz, no such question or option) and ``Conflict`` (a reused id)."""
    block = open_block(learner, ref)
    if not block.kind.marked:
        raise Invalid(_l("This step is not a quiz."))
    question = block.kind.question(block.item.content, question_key)
    chosen = list(block.kind.check_choice(question, chosen, "chosen"))
    object_id = f"{ref}/{question_key}"
    if events.replayed(event_id, actor_id=learner.id, verb="answered", object_type="question", object_id=object_id):
        return
    events.record(actor_id=learner.id, verb="answered", object_type="question", object_id=object_id,
                  result={"response": chosen}, context={"item": ref, "journey": block.journey.id},
                  occurred_at=occurred_at, event_id=event_id)  # fmt: skip
    db.session.flush()


@prepared
def _answers_since_marked():
    """The marked attempts of quiz ``:ref`` and the answers kept on its questions (``object_id``
    starting with ``:prefix``, LIKE wildcards escaped with "/"), oldest first."""
    return (
        select(LearningEvent.object_type, LearningEvent.object_id, LearningEvent.result)
        .where(LearningEvent.actor_id == bindparam("learner_id"),
               ((LearningEvent.object_type == "item") & (LearningEvent.object_id == bindparam("ref"))
                & one_of(LearningEvent.verb, events.CHECK_VERBS))
               | ((LearningEvent.object_type == "question") & (LearningEvent.verb == "answered")
                  & LearningEvent.object_id.startswith(bindparam("prefix"), escape="/")))
        .order_by(LearningEvent.occurred_at, LearningEvent.recorded_at)
    )  # fmt: skip


def _like_literal(text: str) -> str:
    """``text`` matching only itself in a LIKE with the escape character "/"."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def saved_answers(learner_id: int, ref: str) -> dict[str, list[int]]:
    """The answers kept since the last marked attempt of this quiz, by question (one query)."""
    wanted = {"learner_id": learner_id, "ref": ref, "prefix": _like_literal(f"{ref}/")}
    rows = db.session.execute(_answers_since_marked(), wanted).all()
    saved: dict[str, list[int]] = {}
    for object_type, object_id, result in rows:
        if object_type == "item":
            saved.clear()  # marked: start afresh
        else:
            saved[object_id[len(ref) + 1 :]] = list((result or {}).get("response") or [])
    return saved


# --- how did it feel ---------------------------------------------------------------------

MILESTONES = ("halfway", "end")


def give_pulse(learner, ref: str, mood: int, effort: int | None = None, useful: bool | None = None,
               comment: str = "", event_id: str | None = None, block: Block | None = None) -> None:  # fmt: skip
    """Record how a block felt: mood 1-5 (required), effort 1-5, useful, a short comment.

    Raises ``NotFound`` (not on the path), ``Invalid`` (values out of range), ``Conflict``.
    ``block`` as for ``complete_block``.
    """
    block = block or open_block(learner, ref)
    if mood not in range(1, 6):
        raise Invalid(_l("Choose one of the five faces."), field="mood")
    if effort is not None and effort not in range(1, 6):
        raise Invalid(_l("Choose how much effort it took."), field="effort")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise Invalid(_l("Use at most 1,000 characters for the comment."), field="comment")
    if events.replayed(event_id, actor_id=learner.id, verb="responded", object_type="item", object_id=ref):
        return
    events.record(actor_id=learner.id, verb="responded", object_type="item", object_id=ref,
                  result={"response": comment or None,
                          "extensions": {"mood": mood, "effort": effort, "useful": useful}},
                  context={"journey": block.journey.id, "pulse": True}, event_id=event_id)  # fmt: skip
    db.session.flush()


def milestone_due(learner, journey: Journey | None = None) -> str | None:
    """``"halfway"`` or ``"end"`` when the learner has reached it and not yet said how likely
    they are to recommend the programme; otherwise None. ``journey``: their open journey, when
    the caller has it already."""
    journey = journey or paths.open_journey(learner)
    if journey is None:
        return None
    plan = paths.current_plan(journey)
    required = [s for s in plan.steps if not s.optional]
    if not required:
        return None
    share_done = sum(s.done for s in required) / len(required)
    reached = "end" if share_done == 1 else "halfway" if share_done >= 0.5 else None
    if reached is None:
        return None
    answered = list(db.session.execute(
        select(LearningEvent.context).where(LearningEvent.actor_id == learner.id, LearningEvent.verb == "responded",
                                            LearningEvent.object_type == "journey",
                                            LearningEvent.object_id == str(journey.id))
    ).scalars())  # fmt: skip
    said = {c.get("milestone") for c in answered if c}
    return None if reached in said else reached


def recommend(learner, milestone: str, score: int, comment: str = "", event_id: str | None = None) -> None:
    """Record the Net Promoter answer (0-10) at a milestone of the learner's journey.

    Raises ``Invalid`` for a score out of range or an unknown milestone, ``NotFound`` without a path.
    """
    journey = paths.open_journey(learner)
    if journey is None:
        raise NotFound(_l("You have no path yet."))
    if milestone not in MILESTONES:
        raise Invalid(_l("Unknown milestone."), field="milestone")
    if score not in range(0, 11):
        raise Invalid(_l("Choose a number from 0 to 10."), field="score")
    if events.replayed(
        event_id, actor_id=learner.id, verb="responded", object_type="journey", object_id=str(journey.id)
    ):
        return
    events.record(actor_id=learner.id, verb="responded", object_type="journey", object_id=journey.id,
                  result={"score": {"raw": score, "min": 0, "max": 10}, "response": (comment or "").strip()[:1000] or None},
                  context={"milestone": milestone, "nps": True}, event_id=event_id)  # fmt: skip
    db.session.flush()


@prepared
def _last_completion():
    return (
        select(LearningEvent.result)
        .where(LearningEvent.actor_id == bindparam("learner_id"), LearningEvent.object_type == "item",
               LearningEvent.object_id == bindparam("ref"), LearningEvent.verb == "completed")
        .order_by(LearningEvent.occurred_at.desc())
        .limit(1)
    )  # fmt: skip


def last_response(learner_id: int, ref: str):
    """The learner's response when they last completed this block (a reflection's text, the
    points ticked; visible to them only), or None."""
    result = db.session.execute(_last_completion(), {"learner_id": learner_id, "ref": ref}).scalar()
    return (result or {}).get("response")


# --- job aids ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobAidHit:
    ref: str
    title: str
    snippet: str


def search_job_aids(learner, query: str = "", limit: int = 20) -> list[JobAidHit]:
    """Job aids of the courses on the learner's path whose title or text has every word of
    ``query`` (case-insensitive); all of them, by title, for an empty query."""
    journey = paths.open_journey(learner)
    if journey is None:
        return []
    words = [w for w in (query or "").lower().split() if w]
    hits = []
    for journey_course in journey.courses:
        for item in journey_course.version.items:
            reference = KINDS[item.kind].reference_text(item.content)
            if reference is None:
                continue
            text = plain_text(reference)
            haystack = f"{item.title}\n{text}".lower()
            if all(word in haystack for word in words):
                first = min((haystack.find(w) for w in words), default=0) if words else 0
                start = max(first - len(item.title) - 40, 0)
                hits.append(JobAidHit(paths.item_ref(journey_course.course_id, item.key), item.title,
                                      " ".join(text[start:start + 160].split())))  # fmt: skip
    return sorted(hits, key=lambda h: h.title.lower())[:limit]


# --- Today ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    """What Today shows, composed once for the page and the API so they cannot drift apart.

    ``plan``, ``outlook`` and ``weeks`` are None/empty before a goal is chosen and while the path
    is paused; ``next_step`` is the first open step; ``this_week`` the open steps due this week
    (week 0), the next step among them when it is due this week."""

    journey: Journey | None
    plan: planner.Plan | None
    next_step: planner.Step | None
    this_week: tuple[planner.Step, ...]
    sessions: list[UpcomingSession]
    inbox: InboxGlance
    tasks: dict[str, str]
    outlook: paths.Outlook | None
    weeks: list
    askers: dict[str, str] = field(default_factory=dict)  # manager by assigned title (``assignments.askers_of``)

    @property
    def also_this_week(self) -> tuple[planner.Step, ...]:
        """This week's open steps other than the next one (the page lists them under it)."""
        return tuple(step for step in self.this_week if step is not self.next_step)


def today(learner) -> Today:
    """Today for the learner: their next step and this week's, the live sessions they hold a
    seat on, their unread messages and replies, and the state of their on-the-job tasks."""
    journey = paths.open_journey(learner)
    sessions, inbox = registration.upcoming_for_learner(learner.id), in_app.glance(learner.id)
    if journey is None or journey.status == "paused":
        return Today(journey, None, None, (), sessions, inbox, {}, None, [])
    plan = paths.current_plan(journey)
    open_steps = plan.open_steps
    next_step, this_week = (open_steps[0] if open_steps else None), tuple(s for s in open_steps if s.week == 0)
    # Only a learner with assigned work on Today pays the statement that names who asked.
    shown = (next_step, *this_week) if next_step else this_week
    assigned = any(r.code == "assigned" for step in shown for r in step.reasons)
    return Today(
        journey, plan, next_step, this_week, sessions, inbox, workplace.task_states(learner.id),
        paths.outlook(journey, plan), paths.weekly_rhythm(journey, plan),
        assignments.askers_of(learner.id) if assigned else {},
    )  # fmt: skip
