"""The journey map's kept figures brought forward as roll-ups move the mark (issue 20): for any
history of events and roll-ups, what a process brings forward equals reading the rollups whole,
the kept figures it started from are left as they were, and whatever else changes the rollups
(a rebuild, a retention purge) makes the next map read them whole, and right."""

import copy
import threading
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlalchemy import event as sql_event

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import rolled_up, rollups
from lxp.insights.models import FirstMoment, LearnerEnd, RollupKept, RollupMark, StationDay
from lxp.privacy import erasure, retention
from lxp.privacy.models import RetentionPolicy
from tests.conftest import committing
from tests.integration.test_insight_rollups import _from_events, station_events

MONTH = timedelta(days=30)

an_event = station_events(4, 30)


@pytest.fixture
def learners(make_user):
    return [make_user(("learner",)) for _ in range(4)]


def _rows(learners, refs, batch, stored, now):
    rows = []
    for e in batch:
        result = {}
        if e["seconds"] is not None:
            result["duration"] = f"PT{e['seconds']}S"
        if e["mood"] is not None:
            result["extensions"] = {"mood": e["mood"], "effort": 6 - e["mood"]}
        rows.append({"id": uuid.uuid4(), "actor_id": learners[e["learner"]], "verb": e["verb"], "object_type": "item",
                     "object_id": refs[e["station"]], "result": result or None, "context": None,
                     "recorded_at": stored, "occurred_at": now - timedelta(days=e["days_ago"], minutes=e["minute"])})  # fmt: skip
    return rows


def _kept(app, course, refs):
    """The mark and the figures this process keeps of the course, if any."""
    with app.app_context():
        return rolled_up.kept.get((str(db.engine.url), course, tuple(refs)))


often = st.sampled_from([True, True, False])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.tuples(st.lists(an_event, max_size=12), often, often), min_size=2, max_size=7))
def test_figures_brought_forward_are_the_rollups_read_whole_for_any_history(app, published, learners, batches):
    """Events arrive in batches stored a minute apart (many late, out of order, repeated); after
    each batch a roll-up may run and the map may be read. Whenever the map was kept at an
    earlier mark, bringing it forward gives what reading the rollups whole gives, the map equals
    the figures counted from the events, and no figures kept earlier have changed."""
    with committing(app):
        for table in (LearningEvent, StationDay, LearnerEnd, FirstMoment, RollupMark):
            db.session.execute(delete(table))  # a new mark row: a new generation, nothing kept applies
    course, refs = published["course"], [published["lesson"], published["quiz"]]
    now = utcnow()
    base = now - timedelta(hours=2)
    handed_out = []  # every figures object the map kept, with a deep copy taken when it was kept
    for number, (batch, roll, read) in enumerate(batches):
        stored = base + timedelta(minutes=number)
        with committing(app):
            if batch:
                db.session.execute(insert(LearningEvent), _rows(learners, refs, batch, stored, now))
            if roll:
                rollups.roll_up(now=stored + timedelta(seconds=1), settle=timedelta(0))
        if not read:
            continue
        held = _kept(app, course, refs)
        with committing(app):
            seen = rollups._mark_now()
            whole = None if seen is None else rollups._read_rolled_up(course, refs)
            if held is not None and held[0].followed_by(seen):
                event("brought forward")
                assert rollups._brought_forward(held[1], course, refs, held[0].position, seen.position) == whole
        with committing(app):
            assert rollups.station_figures(course, refs, now) == _from_events(refs, now)
        held = _kept(app, course, refs)
        if seen is not None:  # kept at the mark read (figures kept in an earlier example are not)
            assert held[0] == seen and held[1] == whole
            handed_out.append((held[1], copy.deepcopy(held[1])))
    for figures, as_kept in handed_out:
        assert figures == as_kept


def _station_events(app, learners, refs, stored, occurred, verb="completed", seconds=120):
    with committing(app):
        db.session.execute(insert(LearningEvent), [
            {"id": uuid.uuid4(), "actor_id": learner, "verb": verb, "object_type": "item", "object_id": refs[0],
             "result": {"duration": f"PT{seconds}S", "response": "What I learnt"}, "context": None,
             "recorded_at": stored, "occurred_at": occurred} for learner in learners])  # fmt: skip


def _map_is_right(app, course, refs, now, kept_before):
    """The map equals the events counted afresh and a whole read of the rollups; the mark cannot
    have moved by roll-ups only since ``kept_before``, and the figures kept then are unchanged."""
    with committing(app):
        figures = rollups.station_figures(course, refs, now)
        assert figures == _from_events(refs, now)
        assert not kept_before[0].followed_by(rollups._mark_now())
    rolled_up.forget_rolled_up()
    with committing(app):
        assert rollups.station_figures(course, refs, now) == figures


def _kept_at_a_mark(app, course, refs, now):
    """Read the map once so the process keeps its figures; returns (mark, figures, their copy)."""
    with committing(app):
        rollups.station_figures(course, refs, now)
    held = _kept(app, course, refs)
    assert held is not None
    return held[0], held[1], copy.deepcopy(held[1])


def test_a_rebuild_between_two_maps_makes_the_next_read_whole(app, published, learners):
    """Old events loaded behind the mark, then ``flask lxp insights rollup --rebuild``: bringing
    the kept figures forward over the events past the old mark would miss the old ones."""
    course, refs = published["course"], [published["lesson"], published["quiz"]]
    now = utcnow()
    _station_events(app, learners[:2], refs, now - timedelta(hours=2), now - timedelta(days=3))
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
    mark, figures, as_kept = _kept_at_a_mark(app, course, refs, now)
    _station_events(app, learners[2:], refs, now - timedelta(hours=3), now - timedelta(days=20), seconds=600)
    _station_events(app, learners[:1], refs, now - timedelta(minutes=30), now - timedelta(days=1))
    with committing(app):
        rollups.rebuild()
    _map_is_right(app, course, refs, now, (mark, figures))
    assert figures == as_kept


def test_a_retention_purge_between_two_maps_makes_the_next_read_whole(app, published, learners):
    """A phone's queue brings events of long ago past the kept mark; they are rolled up, then
    retention deletes them: bringing the kept figures forward over the events in between would
    find them gone, while the rollups hold them."""
    course, refs = published["course"], [published["lesson"], published["quiz"]]
    now = utcnow()
    _station_events(app, learners[:2], refs, now - timedelta(hours=2), now - timedelta(days=3))
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
        organisation = db.session.get(User, learners[0]).organisation_id
        db.session.add(RetentionPolicy(organisation_id=organisation, event_months=12))
    mark, figures, as_kept = _kept_at_a_mark(app, course, refs, now)
    _station_events(app, learners[2:], refs, now - timedelta(hours=1), now - 15 * MONTH, seconds=600)
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
    with committing(app):
        assert retention.run(organisation, now).events_deleted == 2
    with committing(app):
        with_purged = rollups.station_figures(course, refs, now)  # what the rollups hold: the purged ones too
        assert with_purged[0][refs[0]].reached == 4 and with_purged[1] == 4
        assert not mark.followed_by(rollups._mark_now())
    rolled_up.forget_rolled_up()
    with committing(app):
        assert rollups.station_figures(course, refs, now) == with_purged
    assert figures == as_kept
    with committing(app):
        assert db.session.get(RollupKept, organisation) is not None


def test_an_erasure_between_two_maps_leaves_them_right(app, published, learners, make_user):
    """Erasing a learner scrubs their events' words and keeps every figure: the map brought
    forward over it stays the map counted from the events."""
    course, refs = published["course"], [published["lesson"], published["quiz"]]
    admin = make_user(("admin",))
    now = utcnow()
    _station_events(app, learners, refs, now - timedelta(hours=2), now - timedelta(days=3))
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
    mark, figures, as_kept = _kept_at_a_mark(app, course, refs, now)
    _station_events(app, learners[:1], refs, now - timedelta(minutes=30), now - timedelta(days=1), "passed", 45)
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
    with committing(app):
        erasure.erase(db.session.get(User, learners[0]), actor_id=admin, reason="admin")
    with committing(app):
        assert mark.followed_by(rollups._mark_now())  # erasure changes no rollup: brought forward
        figures_now = rollups.station_figures(course, refs, now)
        assert figures_now == _from_events(refs, now)
    rolled_up.forget_rolled_up()
    with committing(app):
        assert rollups.station_figures(course, refs, now) == figures_now
    assert figures == as_kept


@pytest.mark.real_commits
def test_a_roll_up_committed_while_the_map_brings_figures_forward_is_not_half_counted(app, published, learners):
    """PostgreSQL reads each statement afresh: a roll-up that commits after the map summed the
    station days, but before it read the learners' latest moments and the events past the mark,
    would mix two marks. The map sees the mark moved, brings the figures forward again to the
    new one and keeps them there."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite: one transaction, one snapshot")
    course, refs = published["course"], [published["lesson"], published["quiz"]]
    now = utcnow()
    _station_events(app, learners[:2], refs, now - timedelta(hours=2), now - timedelta(days=3))
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))
    kept_before = _kept_at_a_mark(app, course, refs, now)
    _station_events(app, learners[1:3], refs, now - timedelta(hours=1), now - timedelta(days=2), "failed", 30)
    with committing(app):
        rollups.roll_up(now=now, settle=timedelta(0))

    def another_scheduler():
        _station_events(app, learners[2:], refs, now - timedelta(minutes=30), now - timedelta(days=4), "passed", 90)
        with committing(app):
            rollups.roll_up(now=now, settle=timedelta(0))

    rolled = []

    def meanwhile(conn, cursor, statement, *_):
        if "insight_station_days" in statement and not rolled:
            rolled.append(threading.Thread(target=another_scheduler))
            rolled[0].start()
            rolled[0].join()

    with app.app_context():
        sql_event.listen(db.engine, "after_cursor_execute", meanwhile)
    try:
        with committing(app):
            figures = rollups.station_figures(course, refs, now)
    finally:
        with app.app_context():
            sql_event.remove(db.engine, "after_cursor_execute", meanwhile)
    assert rolled, "the map never summed the station days"
    with committing(app):
        assert figures == _from_events(refs, now)
        mark = rollups._mark_now()
    assert kept_before[0].followed_by(mark) and _kept(app, course, refs)[0] == mark
    rolled_up.forget_rolled_up()
    with committing(app):
        assert rollups.station_figures(course, refs, now) == figures
