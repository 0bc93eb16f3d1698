"""Retention deletes raw learning events after the horizon without losing anything a person
sees: the journey map, the CSV of its figures, a learner's Today and path read the same before
and after the purge and after a rollup rebuild; a step finished long ago stays finished; a dry
run changes nothing; a purge interrupted or repeated ends where one whole purge ends."""

import re
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select

from lxp import events
from lxp.accounts.models import User
from lxp.audit.models import AuditEntry
from lxp.completions import Completion
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import rollups
from lxp.insights.models import FirstMoment, LearnerEnd, RollupKept, RollupMark, StationDay
from lxp.learning import services as learning
from lxp.lrs.models import LrsConnection
from lxp.paths import services as paths
from lxp.paths.models import Journey
from lxp.privacy import retention
from lxp.privacy.models import RetentionPolicy
from tests.conftest import committing, sign_in
from tests.integration.conftest import start_path

MONTH = timedelta(days=30)
ROLLUP_TABLES = (LearningEvent, Completion, StationDay, LearnerEnd, FirstMoment, RollupMark, RollupKept)


def _old_and_new_history(learners, published, now):
    """Three learners on the example course: most of what they did is 13 to 20 months old."""
    lesson, quiz = published["lesson"], published["quiz"]
    story = [
        (learners[0], "launched", lesson, 20 * MONTH, None),
        (learners[0], "completed", lesson, 20 * MONTH - timedelta(minutes=7), {"duration": "PT7M"}),
        (learners[0], "responded", lesson, 20 * MONTH - timedelta(minutes=8), {"extensions": {"mood": 4, "effort": 2}}),
        (learners[1], "launched", lesson, 14 * MONTH, None),
        (learners[1], "completed", lesson, 13 * MONTH, {"duration": "PT5M"}),
        (learners[1], "failed", quiz, 13 * MONTH - timedelta(hours=1), {"score": {"scaled": 0.2}}),
        (learners[1], "passed", quiz, timedelta(days=3), {"score": {"scaled": 0.9}}),
        (learners[1], "responded", quiz, timedelta(days=3), {"extensions": {"mood": 5, "effort": 1}}),
        (learners[2], "launched", lesson, timedelta(days=2), None),
    ]
    for actor, verb, ref, ago, result in story:
        events.record(actor_id=actor, verb=verb, object_type="item", object_id=ref, result=result,
                      occurred_at=now - ago)  # fmt: skip


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    # A form's token and the page's request id differ on every page; what a person reads does not.
    text = response.get_data(as_text=True)
    text = re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "<csrf>", text)  # signed CSRF tokens
    return re.sub(r"[0-9a-f]{32}|[0-9a-f-]{36}", "<id>", text)


def _what_people_see(app, published, admin_email, learner_email):
    admin, learner = app.test_client(), app.test_client()
    sign_in(admin, admin_email)
    sign_in(learner, learner_email)
    course = published["course"]
    return {
        "journey map": _page(admin, f"/insights/courses/{course}"),
        "figures CSV": _page(admin, f"/insights/courses/{course}?format=csv"),
        "today": _page(learner, "/today"),
        "path": _page(learner, "/path"),
    }


def test_the_map_its_csv_today_and_the_path_read_the_same_after_the_purge_and_a_rebuild(
    app, client, published, make_user
):
    admin = make_user(("admin",), email="boss@example.com")
    learners = [make_user(("learner",), email=f"l{n}@example.com") for n in range(6)]  # the map shows 5 or more
    sign_in(client, "l1@example.com")
    assert start_path(client, published).status_code == 302
    now = utcnow()
    with committing(app):
        _old_and_new_history(learners[:3], published, now)
        _old_and_new_history(learners[3:], published, now)
    with committing(app):
        rollups.roll_up(settle=timedelta(0))
        organisation = db.session.get(User, admin).organisation_id
        db.session.add(RetentionPolicy(organisation_id=organisation, event_months=12))
    before = _what_people_see(app, published, "boss@example.com", "l1@example.com")
    assert ",Lesson,6,6," in before["figures CSV"]  # six learners reached the lesson

    with committing(app):
        report = retention.run_all()
    assert report.events_deleted == 12  # all but the three of the last days, twice
    with committing(app):
        assert db.session.scalar(select(func.count()).where(LearningEvent.object_type == "item")) == 6
        # Learner 1's lesson was finished 13 months ago; the event is gone, the step stays done.
        state = paths.learner_state(learners[1])
        assert published["lesson"] in state.completed and published["quiz"] in state.completed
        assert state.failed_checks == ()  # the quiz failed then was passed since
        assert learning.attempts_so_far(learners[1], published["quiz"]) == 2  # a quiz's attempt limit counts both
    after = _what_people_see(app, published, "boss@example.com", "l1@example.com")
    for name in before:
        assert after[name] == before[name], f"the {name} changed when old events were deleted"

    with committing(app):
        rollups.rebuild()
    rebuilt = _what_people_see(app, published, "boss@example.com", "l1@example.com")
    for name in before:
        assert rebuilt[name] == before[name], f"the {name} changed when the rollups were rebuilt after a purge"


def test_a_learner_whose_old_completion_was_purged_does_not_get_the_step_back(app, client, published, make_user):
    learner = make_user(("learner",), email="lena@example.com")
    with committing(app):
        events.record(actor_id=learner, verb="completed", object_type="item", object_id=published["lesson"],
                      occurred_at=utcnow() - 14 * MONTH)  # fmt: skip
    sign_in(client, "lena@example.com")
    start_path(client, published)
    with committing(app):
        rollups.roll_up(settle=timedelta(0))
        user = db.session.get(User, learner)
        db.session.add(RetentionPolicy(organisation_id=user.organisation_id, event_months=12))

    def next_step():
        page = client.get("/today").get_data(as_text=True)
        return re.search(r'id="next-step".*?href="([^"]+)"', page, re.S).group(1)

    assert next_step() == f"/learn/{published['quiz']}"  # the lesson was done long ago
    with committing(app):
        assert retention.run_all().events_deleted == 1
    with committing(app):
        assert db.session.scalar(select(func.count()).where(LearningEvent.actor_id == learner,
                                                            LearningEvent.verb == "completed")) == 0  # fmt: skip
        # Anything new replans the path (here: the replanning itself, as after any event).
        [journey] = db.session.scalars(select(Journey).where(Journey.learner_id == learner)).all()
        paths.refresh_plan(journey, "a later event")
    assert next_step() == f"/learn/{published['quiz']}"


def test_completing_twice_with_the_same_client_id_stores_one_completion(app, published, make_user):
    learner = make_user(("learner",))
    event_id = uuid.uuid4()
    first = utcnow() - timedelta(hours=1)
    with committing(app):
        for _ in range(2):  # the phone's offline queue replayed
            events.record(actor_id=learner, verb="completed", object_type="item", object_id=published["lesson"],
                          occurred_at=first, event_id=event_id)  # fmt: skip
        events.record(actor_id=learner, verb="completed", object_type="item", object_id=published["lesson"])
    with committing(app):
        [row] = db.session.scalars(select(Completion).where(Completion.learner_id == learner)).all()
        assert row.first_at == first


def test_the_dry_run_changes_nothing_and_says_how_many_would_go(app, published, make_user):
    admin = make_user(("admin",))
    learners = [make_user(("learner",)) for _ in range(3)]
    with committing(app):
        _old_and_new_history(learners, published, utcnow())
        rollups.roll_up(settle=timedelta(0))
        events.record(actor_id=learners[2], verb="launched", object_type="item", object_id=published["quiz"],
                      occurred_at=utcnow() - 15 * MONTH)  # stored after the mark: the map has not counted it  # fmt: skip
        db.session.add(RetentionPolicy(organisation_id=db.session.get(User, admin).organisation_id, event_months=12))
    result = app.test_cli_runner().invoke(args=["lxp", "privacy", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "delete 6 event(s) older than" in result.output and "(1 more once rolled up)" in result.output
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(LearningEvent)) == 10
        assert db.session.scalar(select(func.count()).select_from(RollupKept)) == 0


def test_a_purge_interrupted_or_repeated_ends_where_one_whole_purge_ends(app, published, make_user):
    admin = make_user(("admin",))
    learners = [make_user(("learner",)) for _ in range(3)]
    now = utcnow()
    with committing(app):
        _old_and_new_history(learners, published, now)
        rollups.roll_up(settle=timedelta(0))
        organisation = db.session.get(User, admin).organisation_id
        db.session.add(RetentionPolicy(organisation_id=organisation, event_months=12))
    refs = [published["lesson"], published["quiz"]]
    with committing(app):
        figures = rollups.station_figures(published["course"], refs, now)

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted), committing(app):  # the process dies after two batches
        assert retention.run(organisation, now, batch=2, batches=2).events_deleted == 4
        raise Interrupted
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(LearningEvent)) == 9  # rolled back whole
        assert retention.run(organisation, now, batch=2, batches=1).events_deleted == 2  # a short run
    with committing(app):
        assert retention.run(organisation, now, batch=2, batches=5).events_deleted == 4  # the rest
    with committing(app):
        assert retention.run(organisation, now).events_deleted == 0  # again: nothing more
        assert db.session.scalar(select(func.count()).select_from(LearningEvent)) == 3
        assert rollups.station_figures(published["course"], refs, now) == figures
        purges = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge")
                                    .order_by(AuditEntry.id)).all()  # fmt: skip
        assert [entry.details["events_deleted"] for entry in purges] == [2, 4]


@pytest.fixture
def learners(make_user):
    return [make_user(("learner",)) for _ in range(3)]


VERBS = ("launched", "completed", "passed", "failed", "responded", "attended")

an_event = st.fixed_dictionaries({
    "learner": st.integers(0, 2),
    "station": st.integers(0, 1),
    "verb": st.sampled_from(VERBS),
    "days_ago": st.integers(0, 900),
    "mood": st.sampled_from([None, 2, 5]),
})  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.lists(an_event, min_size=1, max_size=30), months=st.integers(retention.EVENT_MONTHS_MIN, 24),
       more=st.lists(an_event, max_size=8))  # fmt: skip
def test_map_figures_are_the_same_after_a_purge_and_a_rebuild_for_any_history(
    app, published, learners, stream, months, more
):
    """Random histories and horizons: the map's figures after the purge (and after later events
    and a rebuild) equal those counted before it, with the later events added."""
    with committing(app):
        for table in ROLLUP_TABLES:
            db.session.execute(delete(table))
        db.session.execute(delete(RetentionPolicy))
    refs = [published["lesson"], published["quiz"]]
    now = utcnow()

    def rows(batch, stored):
        return [{"id": uuid.uuid4(), "actor_id": learners[e["learner"]], "verb": e["verb"], "object_type": "item",
                 "object_id": refs[e["station"]], "context": None, "recorded_at": stored,
                 "result": {"extensions": {"mood": e["mood"], "effort": 3}} if e["mood"] else None,
                 "occurred_at": now - timedelta(days=e["days_ago"], minutes=e["learner"])} for e in batch]  # fmt: skip

    with committing(app):
        db.session.execute(insert(LearningEvent), rows(stream, now - timedelta(hours=2)))
        rollups.roll_up(now=now, settle=timedelta(0))
        organisation = db.session.get(User, learners[0]).organisation_id
        db.session.add(RetentionPolicy(organisation_id=organisation, event_months=months))
    with committing(app):
        before = rollups.station_figures(published["course"], refs, now)
    with committing(app):
        retention.run(organisation, now)
    with committing(app):
        assert rollups.station_figures(published["course"], refs, now) == before
    if more:  # later events, some of them about long ago (a phone's queue), then a rebuild
        with committing(app):
            db.session.execute(insert(LearningEvent), rows(more, now - timedelta(hours=1)))
            rollups.roll_up(now=now, settle=timedelta(0))
    with committing(app):
        expected = rollups.station_figures(published["course"], refs, now)
    with committing(app):
        rollups.rebuild()
    with committing(app):
        assert rollups.station_figures(published["course"], refs, now) == expected


def test_events_not_yet_forwarded_to_the_organisations_lrs_are_kept_until_they_are(app, published, make_user):
    admin = make_user(("admin",))
    learners = [make_user(("learner",)) for _ in range(3)]
    with committing(app):
        _old_and_new_history(learners, published, utcnow())
        rollups.roll_up(settle=timedelta(0))
        organisation = db.session.get(User, admin).organisation_id
        db.session.add(RetentionPolicy(organisation_id=organisation, event_months=12))
        connection = LrsConnection(organisation_id=organisation, endpoint="https://lrs.example.com/xapi/",
                                   username="key", password="secret")  # fmt: skip
        db.session.add(connection)
    with committing(app):
        assert retention.run(organisation).events_deleted == 0  # nothing sent yet
        oldest_two = db.session.execute(
            select(LearningEvent.recorded_at, LearningEvent.id).order_by(LearningEvent.recorded_at, LearningEvent.id)
            .offset(3).limit(1)
        ).one()  # fmt: skip
        connection = db.session.get(LrsConnection, organisation)
        connection.sent_until_at, connection.sent_until_id = oldest_two
    with committing(app):
        assert retention.plan(organisation).events == 4
        assert retention.run(organisation).events_deleted == 4  # what the LRS holds may go
