"""The scheduler's rebuild of stale plans (``paths.refresh_stale_plans``, job
``paths.rebuild_stale_plans``): the journeys stale the longest first, at most ``limit`` a run, loaded
a batch at a time; what a run leaves stays stale for the next one."""

from datetime import timedelta

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.paths import services as paths
from lxp.paths.models import Journey
from tests.conftest import committing


def test_a_run_rebuilds_the_longest_stale_plans_batch_by_batch_up_to_its_limit(app, published, make_user):
    with committing(app):
        journeys = []
        for n in range(5):
            learner = db.session.get(User, make_user(("learner",), email=f"stale{n}@example.com"))
            choice = paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",))
            journeys.append(paths.start_journey(learner, choice))
        # Learner 0's plan stale for 5 hours, learner 4's for 1 hour; the plans themselves emptied.
        stale_since = {journey.id: utcnow() - timedelta(hours=5 - n) for n, journey in enumerate(journeys)}
        for journey in journeys:
            journey.plan_stale_since, journey.plan = stale_since[journey.id], {}

    with committing(app):
        assert paths.refresh_stale_plans(limit=3, batch=2) == 3  # two batches: two journeys, then one

    with committing(app):
        rows = db.session.execute(select(Journey.id, Journey.plan_stale_since, Journey.plan)).all()
    rebuilt = {journey_id for journey_id, since, plan in rows if since is None and plan.get("steps")}
    left = {journey_id: since for journey_id, since, plan in rows if journey_id not in rebuilt}
    assert rebuilt == {journey.id for journey in journeys[:3]}  # stale the longest
    assert left == {journey.id: stale_since[journey.id] for journey in journeys[3:]}  # untouched, for the next run

    with committing(app):
        assert paths.refresh_stale_plans(batch=2) == 2
        assert db.session.scalars(select(Journey).where(Journey.plan_stale_since.is_not(None))).all() == []
