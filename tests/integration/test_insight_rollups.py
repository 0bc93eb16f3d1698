"""The journey map's rollups against the real database: whatever order events arrive in and
however the runs split them, the rolled-up figures are the figures counted straight from the
events; the demo's and a synthetic population's maps are the same either way."""

import csv
import io
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import maths, queries, rollups, services
from lxp.insights.models import FirstMoment, LearnerEnd, RollupMark, StationDay
from tests.conftest import committing, sign_in
from tests.integration.conftest import MINI
from tests.seeded_demo import seeded_demo

VERBS = ("launched", "progressed", "completed", "passed", "failed", "responded", "attended")


def station_events(learners: int, days: int):
    """One learner's event at one of two stations, ``days_ago`` and ``minute`` (of that day)
    before now, with or without a time on task and a mood (also the map's brought-forward test)."""
    return st.fixed_dictionaries({
        "learner": st.integers(0, learners - 1),
        "station": st.integers(0, 1),
        "verb": st.sampled_from(VERBS),
        "days_ago": st.integers(0, days),
        "minute": st.integers(0, 1439),
        "seconds": st.sampled_from([None, 60, 90, 300]),
        "mood": st.sampled_from([None, 1, 3, 5]),
    })  # fmt: skip


an_event = station_events(3, 20)


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


def _completed(app, learner_ids, ref, stored):
    """Each learner completed ``ref`` a day ago; the events stored at ``stored``."""
    with committing(app):
        db.session.execute(insert(LearningEvent), [{"id": uuid.uuid4(), "actor_id": learner, "verb": "completed",
                           "object_type": "item", "object_id": ref, "result": {"duration": "PT120S"},
                           "context": None, "occurred_at": utcnow() - timedelta(days=1), "recorded_at": stored}
                           for learner in learner_ids])  # fmt: skip


def _reached(client, course_id):
    """The "Reached" column of the map's CSV download, station by station, as the admin gets it."""
    page = client.get(f"/insights/courses/{course_id}?format=csv")
    assert page.status_code == 200 and page.mimetype == "text/csv"
    return [row[4] for row in list(csv.reader(io.StringIO(page.get_data(as_text=True))))[1:]]


def _publish_in(app, organisation_id, make_user, email):
    """The example course published in the organisation by a new admin; returns (admin's e-mail, course id)."""
    author = make_user(("admin", "reviewer"), email=email, organisation_id=organisation_id)
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        return email, version.course_id


def test_the_map_keeps_the_rolled_up_figures_until_the_mark_moves(app, client, published, make_user):
    """The map for everyone reads the rollups once per position of their mark: a change to them
    that moves no mark (no writer of lxp makes one; a direct edit stands in for it here) shows
    once a roll-up moves the mark, while events past the mark show on the very next read."""
    sign_in(client, "author@example.com")
    learners = [make_user(("learner",)) for _ in range(8)]
    _completed(app, learners[:6], published["lesson"], stored=utcnow() - timedelta(hours=1))
    with committing(app):
        rollups.roll_up(settle=timedelta(0))
    assert _reached(client, published["course"])[0] == "6"
    with committing(app):
        db.session.execute(update(StationDay).where(StationDay.ref == published["lesson"])
                           .values(reached=StationDay.reached + 10))  # fmt: skip
    assert _reached(client, published["course"])[0] == "6"  # the mark has not moved
    _completed(app, learners[6:], published["lesson"], stored=utcnow())
    assert _reached(client, published["course"])[0] == "8"  # the two past the mark, at once
    with committing(app):
        rollups.roll_up(settle=timedelta(0))
    assert _reached(client, published["course"])[0] == "18"  # the mark moved: the rollups read again


def test_two_organisations_never_see_each_others_rolled_up_figures(app, client, organisation, other_organisation,
                                                                   make_user):  # fmt: skip
    """Both organisations map the same course (same items, own course ids) from the same kept
    rollups; each admin sees their own learners only, and not the other's course at all."""
    ours_email, ours = _publish_in(app, organisation, make_user, "admin@acme.example")
    theirs_email, theirs = _publish_in(app, other_organisation, make_user, "admin@other.example")
    ours_learners = [make_user(("learner",)) for _ in range(6)]
    their_learners = [make_user(("learner",), organisation_id=other_organisation) for _ in range(9)]
    stored = utcnow() - timedelta(hours=1)
    _completed(app, ours_learners, f"{ours}:listen-lesson", stored)
    _completed(app, their_learners, f"{theirs}:listen-lesson", stored)
    with committing(app):
        rollups.roll_up(settle=timedelta(0))
    other_client = app.test_client()
    sign_in(client, ours_email)
    sign_in(other_client, theirs_email)
    for _ in range(2):  # the first read of each keeps the figures, the second is served from them
        assert _reached(client, ours)[0] == "6"
        assert _reached(other_client, theirs)[0] == "9"
        assert client.get(f"/insights/courses/{theirs}?format=csv").status_code == 404
        assert other_client.get(f"/insights/courses/{ours}?format=csv").status_code == 404
