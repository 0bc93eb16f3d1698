"""A planning tick reads the active paths a batch at a time (``triggers.PATHS_BATCH``) and keeps
only a glance at each plan: the triggers see the same paths in the same order as when every plan
was read at once, and plan the same messages."""

from datetime import timedelta

from flask import g
from sqlalchemy import select

from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges import triggers
from lxp.nudges.models import OutboxMessage
from lxp.paths import storage
from lxp.paths.models import Journey
from tests.integration import test_touchpoint_triggers

learner_on_path = test_touchpoint_triggers.learner_on_path  # the fixture those tests use, shared


def _journey(learner) -> Journey:
    return db.session.execute(select(Journey).where(Journey.learner_id == learner.id)).scalar_one()


def test_a_tick_plans_from_the_paths_read_a_batch_at_a_time_what_reading_them_at_once_planned(
    learner_on_path, monkeypatch
):
    now = utcnow()
    learners = [learner_on_path() for _ in range(5)]
    for n, learner in enumerate(learners):
        journey = _journey(learner)
        # Learners 0, 2 and 4: the first step due in two days; 1 halfway; 3 at the goal. Nothing else due soon.
        steps = [{**s, "due": (now.date() + timedelta(days=2 if i == 0 and n % 2 == 0 else 20)).isoformat()}
                 for i, s in enumerate(journey.plan["steps"])]  # fmt: skip
        required = [s["ref"] for s in steps if not s["optional"]]
        done = {1: set(required[: len(required) // 2 + len(required) % 2]), 3: set(required)}.get(n, set())
        journey.plan = {**journey.plan, "steps": [{**s, "done": s["ref"] in done} for s in steps]}
    db.session.commit()
    journeys = db.session.scalars(select(Journey.id).order_by(Journey.id)).all()

    monkeypatch.setattr(triggers, "PATHS_BATCH", 1000)
    at_once = triggers.paths_now()
    monkeypatch.setattr(triggers, "PATHS_BATCH", 2)  # three batches, the last one short
    batched = triggers.paths_now()
    assert batched == at_once and [p.journey_id for p in batched] == journeys
    assert [p.glance for p in batched] == [storage.glance(_journey(learner).plan) for learner in learners]
    assert [p.finished for p in batched] == [False, False, False, True, False]

    nudges.plan_touchpoints(now)
    assert "lxp_paths_now" not in g  # the glances went with the tick
    planned = db.session.execute(select(OutboxMessage.rule, OutboxMessage.user_id).order_by(OutboxMessage.id)).all()
    by_rule = {rule: [user for r, user in planned if r == rule] for rule in ("step_due", "halfway", "goal_reached")}
    assert by_rule == {"step_due": [learners[n].id for n in (0, 2, 4)], "halfway": [learners[1].id],
                       "goal_reached": [learners[3].id]}  # fmt: skip
