"""A coach's structured feedback: a rating of one competency with a comment.

Feedback is evidence: a rating of ``SHOWN_AT`` or more records the competency as ``mastered``
(context: the feedback), so the path stops teaching it; every rating is a ``commented`` event
on the competency with the rating as its score, for the analytics.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.authoring.models import Competency
from lxp.channels import in_app, path_for
from lxp.coaching.models import FEEDBACK_RATINGS, SHOWN_AT, CoachFeedback
from lxp.coaching.threads import is_coach_of
from lxp.core.errors import Invalid, NotFound
from lxp.core.paging import paginate
from lxp.core.statements import prepared
from lxp.extensions import db
from lxp.paths import services as paths

COMMENT_LIMIT = 4000


def learner_coached_by(trainer: User, learner_id: int) -> User:
    """A learner the trainer coaches. Raises ``NotFound``."""
    learner = db.session.get(User, learner_id)
    if learner is None or learner.organisation_id != trainer.organisation_id or not is_coach_of(trainer, learner_id):
        raise NotFound(_l("No such learner among the people you coach."))
    return learner


def competencies_for(learner: User) -> list[Competency]:
    """The competencies of the learner's journey goals (what feedback can be about), by name."""
    journey = paths.open_journey(learner)
    codes = {c.code for goal in journey.goals for c in goal.competencies} if journey else set()
    return list(
        db.session.execute(
            select(Competency)
            .where(Competency.organisation_id == learner.organisation_id, Competency.code.in_(codes))
            .order_by(Competency.name)
        ).scalars()
    )


def give_feedback(coach: User, learner_id: int, competency: str, rating: int, comment: str = "") -> CoachFeedback:
    """Rate one competency of a learner the coach coaches; the learner sees it on their path
    and is told. Raises ``NotFound`` (not their learner) and ``Invalid`` (a competency not on
    the learner's path, a rating outside 1..4, an overlong comment)."""
    learner = learner_coached_by(coach, learner_id)
    if competency not in {c.code for c in competencies_for(learner)}:
        raise Invalid(_l("Choose a competency of the learner's goals."), field="competency")
    if rating not in FEEDBACK_RATINGS:
        raise Invalid(_l("Choose a rating."), field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=COMMENT_LIMIT), field="comment")
    feedback = CoachFeedback(organisation_id=coach.organisation_id, learner_id=learner.id, coach_id=coach.id,
                             competency=competency, rating=rating, comment=comment)  # fmt: skip
    db.session.add(feedback)
    db.session.flush()
    recorded = events.record(actor_id=coach.id, verb="commented", object_type="competency", object_id=competency,
                             result={"score": {"raw": rating, "min": 1, "max": 4}, "response": comment or None},
                             context={"learner": learner.id, "feedback": feedback.id})  # fmt: skip
    if rating >= SHOWN_AT:
        # The learner showed it, as their coach saw: the same evidence a passed check gives.
        events.record(actor_id=learner.id, verb="mastered", object_type="competency", object_id=competency,
                      context={"feedback": feedback.id, "coach": coach.id}, occurred_at=recorded.occurred_at)  # fmt: skip
    journey = paths.open_journey(learner)
    if journey is not None and journey.status == "active":
        paths.refresh_plan(journey, f"coach feedback on {competency}")
    with force_locale(learner.locale or current_app.config["DEFAULT_LOCALE"]):
        in_app.post(in_app.InAppNote(
            user_id=learner.id, category="reply", key=f"coach-feedback:{feedback.id}",
            subject=str(_l("Feedback from %(coach)s", coach=coach.display_name)), body=comment,
            link=path_for("learning.path") + "#feedback",
            why=str(_l("Your coach gave you feedback on something you are learning.")),
        ))  # fmt: skip
    db.session.flush()
    return feedback


@prepared
def _feedback_newest_first():
    return (
        select(CoachFeedback)
        .where(CoachFeedback.learner_id == bindparam("learner_id"))
        .order_by(CoachFeedback.created_at.desc(), CoachFeedback.id.desc())
        .limit(bindparam("limit"))
    )


def feedback_for(learner_id: int, limit: int = 20) -> list[CoachFeedback]:
    """The feedback a learner received, newest first (the path page shows it on every visit)."""
    return list(db.session.execute(_feedback_newest_first(), {"learner_id": learner_id, "limit": limit}).scalars())


ON_PATH = 20
PER_PAGE = 20


def recent_feedback(learner_id: int) -> tuple[list[CoachFeedback], bool]:
    """The newest ``ON_PATH`` pieces of feedback the learner received, and whether there is older
    feedback (read with them: one more row, no count)."""
    found = feedback_for(learner_id, ON_PATH + 1)
    return found[:ON_PATH], len(found) > ON_PATH


def feedback_page(learner_id: int, page: int | None):
    """Page ``page`` of all the feedback the learner received, newest first, ``PER_PAGE`` a page
    with who gave it (a page past the end is the last)."""
    statement = (
        select(CoachFeedback)
        .where(CoachFeedback.learner_id == learner_id)
        .order_by(CoachFeedback.created_at.desc(), CoachFeedback.id.desc())
        .options(selectinload(CoachFeedback.coach))
    )
    return paginate(statement, page, PER_PAGE)
