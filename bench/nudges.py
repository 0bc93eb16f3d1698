"""Touchpoint planning under load: one planning tick over 10,000 and then 100,000 learners
with realistic event histories; its time and its SQL statements.

Prints figures; it is not a test. Targets (issue 7): a full planning tick over 100,000
learners in under 10 s on a 2-core machine, and statements per tick independent of the
number of learners (compare the two lines).

    .venv/bin/python bench/nudges.py [--learners 10000 100000] [--database-url URL]

Without a URL (or ``LXP_BENCH_DATABASE_URL``) it runs on a fresh SQLite file; give an empty
PostgreSQL database (``postgresql+psycopg://postgres@127.0.0.1/bench``) for the production
figure. The population comes from ``lxp.insights.synthetic`` (the same rows
``events.record`` writes, in bulk): learners in several time zones and languages walking one
published course, failing checks, asking for help, going quiet, and the touchpoints they were
sent before. The population grows from the first size to the next, so each tick sees every
learner so far; the first tick at a size plans what fell due, the second shows a steady tick.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import event, func, select, text

from lxp import create_app
from lxp.accounts.models import Organisation, User, UserRole
from lxp.events import LearningEvent
from lxp.extensions import db


def setup() -> Organisation:
    """The organisation and the demo's course, published."""
    from lxp.authoring import publishing, transfer
    from lxp.demo import COURSES

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
    return organisation


def grow(organisation: Organisation, learners: int) -> float:
    """Add learners until there are ``learners``; returns the seconds it took."""
    from lxp.insights import synthetic

    began = time.perf_counter()
    have = db.session.scalar(select(func.count()).select_from(User).where(User.email.like("synthetic-%")))
    step = 10_000  # in slices, so the generator's lists stay small
    while have < learners:
        count = min(step, learners - have)
        synthetic.generate(organisation, count, seed=have + 1)
        have += count
    db.session.execute(text("ANALYZE"))  # fresh statistics, as a live database has them
    db.session.commit()
    return time.perf_counter() - began


def tick(statements: list) -> tuple[int, float, int]:
    """One planning tick: (messages planned, seconds, SQL statements)."""
    from lxp.nudges import services

    db.session.remove()
    statements.clear()
    began = time.perf_counter()
    planned = services.plan_touchpoints()
    seconds = time.perf_counter() - began
    db.session.remove()
    return planned, seconds, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=os.environ.get("LXP_BENCH_DATABASE_URL"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch,
                          "BASE_URL": "http://lxp.bench"})  # fmt: skip
        statements: list = []
        with app.app_context():
            upgrade()
            organisation = setup()
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
            print(f"database: {url.split(':')[0]}")
            for size in sorted(args.learners):
                built = grow(db.session.merge(organisation), size)
                events = db.session.scalar(select(func.count()).select_from(LearningEvent))
                print(f"{size} learners, {events} events (built in {built:.0f} s)")
                for label in ("first tick", "next tick"):
                    planned, seconds, count = tick(statements)
                    print(f"  {label}: planned {planned} in {seconds:.2f} s, {count} SQL statements")
        print("targets: a full tick over 100,000 learners under 10 s (2 cores); statements independent of learners")


if __name__ == "__main__":
    main()
