"""How fast the learning-event log records, and how fast a replayed offline queue is absorbed.

Prints figures; it is not a test. Usage:

    .venv/bin/python bench/events.py [--events 5000] [--database-url postgresql+psycopg://…]

Without a URL it uses a temporary SQLite file. It builds the schema with the migrations.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade

from lxp import create_app, events
from lxp.accounts.models import Organisation, User
from lxp.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=50, help="events per transaction (a phone's offline queue)")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch})
        with app.app_context():
            upgrade()
            organisation = Organisation(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
            db.session.add(organisation)
            db.session.flush()
            learner = User(
                organisation_id=organisation.id, email=f"{uuid.uuid4().hex}@bench.example", display_name="Bench"
            )
            db.session.add(learner)
            db.session.commit()

            start = datetime.now(UTC) - timedelta(days=30)
            batches = [
                [(uuid.uuid4(), start + timedelta(seconds=i * 60 + j)) for j in range(args.batch)]
                for i in range(args.events // args.batch)
            ]

            def run(label: str) -> None:
                per_batch = []
                began = time.perf_counter()
                for batch in batches:
                    t0 = time.perf_counter()
                    for event_id, when in batch:
                        events.record(
                            actor_id=learner.id,
                            verb="completed",
                            object_type="item",
                            object_id="7",
                            result={"success": True},
                            occurred_at=when,
                            event_id=event_id,
                        )
                    db.session.commit()
                    per_batch.append((time.perf_counter() - t0) * 1000)
                elapsed = time.perf_counter() - began
                total = len(batches) * args.batch
                print(
                    f"{label:<28} {total / elapsed:9.0f} events/s   batch of {args.batch}: "
                    f"median {statistics.median(per_batch):6.1f} ms, p95 {sorted(per_batch)[int(len(per_batch) * 0.95)]:6.1f} ms"
                )

            print(f"database: {db.engine.dialect.name}, {len(batches) * args.batch} events")
            run("first recording")
            run("replay (all duplicates)")


if __name__ == "__main__":
    main()
