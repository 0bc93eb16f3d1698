"""Retention's purge of raw events on a synthetic population whose history ends 200 days ago.

Prints figures; it is not a test. For one course of ``--learners`` synthetic learners (the
``seed-synthetic`` generator, run as if 200 days ago), with a 9-month event retention:

- how fast the purge deletes (events a second, in ``retention.EVENT_BATCH`` batches);
- the journey map for everyone before and after, each the median of ``--runs``, as a ratio;
- a recount of the rollups (``rollups.rebuild``) before and after, as a ratio (after a purge it
  recounts only what is left);
- whether the map's figures are the same after the purge and after the rebuild (they must be).

    .venv/bin/python bench/retention.py [--learners 2000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from statistics import median

from flask_migrate import upgrade
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxp import create_app  # noqa: E402
from lxp.accounts.models import Organisation, User, UserRole  # noqa: E402
from lxp.core.time import utcnow  # noqa: E402
from lxp.events import LearningEvent  # noqa: E402
from lxp.extensions import db  # noqa: E402


def build(learners: int) -> int:
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
    synthetic.generate(organisation, learners, seed=8, now=utcnow() - timedelta(days=200))
    db.session.commit()
    return version.course_id


def map_median(app, course_id: int, runs: int):
    from lxp.insights import services

    timings, journey = [], None
    with app.test_request_context():
        admin = db.session.execute(select(User).where(User.email == "admin@bench.example")).scalar_one()
        for _ in range(runs):
            db.session.expire_all()
            t0 = time.perf_counter()
            _, _, journey = services.journey_map(admin, course_id, services.Filters())
            timings.append(time.perf_counter() - t0)
            db.session.rollback()
    return median(timings), journey


def rebuild_seconds(app) -> float:
    from lxp.insights import rollups

    with app.app_context():
        t0 = time.perf_counter()
        rollups.rebuild()
        db.session.commit()
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    from lxp.privacy import retention
    from lxp.privacy.models import RetentionPolicy

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch,
                          "RATELIMIT_ENABLED": False})  # fmt: skip
        with app.app_context():
            upgrade()
            course_id = build(args.learners)
            organisation = db.session.execute(select(Organisation.id).where(Organisation.slug == "bench")).scalar_one()
            db.session.add(RetentionPolicy(organisation_id=organisation, event_months=retention.EVENT_MONTHS_MIN))
            db.session.commit()
            before_count = db.session.scalar(select(func.count()).select_from(LearningEvent))
        print(f"database: {url.split(':')[0]}, {args.learners} learners, {before_count:,} events")
        map_before, journey_before = map_median(app, course_id, args.runs)
        rebuild_before = rebuild_seconds(app)

        deleted, t0 = 0, time.perf_counter()
        while True:
            with app.app_context():
                report = retention.run(organisation)
                db.session.commit()
            if not report.events_deleted:
                break
            deleted += report.events_deleted
        purge = time.perf_counter() - t0
        with app.app_context():
            left = db.session.scalar(select(func.count()).select_from(LearningEvent))
        map_after, journey_after = map_median(app, course_id, args.runs)
        rebuild_after = rebuild_seconds(app)
        _, journey_rebuilt = map_median(app, course_id, 1)
        print(f"purge: {deleted:,} events deleted in {purge:.1f} s ({deleted / purge:,.0f} a second); {left:,} left")
        print(f"journey map, everyone: median {map_before * 1000:.1f} ms before, {map_after * 1000:.1f} ms after "
              f"(ratio {map_after / map_before:.2f})")  # fmt: skip
        print(f"rollups.rebuild: {rebuild_before:.2f} s before, {rebuild_after:.2f} s after "
              f"(ratio {rebuild_after / rebuild_before:.2f})")  # fmt: skip
        print(f"map figures the same after the purge: {journey_after == journey_before}; "
              f"after the rebuild: {journey_rebuilt == journey_before}")  # fmt: skip


if __name__ == "__main__":
    main()
