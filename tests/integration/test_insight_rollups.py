"""The journey map's rollups against the real database: whatever order events arrive in and
however the runs split them, the rolled-up figures are the figures counted straight from the
events; the demo's and a synthetic population's maps are the same either way."""

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import maths, queries, rollups, services
from lxp.insights.models import FirstMoment, LearnerEnd, RollupMark, StationDay
from tests.conftest import committing
from tests.seeded_demo import seeded_demo

VERBS = ("launched", "progressed", "completed", "passed", "failed", "responded", "attended")

an_event = st.fixed_dictionaries({
    "learner": st.integers(0, 2),
    "station": st.integers(0, 1),
    "verb": st.sampled_from(VERBS),
    "days_ago": st.integers(0, 20),
    "minute": st.integers(0, 1439),
    "seconds": st.sampled_from([None, 60, 90, 300]),
    "mood": st.sampled_from([None, 1, 3, 5]),
})  # fmt: skip


def _from_events(refs, now):
    """The figures as the journey map counted them before the rollups: from every event."""
    counts, learners = queries.station_counts(refs, None, now)
    for ref, measured in queries.times_and_moods(refs, None).items():
        if ref in counts:
            counts[ref] = replace(counts[ref], **measured)
    return counts, learners


@pytest.fixture
def learners(make_user):
    return [make_user(("learner",)) for _ in range(3)]


def _late(days_ago, verb="completed"):
    return {"learner": 0, "station": 0, "verb": verb, "days_ago": days_ago, "minute": 0, "seconds": 60, "mood": 3}


@example(stream=[_late(1), _late(5), _late(9, "failed")], cuts=[1, 2], again=True, rolled=2)  # later, yet earlier
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.lists(an_event, min_size=1, max_size=40), cuts=st.lists(st.integers(1, 40), min_size=1, max_size=4),
       again=st.booleans(), rolled=st.integers(0, 5))  # fmt: skip
def test_rollups_equal_the_events_for_any_stream_and_any_split(app, published, learners, stream, cuts, again, rolled):
    """Events arrive in batches (stored one minute apart, occurring at random moments, so many
    come late and out of order); some batches are rolled up, some runs repeated, the rest left
    as the live tail. Station by station, the map's figures equal those counted from events."""
    with committing(app):
        for table in (LearningEvent, StationDay, LearnerEnd, FirstMoment, RollupMark):
            db.session.execute(delete(table))
    refs = [published["lesson"], published["quiz"]]
    now = utcnow()
    base = now - timedelta(hours=2)
    bounds = sorted({0, len(stream), *(min(c, len(stream)) for c in cuts)})
    batches = [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    for number, batch in enumerate(batches):
        stored = base + timedelta(minutes=number)
        rows = []
        for e in batch:
            result = {}
            if e["seconds"] is not None:
                result["duration"] = f"PT{e['seconds']}S"
            if e["mood"] is not None:
                result["extensions"] = {"mood": e["mood"], "effort": 6 - e["mood"]}
            rows.append({"id": uuid.uuid4(), "actor_id": learners[e["learner"]], "verb": e["verb"],
                         "object_type": "item", "object_id": refs[e["station"]], "result": result or None,
                         "context": None, "recorded_at": stored,
                         "occurred_at": now - timedelta(days=e["days_ago"], minutes=e["minute"])})  # fmt: skip
        with committing(app):
            db.session.execute(insert(LearningEvent), rows)
        if number < rolled:
            for _ in range(2 if again else 1):
                with committing(app):
                    assert rollups.roll_up(now=stored + timedelta(seconds=1), settle=timedelta(0)) is not None
    with committing(app):
        expected = _from_events(refs, now)
        assert rollups.station_figures(published["course"], refs, now) == expected  # rollups and the live tail
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
    with committing(app):
        assert rollups.station_figures(published["course"], refs, now) == expected  # all rolled up
        assert rollups.changes(rollups.mark(), None).days == {}  # nothing left behind the mark


def _maps_agree(app, admin_email):
    """Every course's map from the rollups equals the map counted from the events; returns how
    many courses were compared."""
    compared = 0
    with committing(app):
        admin = db.session.execute(select(User).where(User.email == admin_email)).scalar_one()
        for course, version in services.courses_for(admin):
            _, _, journey = services.journey_map(admin, course.id, services.Filters())
            stations = services.stations_of(course, version)
            counts, learners = _from_events([s.ref for s in stations], utcnow())
            refs = [s.ref for s in stations]
            # Social reach comes from the cohort spaces' events either way (not rolled up).
            direct = maths.journey_map(stations, counts, queries.help_asked(refs, None), learners,
                                       queries.social_reach(refs, None, None, None))  # fmt: skip
            assert journey == direct
            compared += 1
    return compared


def test_the_demo_map_is_the_same_from_rollups_as_from_events(app, smtp_server):
    runner = app.test_cli_runner()
    seeded_demo(app, smtp_server)  # ``flask lxp seed-demo`` on an empty database
    assert _maps_agree(app, "admin@northwind.example") >= 1  # seeding rolled everything up: no tail
    rolled = runner.invoke(args=["lxp", "insights", "rollup"])
    assert rolled.exit_code == 0 and "rollups up to date" in rolled.output, rolled.output
    with committing(app):
        learner = db.session.execute(select(User).where(User.email.like("%@northwind.example"))
                                     .order_by(User.id.desc())).scalars().first()  # fmt: skip
        course, version = services.courses_for(learner)[0]
        ref = services.stations_of(course, version)[0].ref
        late = utcnow() - timedelta(days=60)  # stored now, occurred long ago: before what is counted
        db.session.execute(insert(LearningEvent), [{"id": uuid.uuid4(), "actor_id": learner.id, "verb": "completed",
                           "object_type": "item", "object_id": ref, "result": {"duration": "PT45S"},
                           "context": None, "occurred_at": late, "recorded_at": utcnow()}])  # fmt: skip
    assert _maps_agree(app, "admin@northwind.example") >= 1  # the late event from the live tail
    with committing(app):
        rollups.roll_up(settle=timedelta(0))
    assert _maps_agree(app, "admin@northwind.example") >= 1  # and rolled up


def test_a_synthetic_population_maps_the_same_from_rollups_as_from_events(app, published):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lxp", "seed-synthetic", "--learners", "60", "--cohort", "Synthetic A"])
    assert result.exit_code == 0, result.output
    assert _maps_agree(app, "author@example.com") == 1


@pytest.mark.real_commits
def test_a_second_run_while_one_holds_the_mark_does_nothing_and_counts_nothing_twice(app, published, learners):
    """PostgreSQL: the mark's row is locked by the first run, the second skips it (SQLite has one
    writer: the second run simply waits for the first)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers itself")
    with committing(app):
        db.session.execute(insert(LearningEvent), [{"id": uuid.uuid4(), "actor_id": learner, "verb": "completed",
                           "object_type": "item", "object_id": published["lesson"], "result": None, "context": None,
                           "occurred_at": utcnow() - timedelta(days=1), "recorded_at": utcnow() - timedelta(hours=1)}
                           for learner in learners])  # fmt: skip
        rollups.roll_up(settle=timedelta(hours=2))  # creates the mark, rolls nothing up yet
    with app.app_context():
        other = db.engine.connect()
        other.begin()
        other.execute(select(RollupMark).where(RollupMark.name == rollups.MARK).with_for_update())
        try:
            with committing(app):
                assert rollups.roll_up() is None
        finally:
            other.rollback()
            other.close()
    with committing(app):
        assert rollups.roll_up() == 1
        assert rollups.roll_up() == 0
    with committing(app):
        counts, learner_count = rollups.station_figures(published["course"], [published["lesson"]], utcnow())
        assert (counts[published["lesson"]].reached, counts[published["lesson"]].finished, learner_count) == (3, 3, 3)
