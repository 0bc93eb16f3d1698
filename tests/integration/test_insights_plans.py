"""The insights that count a course's events for a group of learners or a period do not hang on
the tables' statistics.

On PostgreSQL the planner chooses how to run each statement from the statistics ANALYZE keeps.
Without them (a bulk load nobody ANALYZEd yet, or a log that outgrew its last ANALYZE) it guessed
one row for each grouped set and joined them in nested loops that were really quadratic: one
cohort's journey map of 2,500 learners took 83 s, the people list of 3,000 learners 13 s
(``bench/insights.py``, and a scratch run of the people list). The statements that count events
now run without nested loops (``queries.counting_events``). Here every statistic of lxp's tables
is deleted inside the test's own transaction (rolled back at its end, as every test's is, so
no other test sees it), each page's statements are explained just before they run, with the settings they run
with, and none of those that read the event log may join in a nested loop. PostgreSQL only:
SQLite plans without statistics of this kind.
"""

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from lxp import events
from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.insights import package_units, queries, services
from tests.conftest import committing


@pytest.fixture
def story(app, make_user, published):
    """Twelve learners, eight of them in a cohort, each through the example course's lesson and
    quiz with a pulse; returns (admin id, course id, cohort id)."""
    with committing(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: the plans are PostgreSQL's")
    learners = [make_user(("learner",), name=f"Learner {n:02d}") for n in range(12)]
    admin = make_user(("admin",))
    at = utcnow() - timedelta(days=2)
    with committing(app):
        for n, learner in enumerate(learners):
            for verb, ref, minutes in (("completed", "lesson", 0), ("passed", "quiz", 5)):
                events.record(actor_id=learner, verb=verb, object_type="item", object_id=published[ref],
                              result={"duration": f"PT{60 + n}S"}, occurred_at=at + timedelta(minutes=minutes))  # fmt: skip
            events.record(actor_id=learner, verb="responded", object_type="item", object_id=published["quiz"],
                          result={"response": "Clear", "extensions": {"mood": 1 + n % 5, "effort": 3}},
                          context={"pulse": True}, occurred_at=at + timedelta(minutes=6))  # fmt: skip
        cohort = Cohort(organisation_id=db.session.get(User, admin).organisation_id, name="Early shift")
        cohort.members = [db.session.get(User, i) for i in learners[:8]]
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
    return admin, published["course"], cohort_id


def _plans_of_event_reads(call) -> list[tuple[str, str]]:
    """Run ``call``; (statement, plan) of each statement it sent that reads the event log, the
    plan explained on the same connection just before the statement ran."""
    plans = []

    def explain(_conn, cursor, statement, parameters, _context, _executemany):
        if "learning_events" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            cursor.execute("EXPLAIN " + statement, parameters)  # the driver's cursor: no event for this
            plans.append((statement, "\n".join(row[0] for row in cursor.fetchall())))

    event.listen(db.engine, "before_cursor_execute", explain)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", explain)
    return plans


def _without_statistics() -> None:
    """Forget what ANALYZE learned about lxp's tables, for this transaction only (superuser)."""
    db.session.execute(text("DELETE FROM pg_statistic WHERE starelid IN "
                            "(SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)"))  # fmt: skip


def test_without_statistics_no_page_joins_the_event_log_in_a_nested_loop(app, story):
    admin_id, course_id, cohort_id = story
    with app.test_request_context():
        admin = db.session.get(User, admin_id)
        cohort, month = (
            services.Filters(cohort_id=cohort_id),
            services.Filters(start=utcnow().date() - timedelta(days=30)),
        )
        pages = {
            "journey map of a cohort": lambda: services.journey_map(admin, course_id, cohort),
            "journey map of a period": lambda: services.journey_map(admin, course_id, month),
            "satisfaction of a cohort": lambda: services.satisfaction(admin, course_id, cohort),
            "people": lambda: services.people(admin, services.Filters()),
            "people of a cohort": lambda: services.people(admin, cohort),
            "package units of a cohort": lambda: package_units.drop_off(admin, course_id, cohort),
        }
        try:
            _without_statistics()
            # Without the settings, the planner does choose nested loops here: the test can fail.
            bare = _plans_of_event_reads(lambda: queries.station_counts(
                [f"{course_id}:listen-lesson", f"{course_id}:listen-check"],
                services.course_population(admin, cohort), utcnow()))  # fmt: skip
            assert any("Nested Loop" in plan for _, plan in bare), bare
            for page, call in pages.items():
                plans = _plans_of_event_reads(call)
                assert plans or page == "package units of a cohort", page  # the example course plays no package
                for statement, plan in plans:
                    assert "Nested Loop" not in plan, f"{page}:\n{statement}\n{plan}"
        finally:
            db.session.rollback()  # the statistics come back with it


def test_counting_events_gives_the_rest_of_the_transaction_its_settings_back(app, story):
    def shown() -> tuple[str, str, str]:
        return tuple(db.session.execute(text(f"SHOW {name}")).scalar() for name in queries.AGGREGATE_SETTINGS)

    with app.app_context():
        before = shown()
        assert before[2] == "on"  # enable_nestloop: PostgreSQL's default
        with queries.counting_events():
            assert shown() == ("off", "64MB", "off")
        assert shown() == before
        db.session.rollback()
