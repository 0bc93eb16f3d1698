"""Spaced review where a course switches it on: a passed quiz's question comes back when FSRS
says it is due; a right answer pushes it further out, a wrong one brings it back soon."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.learning import services as learning
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage, ReviewCard, TouchpointRule
from lxp.paths import services as paths
from tests.conftest import committing, sign_in, submit

RIGHT, WRONG = ["0"], ["1"]  # the example quiz's one question: the first option is right


def _passed_the_quiz(app, make_user, published, email):
    with committing(app):
        learner = db.session.get(User, make_user(("learner",), email=email))
        paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
        learning.answer_quiz(learner, published["quiz"], {"q1": [0]})
        return learner.id


def _switch_review(app, published, on=True):
    with committing(app):
        db.session.add(TouchpointRule(course_id=published["course"], key="review", enabled=on, params={},
                                      priority=25, channels=[], templates={}, holdout_percent=0))  # fmt: skip
        db.session.commit()


def _reviews(app):
    with committing(app):
        rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "review")).scalars().all()
        db.session.expunge_all()
        return rows


def test_without_the_course_switch_nobody_gets_review_questions(app, make_user, published):
    _passed_the_quiz(app, make_user, published, "ana@example.com")
    with committing(app):
        nudges.plan_touchpoints(utcnow() + timedelta(days=30))
        assert db.session.execute(select(ReviewCard)).first() is None
    assert _reviews(app) == []


def test_a_passed_question_comes_back_when_due_and_the_answer_reschedules_it(app, make_user, published):
    _switch_review(app, published)
    learner_id = _passed_the_quiz(app, make_user, published, "ana@example.com")
    with committing(app):
        nudges.plan_touchpoints(utcnow())  # the card is made, not yet due
        card = db.session.execute(select(ReviewCard)).scalar_one()
        card_id, first_due = card.id, card.due_at
        assert card.user_id == learner_id and first_due > utcnow() + timedelta(hours=12)
        nudges.plan_touchpoints(first_due + timedelta(hours=1))
        nudges.plan_touchpoints(first_due + timedelta(hours=2))  # once a day at most
    [message] = _reviews(app)
    assert message.subject == "A quick recall: Check: listening"
    assert message.body == "A customer says the parcel is late again. What do you say first?"
    assert message.link == f"/review/{card_id}"

    client = app.test_client()
    sign_in(client, "ana@example.com")
    with committing(app):  # due now: make the card due at the real clock so the answer counts
        db.session.get(ReviewCard, card_id).due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = submit(client, message.link, {"chosen": RIGHT}).get_data(as_text=True)
    assert "Right. It will come back later" in page
    with committing(app):
        after_right = db.session.get(ReviewCard, card_id).due_at
        assert after_right > utcnow() + timedelta(days=1)
        db.session.get(ReviewCard, card_id).due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = submit(client, message.link, {"chosen": WRONG}).get_data(as_text=True)
    assert "Not quite. It will come back soon" in page
    with committing(app):
        after_wrong = db.session.get(ReviewCard, card_id).due_at
        assert after_wrong < after_right
    again = submit(client, message.link, {"chosen": RIGHT})  # not due any more: shown, not counted
    with committing(app):
        assert db.session.get(ReviewCard, card_id).due_at == after_wrong
    assert again.status_code == 200


def test_a_review_question_is_the_learners_own_and_needs_an_answer(app, make_user, published):
    _switch_review(app, published)
    _passed_the_quiz(app, make_user, published, "ana@example.com")
    with committing(app):
        nudges.plan_touchpoints(utcnow())
        card_id = db.session.execute(select(ReviewCard.id)).scalar_one()
    _passed_the_quiz(app, make_user, published, "ben@example.com")
    other = app.test_client()
    sign_in(other, "ben@example.com")
    assert other.get(f"/review/{card_id}").status_code == 404
    owner = app.test_client()
    sign_in(owner, "ana@example.com")
    response = submit(owner, f"/review/{card_id}", {})
    assert response.status_code == 400 and "Choose one of the options." in response.get_data(as_text=True)


def test_two_planner_runs_either_side_of_midnight_send_one_question(app, make_user, published):
    _switch_review(app, published)
    _passed_the_quiz(app, make_user, published, "ana@example.com")
    with committing(app):
        nudges.plan_touchpoints(utcnow())
        first_due = db.session.execute(select(ReviewCard.due_at)).scalar_one()
        before_midnight = datetime.combine(first_due.date() + timedelta(days=1), time(23, 30), UTC)
        nudges.plan_touchpoints(before_midnight)
        nudges.plan_touchpoints(before_midnight + timedelta(hours=1))  # another UTC date, same evening
    assert len(_reviews(app)) == 1
