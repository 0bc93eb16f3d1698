"""The Today page under a realistic database: server time and SQL statements per request.

Prints figures; it is not a test. Targets (issue 4): median under 30 ms, p95 under 60 ms, at
most 8 statements, the same number whatever the data size.

    .venv/bin/python bench/today.py [--learners 10000] [--courses 100] [--requests 300] [--database-url URL]

Builds 20 items per course (100 courses = 2,000 items) through the real import, then learners
with journeys in bulk; each journey gets a real plan from the planner.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import tempfile
import time
from datetime import date

from flask_migrate import upgrade
from sqlalchemy import event, insert, select
from werkzeug.security import generate_password_hash

from lxp import create_app
from lxp.accounts.models import Organisation, User, UserRole
from lxp.extensions import db

PASSWORD = "bench-password-1"  # noqa: S105 (generated bench accounts)


def course_document(n: int) -> str:
    items = []
    for i in range(20):
        competency = f"c{n}-{i // 4}"
        is_check = i % 4 == 3
        item = {"key": f"i{i}", "kind": "quiz" if is_check else "lesson", "title": f"Course {n} block {i}",
                "minutes": 5, "teaches": [] if is_check else [competency], "assesses": [competency] if is_check else [],
                "prerequisites": [f"i{i - 1}"] if i % 4 else []}  # fmt: skip
        item["content"] = (
            {"pass_mark": 80, "questions": [{"key": "q", "prompt": "Which?", "competency": competency,
                                             "options": [{"text": "A", "correct": True}, {"text": "B", "correct": False}]}]}
            if is_check else {"markdown": f"Block {i} of course {n}. " * 20}
        )  # fmt: skip
        items.append(item)
    competencies = sorted({f"c{n}-{i // 4}" for i in range(20)})
    return json.dumps({
        "format": "lxp-course", "format_version": 1,
        "course": {"slug": f"course-{n}", "title": f"Course {n}", "how": {"expected_minutes": 100},
                   "outcomes": [{"statement": f"I can do {c}", "competencies": [c]} for c in competencies],
                   "modules": [{"title": "All", "items": items}]},
        "competencies": [{"code": c, "name": f"Competency {c}"} for c in competencies],
        "goals": [{"slug": f"goal-{n}", "title": f"Goal {n}", "competencies": competencies, "courses": [f"course-{n}"]}],
    })  # fmt: skip


def build(learners: int, courses: int) -> None:
    from lxp.authoring import publishing, transfer
    from lxp.authoring.models import Goal
    from lxp.paths.models import Journey, JourneyCourse, journey_goals
    from lxp.paths.services import replan

    organisation = Organisation(slug="bench", name="Bench")
    db.session.add(organisation)
    db.session.flush()
    admin = User(organisation_id=organisation.id, email="admin@bench.example", display_name="Admin",
                 role_rows=[UserRole(role="admin"), UserRole(role="reviewer")])  # fmt: skip
    db.session.add(admin)
    db.session.commit()
    for n in range(courses):
        version = transfer.import_document(admin, course_document(n))
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
    goals = db.session.execute(select(Goal).order_by(Goal.id)).scalars().all()

    password_hash = generate_password_hash(PASSWORD)
    db.session.execute(insert(User), [
        {"organisation_id": organisation.id, "email": f"learner{n}@bench.example", "display_name": f"Learner {n}",
         "password_hash": password_hash, "timezone": "Europe/Berlin", "active": True, "auth_version": 1}
        for n in range(learners)
    ])  # fmt: skip
    ids = db.session.execute(select(User.id).where(User.email.like("learner%"))).scalars().all()
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    rng = random.Random(7)
    rows = [{"learner_id": i, "status": "active", "start_date": date.today(), "weekly_minutes": 60,
             "modalities": ["self_paced"]} for i in ids]  # fmt: skip
    db.session.execute(insert(Journey), rows)
    journeys = db.session.execute(select(Journey.id, Journey.learner_id)).all()
    goal_of = {journey_id: rng.choice(goals) for journey_id, _ in journeys}
    db.session.execute(insert(journey_goals), [{"journey_id": j, "goal_id": g.id} for j, g in goal_of.items()])
    db.session.execute(insert(JourneyCourse), [
        {"journey_id": j, "course_id": g.courses[0].id, "version_id": g.courses[0].versions[-1].id}
        for j, g in goal_of.items()
    ])  # fmt: skip
    db.session.commit()
    # A real plan per goal, shared by the journeys on that goal (planning 10,000 would only time the planner).
    plans = {}
    for journey in db.session.execute(select(Journey)).scalars():
        goal = goal_of[journey.id]
        if goal.id not in plans:
            replan(journey)
            plans[goal.id] = journey.plan
        journey.plan = plans[goal.id]
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})  # fmt: skip
        began = time.perf_counter()
        with app.app_context():
            upgrade()
            build(args.learners, args.courses)
        print(
            f"database: {url.split(':')[0]}, {args.learners} learners, {args.courses * 20} items "
            f"(built in {time.perf_counter() - began:.0f} s)"
        )

        statements = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        rng = random.Random(3)
        timings, counts = [], []
        clients = {}
        for _ in range(args.requests):
            n = rng.randrange(args.learners)
            client = clients.get(n)
            if client is None:
                client = clients[n] = app.test_client()
                client.post("/login", data={"email": f"learner{n}@bench.example", "password": PASSWORD})
            statements.clear()
            t0 = time.perf_counter()
            response = client.get("/today")
            timings.append((time.perf_counter() - t0) * 1000)
            counts.append(len(statements))
            assert response.status_code == 200, response.status_code
        timings.sort()
        body = response.get_data()
        assets = [body]
        for path in ("/static/css/lxp.css", "/static/js/offline.js"):
            with client.get(path) as asset:  # file responses: close them
                assets.append(asset.get_data())
        first_load = sum(len(gzip.compress(asset)) for asset in assets)
        print(
            f"GET /today x{args.requests}: median {statistics.median(timings):.1f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms (targets 30 / 60 ms)"
        )
        print(f"SQL statements per request: min {min(counts)}, max {max(counts)} (target <= 8, constant)")
        print(
            f"first load (HTML, CSS, JS) gzip-compressed: {first_load / 1024:.1f} KB (target < 30 KB); "
            f"repeat visit (HTML only, CSS and JS cached): {len(gzip.compress(body)) / 1024:.1f} KB (target < 10 KB)"
        )


if __name__ == "__main__":
    main()
