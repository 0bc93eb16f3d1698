"""Messages that fit where the learner stands: a finished path hears nothing that leads to a
next step (while an unfinished one in the same tick does), a paused path hears only what the
learner asked for, and every reason says what its trigger measured, with the course's numbers."""

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import CoachAssignment
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.live.models import LiveSession
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage, TouchpointRule
from lxp.paths import services as paths
from lxp.paths.models import Journey
from tests.conftest import committing, sign_in
from tests.integration import test_touchpoint_triggers
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    register,
    schedule,
    soon,
    start_path,
    trainer_fixture,
)

learner_on_path = test_touchpoint_triggers.learner_on_path  # the fixture those tests use, shared


# The rules that lead to a step still to do (``needs_open_step``).
TOWARDS_A_STEP = {"welcome", "step_due", "inactive", "inactive_coach", "block_done"}


def _rules_for(user_id) -> set[str]:
    return set(db.session.scalars(select(OutboxMessage.rule).where(OutboxMessage.user_id == user_id)))


def _journey(learner_id) -> Journey:
    return db.session.execute(select(Journey).where(Journey.learner_id == learner_id)).scalar_one()


def _finish_path(learner, published, at):
    """Do every step of the example path at ``at`` (the lesson last) and replan, as a pass would."""
    events.record(actor_id=learner.id, verb="passed", object_type="item", object_id=published["quiz"],
                  occurred_at=at - timedelta(minutes=10),
                  result={"success": True, "extensions": {"failed_competencies": []}})  # fmt: skip
    events.record(actor_id=learner.id, verb="completed", object_type="item", object_id=published["lesson"],
                  occurred_at=at)  # fmt: skip
    paths.replan(_journey(learner.id))
    db.session.commit()
    assert not [s for s in _journey(learner.id).plan["steps"] if not s["done"]]


def _coach_for(make_user, *learners) -> int:
    coach = make_user(("trainer",), name="Priya Coach")
    for learner in learners:
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach))
    db.session.commit()
    return coach


def _old_inactive_nudge(learner, sent_at):
    """A quiet-days nudge sent before (as an earlier tick would have)."""
    db.session.add(OutboxMessage(user_id=learner.id, rule="inactive", occurrence=f"before:{learner.id}",
                                 category="nudge", subject="Five minutes for your path?", body="", why="",
                                 status="sent", due_at=sent_at, sent_at=sent_at, created_at=sent_at))  # fmt: skip
    db.session.commit()


def test_a_finished_learner_silent_for_weeks_hears_no_nudge_nor_their_coach_while_an_unfinished_one_does(
    learner_on_path, make_user, published
):
    finished, unfinished = learner_on_path(days_ago=30), learner_on_path(days_ago=30)
    _finish_path(finished, published, utcnow() - timedelta(days=20))
    coach = _coach_for(make_user, finished, unfinished)
    reminded_at = utcnow() - timedelta(days=6)
    nudges.plan_touchpoints(reminded_at)
    assert _rules_for(unfinished.id) & TOWARDS_A_STEP == {"inactive"}
    assert _rules_for(finished.id) & TOWARDS_A_STEP == set() and "goal_reached" in _rules_for(finished.id)
    [reminder] = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "inactive")).scalars().all()
    reminder.status, reminder.sent_at = "sent", reminded_at
    _old_inactive_nudge(finished, reminded_at)  # as planned before finished paths were told apart
    nudges.plan_touchpoints(utcnow())
    nudges.plan_touchpoints(utcnow() + timedelta(minutes=5))
    [told] = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "inactive_coach")).scalars().all()
    assert told.user_id == coach and told.occurrence.startswith(f"learner:{unfinished.id}:")
    assert _rules_for(finished.id) & TOWARDS_A_STEP == {"inactive"}  # only the old one: nothing new
    [reached] = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "goal_reached")).scalars().all()
    assert reached.why == "You have done all 2 required steps of your path."


def test_a_learner_who_just_finished_gets_no_next_step_nudge_while_one_still_on_the_way_does(
    learner_on_path, published
):
    finished, on_the_way = learner_on_path(days_ago=4), learner_on_path(days_ago=4)
    _finish_path(finished, published, utcnow() - timedelta(hours=50))
    events.record(actor_id=on_the_way.id, verb="completed", object_type="item", object_id=published["lesson"],
                  occurred_at=utcnow() - timedelta(hours=50))  # fmt: skip
    paths.replan(_journey(on_the_way.id))
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    assert "block_done" not in _rules_for(finished.id) and "goal_reached" in _rules_for(finished.id)
    [next_up] = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "block_done")).scalars().all()
    assert next_up.user_id == on_the_way.id and next_up.subject == "Next up: Check: listening"


def test_a_paused_path_hears_only_the_session_reminder_the_learner_asked_for(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(1, hour=15), zone="UTC")
    paused_client, paused_id = person(timezone="UTC")
    active_client, active_id = person(timezone="UTC")
    for client in (paused_client, active_client):
        start_path(client, live_course)
        assert register(client, session_id).status_code == 302
    lesson = f"{live_course['course']}:listen-lesson"
    with committing(app):
        starts = db.session.get(LiveSession, session_id).starts_at
        moment = starts - timedelta(hours=23)
        with time_machine.travel(moment, tick=False):
            for learner_id in (paused_id, active_id):
                events.record(actor_id=learner_id, verb="completed", object_type="item", object_id=lesson,
                              occurred_at=moment - timedelta(hours=50))  # fmt: skip
                events.record(actor_id=trainer, verb="commented", object_type="competency", object_id="active-listening",
                              occurred_at=moment - timedelta(hours=25), context={"learner": learner_id, "feedback": 1})  # fmt: skip
            learner = db.session.get(User, paused_id)
            paths.set_paused(learner, paths.open_journey(learner), True)
            nudges.plan_touchpoints(moment)
            # (The digest, and the next steps' reminder, come too when the tick falls on their day
            # and hour: not the point here.)
            assert _rules_for(active_id) - {"weekly_digest", "step_due"} == {"session_tomorrow", "block_done", "feedback_received",
                                                                 "first_step"}  # fmt: skip
            assert _rules_for(paused_id) == {"session_tomorrow"}
            # Resumed: what is still due comes (the coach's follow-up is still within its time).
            paths.set_paused(learner, paths.open_journey(learner), False)
            nudges.plan_touchpoints(moment + timedelta(minutes=1))
            assert "feedback_received" in _rules_for(paused_id)


def test_each_reason_says_what_was_measured_with_the_courses_own_numbers(
    app, client, learner_on_path, make_user, published
):
    for key, params in (("inactive", {"days": 6}), ("inactive_coach", {"days": 3}), ("block_done", {"delay_hours": 30}),
                        ("welcome", {"delay_hours": 12})):  # fmt: skip
        db.session.add(TouchpointRule(course_id=published["course"], key=key, enabled=True, params=params,
                                      priority=30, channels=[], templates={}, holdout_percent=0))  # fmt: skip
    db.session.commit()
    quiet = learner_on_path(days_ago=7, email="quiet@example.com", name="Quinn Quiet")
    quiet_since = _journey(quiet.id).created_at
    finished_a_block = learner_on_path(days_ago=2)
    events.record(actor_id=finished_a_block.id, verb="completed", object_type="item", object_id=published["lesson"],
                  occurred_at=utcnow() - timedelta(hours=31))  # fmt: skip
    just_started = learner_on_path()
    _coach_for(make_user, quiet)
    tick = utcnow() + timedelta(hours=13)  # half a day on: the welcome is due too
    nudges.plan_touchpoints(tick)

    def why(rule, user_id=None):
        query = select(OutboxMessage.why).where(OutboxMessage.rule == rule)
        return db.session.scalars(query if user_id is None else query.where(OutboxMessage.user_id == user_id)).one()

    quiet_days = (tick - quiet_since).days
    assert quiet_days == 7
    assert why("inactive", quiet.id) == ("You have had no learning activity on your path for 7 days. "
                                         "This reminder comes after 6 days without any.")  # fmt: skip
    assert why("block_done") == ("You finished \u201cWhat active listening sounds like\u201d and had no learning "
                                 "activity in the 30 hours after.")  # fmt: skip
    assert why("welcome", just_started.id) == ("You started a path for \u201cHandle a complaint so the customer "
                                               "stays\u201d and had no learning activity in the 12 hours after.")  # fmt: skip

    reminder = db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule == "inactive")).one()
    reminder.status, reminder.sent_at = "sent", tick
    db.session.commit()
    later = tick + timedelta(days=3, minutes=1)
    nudges.plan_touchpoints(later)
    assert why("inactive_coach") == (f"You coach Quinn Quiet, who has had no learning activity for "
                                     f"{(later - quiet_since).days} days. Nothing changed in the 3 days after we "
                                     f"reminded them.")  # fmt: skip

    # What the learner reads: the inbox says the same, word for word.
    reminder.status, reminder.sent_at = "pending", None
    db.session.commit()
    noon = (tick + timedelta(days=1)).replace(hour=12, minute=0)  # outside anyone's quiet hours
    nudges.deliver_outbox(noon)
    [note] = db.session.scalars(select(InAppMessage).where(InAppMessage.user_id == quiet.id,
                                                           InAppMessage.subject == "Five minutes for your path?")).all()  # fmt: skip
    note_id = note.id
    db.session.remove()
    assert sign_in(client, "quiet@example.com").status_code == 302
    page = client.get(f"/inbox/{note_id}").get_data(as_text=True)
    assert re.search(r"Why you got this: You have had no learning activity on your path for 7 days\. "
                     r"This reminder comes after 6 days without any\.", page)  # fmt: skip
