"""The placement check: a short test, built from the quiz questions that check the goals'
competencies, that lets a learner test out of what they already know.

A competency counts as shown when every placement question on it is answered right; it is
recorded as ``mastered`` with ``context.placement``, and the planner then skips what only
teaches it, saying why. One check per journey.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lxp import events
from lxp.authoring import kinds
from lxp.core.errors import Conflict, Invalid, NotFound
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths import services as paths

QUESTIONS_PER_COMPETENCY = 2


@dataclass(frozen=True)
class PlacementQuestion:
    name: str  # the form field: "<course id>:<item key>:<question key>"
    competency: str
    prompt: str
    multiple: bool
    options: tuple[str, ...]
    correct: tuple[int, ...]


def _journey(learner):
    journey = paths.open_journey(learner)
    if journey is None:
        raise NotFound(_l("Choose a goal first."))
    return journey


def questions(learner) -> list[PlacementQuestion]:
    """Up to two questions for each targeted competency not yet shown, in course order."""
    journey = _journey(learner)
    wanted = {c.code for goal in journey.goals for c in goal.competencies} - paths.learner_state(learner.id).mastered
    found: dict[str, list[PlacementQuestion]] = {}
    for journey_course in journey.courses:
        for module in journey_course.version.modules:
            for item in module.items:
                kind = kinds.get(item.kind)
                if not kind.counts_for_placement:
                    continue
                for question in kind.questions(item.content):
                    competency = question["competency"]
                    if competency in wanted and len(found.setdefault(competency, [])) < QUESTIONS_PER_COMPETENCY:
                        found[competency].append(PlacementQuestion(
                            f"{journey_course.course_id}:{item.key}:{question['key']}", competency, question["prompt"],
                            question["multiple"], tuple(o["text"] for o in question["options"]),
                            tuple(n for n, o in enumerate(question["options"]) if o["correct"]),
                        ))  # fmt: skip
    return [q for competency in sorted(found) for q in found[competency]]


def taken(learner) -> bool:
    journey = paths.open_journey(learner)
    return journey is not None and bool(db.session.scalar(
        select(func.count()).select_from(LearningEvent).where(
            LearningEvent.actor_id == learner.id, LearningEvent.object_type == "placement",
            LearningEvent.object_id == str(journey.id))
    ))  # fmt: skip


@dataclass(frozen=True)
class PlacementResult:
    shown: tuple[str, ...]  # competency codes
    skipped_steps: int


def submit(learner, answers: dict[str, list[int]], event_id: str | None = None) -> PlacementResult:
    """Mark the placement check, record what the learner showed, and replan.

    Raises ``NotFound`` (no path), ``Conflict`` (already taken), ``Invalid`` (an answer missing
    or not one of the options).
    """
    journey = _journey(learner)
    if taken(learner):
        raise Conflict(_l("You have taken the placement check for this path already."))
    asked = questions(learner)
    if not asked:
        raise Invalid(_l("There is nothing to check: no quiz covers your goals yet."))
    right: dict[str, list[bool]] = {}
    for question in asked:
        chosen = tuple(sorted(set(answers.get(question.name, []))))
        if not chosen:
            raise Invalid(_l("Answer every question, or skip the check."), field=question.name)
        if any(not 0 <= n < len(question.options) for n in chosen):
            raise Invalid(_l("That answer is not one of the options."), field=question.name)
        right.setdefault(question.competency, []).append(chosen == question.correct)
    shown = tuple(sorted(c for c, marks in right.items() if all(marks)))
    before = len(paths.current_plan(journey).open_steps)
    check = events.record(
        actor_id=learner.id, verb="attempted", object_type="placement", object_id=journey.id,
        result={"score": {"raw": sum(all(m) for m in right.values()), "min": 0, "max": len(right)},
                "completion": True, "response": {q.name: answers.get(q.name, []) for q in asked}},
        context={"shown": list(shown)}, event_id=event_id,
    )  # fmt: skip
    for competency in shown:
        events.record(actor_id=learner.id, verb="mastered", object_type="competency", object_id=competency,
                      context={"placement": True}, occurred_at=check.occurred_at,
                      event_id=uuid.uuid5(check.id, competency))  # fmt: skip
    after = len((paths.refresh_plan(journey, "the placement check") or paths.current_plan(journey)).open_steps)
    db.session.flush()
    return PlacementResult(shown, max(before - after, 0))
