"""Spaced review: a short recall question from a quiz the learner passed, timed by FSRS.

Where a course switches the ``review`` touchpoint on, each question of a quiz a learner passed
becomes a review card; passing counts as the first good recall. When FSRS says a card is due,
the planner sends one recall question a day at most (the most overdue), and answering it on
``/review/<card>`` reschedules the card: right is "good", wrong is "again".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from fsrs import Card, Rating, Scheduler
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.authoring import kinds
from lxp.authoring.models import CourseVersion, Item
from lxp.channels import path_for
from lxp.core.errors import Invalid, NotFound
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage, ReviewCard, TouchpointRule
from lxp.nudges.rules import Rule
from lxp.nudges.triggers import Occurrence, course_of_ref, learners

# The quiz itself was the learning step, so cards go straight to spaced reviews; no fuzzing,
# so a learner's schedule is the same on every run.
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
LOOK_BACK = timedelta(days=180)  # passed quizzes older than this get no cards when review is switched on


def _enabled_courses() -> set[int]:
    return set(db.session.scalars(
        select(TouchpointRule.course_id).where(TouchpointRule.key == "review", TouchpointRule.enabled)))  # fmt: skip


def _question_items(refs: set[str]) -> dict[tuple[str, int], dict]:
    """(ref, version id) -> the quiz content of that version."""
    wanted = {(course_of_ref(ref), ref.partition(":")[2]) for ref in refs if course_of_ref(ref) is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(CourseVersion.course_id, Item.key, Item.version_id, Item.content, Item.title)
        .join(CourseVersion, CourseVersion.id == Item.version_id)
        .where(Item.kind.in_(kinds.where("reviewable")), CourseVersion.course_id.in_({c for c, _k in wanted}),
               Item.key.in_({k for _c, k in wanted}))
    ).all()  # fmt: skip
    return {(f"{c}:{k}", v): {**(content or {}), "title": title} for c, k, v, content, title in rows}


def add_cards(now: datetime, courses: set[int]) -> int:
    """Cards for the questions of quizzes passed in these courses that have none yet."""
    if not courses:
        return 0
    first_pass: dict[tuple[int, str], tuple] = {}
    for actor_id, ref, context, when in db.session.execute(
        select(LearningEvent.actor_id, LearningEvent.object_id, LearningEvent.context, LearningEvent.occurred_at)
        .where(LearningEvent.verb == "passed", LearningEvent.object_type == "item",
               LearningEvent.occurred_at > now - LOOK_BACK, LearningEvent.actor_id.in_(learners()))
        .order_by(LearningEvent.occurred_at)
    ).all():  # fmt: skip
        first_pass.setdefault((actor_id, ref), (actor_id, ref, context, when))
    passed = list(first_pass.values())
    passed = [p for p in passed if course_of_ref(p[1]) in courses]
    if not passed:
        return 0
    have = set(db.session.execute(select(ReviewCard.user_id, ReviewCard.question)).all())
    content = _question_items({p[1] for p in passed})
    added = 0
    for learner_id, ref, context, when in passed:
        quiz = content.get((ref, (context or {}).get("version")))
        for question in (quiz or {}).get("questions", ()):
            key = f"{ref}/{question['key']}"
            if (learner_id, key) in have:
                continue
            card, _log = SCHEDULER.review_card(Card(), Rating.Good, review_datetime=when)
            db.session.add(ReviewCard(user_id=learner_id, question=key, card=card.to_dict(), due_at=card.due,
                                      reviewed_at=when))  # fmt: skip
            have.add((learner_id, key))
            added += 1
    db.session.flush()
    return added


def due_reviews(rule: Rule, now: datetime) -> list[Occurrence]:
    """The trigger: per learner, their most overdue card, once a day at most."""
    add_cards(now, _enabled_courses())
    rows = db.session.execute(
        select(ReviewCard.id, ReviewCard.user_id, ReviewCard.question, ReviewCard.due_at)
        .where(ReviewCard.due_at <= now, ReviewCard.user_id.in_(learners()))
        .order_by(ReviewCard.user_id, ReviewCard.due_at)
    ).all()  # fmt: skip
    # A rolling day, not the calendar date: a planner run either side of midnight sends one.
    asked_lately = set(db.session.scalars(
        select(OutboxMessage.user_id).where(OutboxMessage.rule == "review", OutboxMessage.due_at > now - timedelta(days=1))))  # fmt: skip
    first: dict[int, tuple] = {}
    for row in rows:
        if row[1] not in asked_lately:
            first.setdefault(row[1], row)
    if not first:
        return []
    prompts = _prompts({row[2] for row in first.values()})
    return [
        Occurrence(user_id, f"review:{now.date().isoformat()}", now, course_of_ref(question),
                   {"title": prompts.get(question, ("", ""))[0], "question": prompts.get(question, ("", ""))[1],
                    "link": path_for("review.recall", card_id=card_id)})
        for card_id, user_id, question, _due in first.values()
    ]  # fmt: skip


def _prompts(questions: set[str]) -> dict[str, tuple[str, str]]:
    """ "<ref>/<question key>" -> (quiz title, question prompt), from the newest version."""
    found = {}
    quizzes = _question_items({q.rpartition("/")[0] for q in questions})
    for (ref, _version), quiz in sorted(quizzes.items(), key=lambda pair: pair[0][1]):  # newest version last
        for question in quiz.get("questions", ()):
            found[f"{ref}/{question['key']}"] = (quiz["title"], question["prompt"])
    return found


@dataclass(frozen=True)
class Recall:
    card: ReviewCard
    title: str
    question: dict
    answered: bool = False
    correct: bool | None = None
    chosen: tuple[int, ...] = ()


def _own_card(learner: User, card_id: int) -> ReviewCard:
    card = db.session.get(ReviewCard, card_id)
    if card is None or card.user_id != learner.id:
        raise NotFound(_l("There is no such review question."))
    return card


def _question_of(card: ReviewCard) -> tuple[str, dict]:
    ref, _, key = card.question.rpartition("/")
    items = _question_items({ref})
    if not items:
        raise NotFound(_l("This question is no longer in the course."))
    quiz = items[max(items, key=lambda k: k[1])]  # the newest version
    question = next((q for q in quiz.get("questions", ()) if q["key"] == key), None)
    if question is None:
        raise NotFound(_l("This question is no longer in the course."))
    return quiz["title"], question


def open_recall(learner: User, card_id: int) -> Recall:
    """The learner's own review question. Raises ``NotFound``."""
    card = _own_card(learner, card_id)
    title, question = _question_of(card)
    return Recall(card, title, question)


def answer_recall(learner: User, card_id: int, chosen: list[int], now: datetime | None = None) -> Recall:
    """Mark the answer and reschedule the card (once per due date: a second answer before the
    card is due again is shown, not counted). Raises ``NotFound`` and ``Invalid``."""
    now = now or utcnow()
    card = _own_card(learner, card_id)
    title, question = _question_of(card)
    picked = tuple(sorted(set(chosen)))
    if not picked or any(not 0 <= n < len(question["options"]) for n in picked):
        raise Invalid(_l("Choose one of the options."), field="chosen")
    right = tuple(n for n, option in enumerate(question["options"]) if option["correct"])
    correct = picked == right
    if card.due_at <= now:  # due: this answer counts
        reviewed, _log = SCHEDULER.review_card(Card.from_dict(card.card), Rating.Good if correct else Rating.Again,
                                               review_datetime=now)  # fmt: skip
        card.card, card.due_at, card.reviewed_at = reviewed.to_dict(), reviewed.due, now
        # Its own object type: the quiz's saved answers (``question``) stay as the learner left them.
        events.record(actor_id=learner.id, verb="answered", object_type="review", object_id=card.question,
                      result={"success": correct, "response": list(picked)}, context={"review": True})  # fmt: skip
        db.session.flush()
    return Recall(card, title, question, True, correct, picked)
