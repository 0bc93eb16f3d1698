"""The journey map of one course under load: 10,000 learners and about a million events.

Prints figures; it is not a test. Target (issue 20): the journey map for everyone in at most
150 ms median on PostgreSQL, with fresh statistics and without any (as after a bulk load that
nobody ANALYZEd): it reads the rollups (``lxp.insights.rollups``), so its plan must not depend
on them. The cohort and period maps still count events. Each process keeps the rolled-up
figures until the mark moves (``lxp.insights.rolled_up``): the first run of each map reads
them, the others only the events past the mark; figures are printed also as multiples of
``GET /healthz`` measured just before, to compare runs on a busy machine with a quiet one.
Then (with fresh statistics) the first map after a roll-up moved the mark (``MINUTE`` new
events, as the scheduler rolls up every minute): with the figures kept at the mark before, brought forward, and with
nothing kept, read whole (what every first map after a roll-up cost before). Those events stay
in the database for a ``--reuse`` run.

    .venv/bin/python bench/insights.py [--learners 10000] [--progress-every 25] [--runs 5] [--database-url URL] [--reuse] [--everyone-only]

Without ``--database-url`` it runs on a fresh SQLite file; give an empty PostgreSQL database
(``postgresql+psycopg://postgres@127.0.0.1/bench``) for the production figure; ``--reuse``
measures again on the population an earlier run left there. The course is
the demo's "customer-conversations" (15 stations, all four modalities); the population comes
from ``flask lxp seed-synthetic``'s generator, with a ``progressed`` event per 25 seconds on a
self-paced block, as an xAPI player sends them, for volume.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import date, timedelta
from statistics import median as statistics_median

from flask_migrate import upgrade
from sqlalchemy import event, func, insert, select, text

from lxp import create_app
from lxp.accounts.models import Organisation, User, UserRole
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db

COHORTS = ("Bench cohort A", "Bench cohort B", "Bench cohort C", "Bench cohort D")
MINUTE = 100  # events between two roll-ups: 100,000 learners' busiest minute is about this


def build(learners: int, progress_every: int) -> int:
    """The organisation, the course and the population; returns the course id."""
    from lxp.authoring import publishing, transfer
    from lxp.demo import COURSES
    from lxp.insights import synthetic

    organisation = Organisation(slug="bench", name="Bench")
    db.session.add(organisation)
    db.session.flush()
    admin = User(organisation_id=organisation.id, email="admin@bench.example", display_name="Admin",
                 role_rows=[UserRole(role="admin"), UserRole(role="reviewer")])  # fmt: skip
    db.session.add(admin)
    db.session.commit()
    version = transfer.import_document(admin, (COURSES / "customer-conversations.json").read_text(encoding="utf-8"))
    publishing.submit_for_review(admin, version)
    publishing.approve(admin, version)
    # generate() runs ANALYZE on PostgreSQL and rolls the events up; from about a million events
    # the event log's indexes are quicker built once after the load (a scratch database: no one waits)
    synthetic.generate(organisation, learners, cohort_names=COHORTS, seed=8, progress_every=progress_every,
                       rebuild_indexes=learners >= 10_000)  # fmt: skip
    db.session.commit()
    return version.course_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument(
        "--progress-every", type=int, default=25, help="seconds on a self-paced block per progressed event"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true", help="keep the population a previous run left in the database")
    parser.add_argument("--everyone-only", action="store_true", help="measure the map for everyone only (the target)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch,
                          "RATELIMIT_ENABLED": False})  # fmt: skip
        began = time.perf_counter()
        with app.app_context():
            upgrade()
            bench = db.session.execute(select(Organisation).where(Organisation.slug == "bench")).scalar_one_or_none()
            if bench is not None and args.reuse:
                from lxp.authoring.models import Course

                course_id = db.session.execute(select(Course.id).where(Course.organisation_id == bench.id)).scalar_one()
                learners = db.session.scalar(
                    select(func.count()).select_from(User).where(User.organisation_id == bench.id)
                )
                args.learners = learners - 1  # the admin
            else:
                course_id = build(args.learners, args.progress_every)
            count = db.session.scalar(select(func.count()).select_from(LearningEvent))
        print(f"database: {url.split(':')[0]}, {args.learners} learners, {count:,} events "
              f"(built in {time.perf_counter() - began:.0f} s)")  # fmt: skip

        from lxp.insights import rollups

        with app.app_context():
            rollups.roll_up()  # what the scheduler would have done since a --reuse run
            db.session.commit()
        postgresql = url.startswith("postgresql")
        for statistics in ("fresh statistics", "no statistics") if postgresql else ("",):
            with app.app_context():
                if statistics == "fresh statistics":
                    db.session.execute(text("ANALYZE"))
                elif statistics:  # as if nobody had run ANALYZE since the load (superuser only)
                    db.session.execute(text("DELETE FROM pg_statistic WHERE starelid IN (SELECT oid FROM pg_class "
                                            "WHERE relnamespace = 'public'::regnamespace)"))  # fmt: skip
                db.session.commit()
            measure(app, course_id, args.runs, statistics, args.everyone_only)
        print("target: at most 150 ms median for everyone on PostgreSQL, with or without fresh statistics")
        if postgresql:
            with app.app_context():
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        after_a_roll_up(app, course_id, args.runs)


def measure(app, course_id: int, runs: int, statistics: str, everyone_only: bool = False) -> None:
    from lxp.cohorts.models import Cohort
    from lxp.insights import services
    from lxp.insights.rolled_up import forget_rolled_up

    statements = []
    health = _healthz(app, runs * 5)
    print(f"GET /healthz: median {health * 1000:.1f} ms")
    with app.test_request_context():

        def count(*_):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        admin = db.session.execute(select(User).where(User.email == "admin@bench.example")).scalar_one()
        cohort = db.session.execute(select(Cohort.id).where(Cohort.name == COHORTS[0])).scalar_one()
        maps = (
            ("everyone", services.Filters()),
            ("one cohort", services.Filters(cohort_id=cohort)),
            ("a 30-day period", services.Filters(start=date.today().replace(day=1), end=date.today())),
        )
        for label, filters in maps[:1] if everyone_only else maps:
            timings = []
            forget_rolled_up()  # the first run reads the rollups, as the first after the mark moved
            for _ in range(runs):
                db.session.expire_all()
                statements.clear()
                t0 = time.perf_counter()
                _, _, journey = services.journey_map(admin, course_id, filters)
                timings.append(time.perf_counter() - t0)
                db.session.rollback()
            print(f"journey map, {label}{', ' + statistics if statistics else ''}: median "
                  f"{statistics_median(timings) * 1000:.0f} ms ({statistics_median(timings) / health:.0f}× GET /healthz), "
                  f"max {max(timings) * 1000:.0f} ms (the first, which reads the rollups: {timings[0] * 1000:.0f} ms) over {runs} runs; "
                  f"{len(statements)} statements; {journey.learners} learners, {len(journey.stations)} stations")  # fmt: skip
        event.remove(db.engine, "before_cursor_execute", count)


def after_a_roll_up(app, course_id: int, runs: int) -> None:
    """The first map for everyone after a roll-up moved the mark, ``runs`` times each way: kept
    figures brought forward, and nothing kept (read whole)."""
    from lxp.insights import rollups, services
    from lxp.insights.rolled_up import forget_rolled_up

    timings: dict[str, list[float]] = {"brought forward": [], "read whole": []}
    rng = random.Random(20)
    with app.test_request_context():
        admin = db.session.execute(select(User).where(User.email == "admin@bench.example")).scalar_one()
        learners = db.session.scalars(
            select(User.id).where(User.organisation_id == admin.organisation_id, User.id != admin.id)
        ).all()  # fmt: skip
        course, version = next((c, v) for c, v in services.courses_for(admin) if c.id == course_id)
        refs = [station.ref for station in services.stations_of(course, version)]
        db.session.rollback()
        for _ in range(runs):
            for way, timing in timings.items():
                services.journey_map(admin, course_id, services.Filters())  # kept at the mark
                now = utcnow()
                db.session.execute(insert(LearningEvent), [
                    {"id": uuid.uuid4(), "actor_id": rng.choice(learners), "verb": rng.choice(("launched", "completed")),
                     "object_type": "item", "object_id": rng.choice(refs), "result": {"duration": "PT120S"},
                     "context": None, "occurred_at": now - timedelta(seconds=rng.uniform(0, 60)), "recorded_at": now}
                    for _ in range(MINUTE)
                ])  # fmt: skip
                rollups.roll_up(settle=timedelta(0))
                db.session.commit()
                if way == "read whole":
                    forget_rolled_up()
                db.session.expire_all()
                t0 = time.perf_counter()
                services.journey_map(admin, course_id, services.Filters())
                timing.append(time.perf_counter() - t0)
                db.session.rollback()
    print(f"first journey map for everyone after a roll-up of {MINUTE} events, median over {runs}: "
          + ", ".join(f"{way} {statistics_median(t) * 1000:.0f} ms" for way, t in timings.items()))  # fmt: skip


def _healthz(app, runs: int) -> float:
    """The median time of ``GET /healthz`` in this process: what the machine gives right now, so
    figures from a busy machine compare with those of a quiet one as ratios."""
    client = app.test_client()
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        timings.append(time.perf_counter() - t0)
    return statistics_median(timings)


if __name__ == "__main__":
    main()
