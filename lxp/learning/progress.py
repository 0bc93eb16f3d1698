"""Progress sent by a program (the API, a phone's queue): one entry point over the learning
services, keyed by the client's event id.

A replay of the same id gives the same answer and counts once (``events.record`` is
idempotent; the services notice the replay). ``progress_event`` says whether the id was new,
so the API can answer 201 or 200.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from lxp.core.errors import Invalid
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.learning import services as learning

PROGRESS_TYPES = ("completed", "quiz_attempt", "answer_saved")


@dataclass(frozen=True)
class ProgressOutcome:
    event_id: uuid.UUID
    type: str
    item: str
    new: bool  # False when this id was recorded before (a replay)
    quiz: learning.QuizResult | None = None


def progress_event(learner, *, event_id: uuid.UUID, type: str, item: str, occurred_at: datetime | None = None,
                   seconds: int | None = None, reflection: str | None = None, response=None,
                   answers: dict | None = None,
                   question: str | None = None, chosen: list[int] | None = None) -> ProgressOutcome:  # fmt: skip
    """Record one piece of progress with the client's id (in the caller's transaction).

    ``completed`` marks a block the learner ticks off done, with their ``response`` (a
    reflection's text may come as ``reflection``); ``quiz_attempt`` sends a quiz's
    answers for marking; ``answer_saved`` keeps one answer of a quiz in progress. Raises
    ``NotFound``, ``Invalid`` and ``Conflict`` as the learning services do (a reused id with
    other content is a ``Conflict``).
    """
    new = db.session.get(LearningEvent, event_id) is None
    quiz = None
    if type == "completed":
        learning.complete_block(learner, item, str(event_id), seconds, reflection if response is None else response,
                                occurred_at=occurred_at)  # fmt: skip
    elif type == "quiz_attempt":
        if not answers:
            raise Invalid(_l("Send the answers of the quiz."), field="answers")
        quiz = learning.answer_quiz(learner, item, answers, str(event_id), seconds, occurred_at=occurred_at)
    elif type == "answer_saved":
        if question is None or chosen is None:
            raise Invalid(_l("Send the question and the chosen options."), field="question")
        learning.save_answer(learner, item, question, chosen, str(event_id), occurred_at=occurred_at)
    else:
        raise Invalid(_l("Unknown kind of progress."), field="type")
    return ProgressOutcome(event_id, type, item, new, quiz)
