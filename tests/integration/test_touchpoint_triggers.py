"""Every trigger kind, time-controlled: what happened (or did not), the message planned from
it, to whom, with which words and reason; and the planner's own rules (holdout, a rule that
pauses itself, statements that do not grow with the number of learners)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from lxp import events
from lxp.accounts.models import User
from lxp.channels.in_app import InAppMessage
from lxp.coaching import services as coaching
from lxp.coaching.models import CoachAssignment
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import NotificationPreferences, OutboxMessage, TouchpointRule
from lxp.paths import services as paths
from lxp.paths.models import Journey


@pytest.fixture
def learner_on_path(make_user, published, ctx):
    """A learner on the example course's path; ``days_ago`` backdates the start and its event."""

    def make(days_ago: float = 0, **fields) -> User:
        learner = db.session.get(User, make_user(("learner",), **fields))
        paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
        if days_ago:
            moment = utcnow() - timedelta(days=days_ago)
            db.session.execute(select(Journey).where(Journey.learner_id == learner.id)).scalar_one().created_at = moment
            for row in db.session.execute(
                select(events.LearningEvent).where(events.LearningEvent.actor_id == learner.id)
            ).scalars():
                row.occurred_at = moment
        db.session.commit()
        return learner

    return make


def _rows(rule, user_id=None):
    query = select(OutboxMessage).where(OutboxMessage.rule == rule).order_by(OutboxMessage.id)
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    return db.session.execute(query).scalars().all()


def _journey(learner):
    return db.session.execute(select(Journey).where(Journey.learner_id == learner.id)).scalar_one()


def test_a_day_after_starting_a_learner_who_has_not_begun_is_shown_their_first_step(learner_on_path, published):
    waiting, started = learner_on_path(), learner_on_path()
    events.record(actor_id=started.id, verb="completed", object_type="item", object_id=published["lesson"])
    db.session.commit()
    nudges.plan_touchpoints(utcnow() + timedelta(hours=23))
    assert _rows("welcome") == []  # not yet: a day after starting
    nudges.plan_touchpoints(utcnow() + timedelta(hours=25))
    [row] = _rows("welcome")
    assert row.user_id == waiting.id  # the one who began already needs no nudge
    assert row.subject == f"Your first step is waiting, {waiting.display_name}"
    first = next(s for s in _journey(waiting).plan["steps"] if not s["done"])
    assert row.body.startswith(f"It is \u201c{first['title']}\u201d and takes a few minutes.")
    assert row.why == (
        "You started a path for \u201cHandle a complaint so the customer stays\u201d and had no learning "
        "activity in the 24 hours after."
    )


def test_a_step_due_in_two_days_is_announced_once_in_the_learners_own_calendar(learner_on_path):
    learner = learner_on_path(timezone="Pacific/Auckland")
    journey = _journey(learner)
    now = utcnow()
    local_today = now.astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Auckland")).date()
    plan = dict(journey.plan)
    # Only the first step is due in two days; the others later, whatever weekday it is in Auckland.
    later = (local_today + timedelta(days=20)).isoformat()
    plan["steps"] = [{**plan["steps"][0], "due": (local_today + timedelta(days=2)).isoformat(), "done": False},
                     *({**step, "due": later} for step in plan["steps"][1:])]  # fmt: skip
    journey.plan = plan
    db.session.commit()
    nudges.plan_touchpoints(now)
    nudges.plan_touchpoints(now + timedelta(minutes=5))
    [row] = _rows("step_due")
    assert row.subject == f"Coming up: {plan['steps'][0]['title']}"
    assert row.why.startswith("Planned on your path for ")
    assert row.why.endswith(f", 2 days from now: \u201c{plan['steps'][0]['title']}\u201d.")
    assert row.category == "reminder" and row.link.startswith("/learn/")


def test_a_learner_still_quiet_after_the_nudge_is_brought_to_their_coachs_attention(learner_on_path, make_user):
    learner = learner_on_path(days_ago=12, name="Ravi Menon")
    coach = make_user(("trainer",), name="Priya Coach")
    db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach))
    db.session.commit()
    nudged_at = utcnow() - timedelta(days=6)
    nudges.plan_touchpoints(nudged_at)
    [nudge] = _rows("inactive", learner.id)
    nudge.status, nudge.sent_at = "sent", nudged_at
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    [told] = _rows("inactive_coach")
    assert told.user_id == coach and told.subject == "Ravi Menon has gone quiet"
    assert told.body.startswith("Ravi Menon has had no learning activity on their path for 12 days")
    assert told.why == (
        "You coach Ravi Menon, who has had no learning activity for 12 days. Nothing changed in the "
        "5 days after we reminded them."
    )
    nudges.plan_touchpoints(utcnow() + timedelta(hours=3))
    assert len(_rows("inactive_coach")) == 1  # the same silence: once


def test_a_task_sent_back_and_a_coachs_feedback_each_get_their_own_follow_up(learner_on_path, make_user, published):
    learner = learner_on_path()
    coach = make_user(("trainer",))
    task = f"{published['course']}:listen-check"
    events.record(actor_id=learner.id, verb="failed", object_type="item", object_id=task,
                  occurred_at=utcnow() - timedelta(hours=49), context={"reviewer": coach})  # fmt: skip
    events.record(actor_id=coach, verb="commented", object_type="competency", object_id="listening",
                  occurred_at=utcnow() - timedelta(hours=25), context={"learner": learner.id, "feedback": 1})  # fmt: skip
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    assert _rows("failed_check") == []  # the coach's review said it already, in their words
    [again] = _rows("another_try")
    assert again.user_id == learner.id and again.why.startswith("Your coach asked for another try at")
    [feedback] = _rows("feedback_received")
    assert feedback.user_id == learner.id and feedback.link == "/coaching"


def test_a_resolved_question_is_followed_up_unless_the_learner_closed_it(learner_on_path, make_user, published):
    learner, other = learner_on_path(), learner_on_path()
    trainer = db.session.get(User, make_user(("trainer",)))
    mine, _new = coaching.ask_for_help(learner, published["lesson"], "I do not get the second part")
    theirs, _new = coaching.ask_for_help(other, published["lesson"], "")
    coaching.answer_request(trainer, mine, "Start from the customer's words.")
    coaching.resolve_by_learner(other, theirs)
    db.session.commit()
    nudges.plan_touchpoints(utcnow() + timedelta(hours=49))
    [row] = _rows("help_resolved")
    assert row.user_id == learner.id and row.link == "/help"


def test_the_weekly_digest_comes_on_the_chosen_day_and_hour_with_what_went_over_the_cap(learner_on_path):
    learner = learner_on_path(timezone="Europe/Berlin")
    nudges.save_preferences(learner, {}, {}, None, None, 5, digest_weekday=2, digest_hour=18)  # Wednesday 18:00
    db.session.add(OutboxMessage(user_id=learner.id, rule="inactive", occurrence="x", category="nudge",
                                 subject="Five minutes for your path?", body="", why="", due_at=utcnow(),
                                 status="folded", outcome="weekly_cap", created_at=utcnow()))  # fmt: skip
    db.session.commit()
    today = utcnow().date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7)
    before = datetime(wednesday.year, wednesday.month, wednesday.day, 16, 30, tzinfo=UTC)  # 17:30 in Berlin
    nudges.plan_touchpoints(before)
    assert _rows("weekly_digest") == []
    nudges.plan_touchpoints(before + timedelta(hours=1))
    nudges.plan_touchpoints(before + timedelta(hours=2))
    [digest] = _rows("weekly_digest")
    assert digest.subject == "Your week ahead" and "\u2022 Five minutes for your path?" in digest.body
    folded = db.session.execute(select(OutboxMessage).where(OutboxMessage.occurrence == "x")).scalar_one()
    assert folded.digested_in_id == digest.id  # listed once, then it waits no longer


def test_halfway_and_the_goal_reached_are_celebrated_once(learner_on_path):
    learner = learner_on_path()
    journey = _journey(learner)
    steps = [s for s in journey.plan["steps"] if not s["optional"]]
    half = len(steps) // 2 + len(steps) % 2
    marked = {s["ref"] for s in steps[:half]}
    journey.plan = {**journey.plan, "steps": [{**s, "done": s["ref"] in marked} for s in journey.plan["steps"]]}
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    assert [r.subject for r in _rows("halfway")] == ["Halfway there"] and _rows("goal_reached") == []
    journey.plan = {**journey.plan, "steps": [{**s, "done": True} for s in journey.plan["steps"]]}
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    nudges.plan_touchpoints(utcnow())
    [reached] = _rows("goal_reached")
    assert reached.category == "celebration" and "Handle a complaint so the customer stays" in reached.body
    assert len(_rows("halfway")) == 1


def test_a_nudge_left_unopened_three_times_pauses_itself_and_says_so(learner_on_path, published):
    learner, came_back = learner_on_path(days_ago=30), learner_on_path(days_ago=30)
    for person in (learner, came_back):
        for n in range(3):
            db.session.add(OutboxMessage(user_id=person.id, rule="inactive", occurrence=f"old-{n}", category="nudge",
                                         subject="Five minutes for your path?", body="", why="", status="sent",
                                         due_at=utcnow() - timedelta(days=20 - n),
                                         sent_at=utcnow() - timedelta(days=20 - n),
                                         created_at=utcnow() - timedelta(days=40)))  # fmt: skip
    # Never opened, but this one came back to learn after the first of them: not ignoring them.
    events.record(actor_id=came_back.id, verb="completed", object_type="item", object_id=published["lesson"],
                  occurred_at=utcnow() - timedelta(days=10))  # fmt: skip
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    assert [r.occurrence for r in _rows("inactive", learner.id)] == ["old-0", "old-1", "old-2"]  # no fourth
    assert len(_rows("inactive", came_back.id)) == 4
    notice = db.session.execute(select(InAppMessage).where(InAppMessage.user_id == learner.id)).scalar_one()
    assert notice.subject == "We stopped a kind of reminder for you" and notice.link == "/profile/notifications"
    assert db.session.get(NotificationPreferences, learner.id).auto_paused_rules == ["inactive"]
    assert db.session.get(NotificationPreferences, came_back.id) is None
    nudges.plan_touchpoints(utcnow() + timedelta(days=1))  # paused: nothing planned, nothing said twice
    assert len(_rows("inactive", learner.id)) == 3
    assert len(db.session.execute(select(InAppMessage).where(InAppMessage.user_id == learner.id)).all()) == 1
    nudges.unmute_rule(learner, "inactive")  # "turn them back on"
    assert db.session.get(NotificationPreferences, learner.id).auto_paused_rules == []


def test_a_holdout_keeps_back_the_same_learners_every_time(learner_on_path, published):
    db.session.add(TouchpointRule(course_id=published["course"], key="inactive", enabled=True, params={"days": 5},
                                  priority=30, channels=[], templates={}, holdout_percent=50))  # fmt: skip
    db.session.commit()
    learners = [learner_on_path(days_ago=9) for _ in range(12)]
    nudges.plan_touchpoints(utcnow())
    nudges.plan_touchpoints(utcnow() + timedelta(minutes=1))
    rows = _rows("inactive")
    assert sorted(r.user_id for r in rows) == sorted(u.id for u in learners)  # each once
    held = {r.user_id for r in rows if r.status == "held_out"}
    assert 0 < len(held) < 12
    nudges.deliver_outbox(utcnow() + timedelta(days=1))
    # Only this rule's messages: other rules may deliver that day too (which ones depends on the weekday).
    after = _rows("inactive")
    assert {r.user_id for r in after if r.status == "held_out"} == held  # never sent
    assert {r.user_id for r in after if r.status in ("sent", "folded")} <= {u.id for u in learners} - held


def test_planning_reads_the_same_number_of_statements_for_few_or_many_learners(learner_on_path):
    def statements_for(count):
        db.session.execute(OutboxMessage.__table__.delete())
        for _ in range(count):
            learner_on_path(days_ago=9)
        seen = []

        def count_it(*_args):
            seen.append(1)

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", count_it)
        try:
            assert nudges.plan_touchpoints(utcnow()) >= count
        finally:
            event.remove(engine, "before_cursor_execute", count_it)
        return len(seen)

    assert statements_for(3) == statements_for(15)


def test_two_days_after_finishing_a_block_with_nothing_since_the_next_step_is_offered(learner_on_path, published):
    paused, moving_on = learner_on_path(), learner_on_path()
    for learner in (paused, moving_on):
        events.record(actor_id=learner.id, verb="completed", object_type="item", object_id=published["lesson"],
                      occurred_at=utcnow() - timedelta(hours=50))  # fmt: skip
    events.record(actor_id=moving_on.id, verb="attempted", object_type="item", object_id=published["quiz"],
                  occurred_at=utcnow() - timedelta(hours=20))  # fmt: skip
    db.session.commit()
    paths.replan(_journey(paused))
    db.session.commit()
    nudges.plan_touchpoints(utcnow())
    [row] = _rows("block_done")
    upcoming = next(s for s in _journey(paused).plan["steps"] if not s["done"])
    assert row.user_id == paused.id and row.subject == f"Next up: {upcoming['title']}"
    assert row.link == f"/learn/{upcoming['ref']}"  # straight to the next step, not back to the last
    assert row.why.startswith("You finished \u201c")
    assert row.why.endswith("and had no learning activity in the 48 hours after.")
