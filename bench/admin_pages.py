"""The admin's pages that choose or list people, in an organisation of many learners: each page's
time and size in-process, beside the signed-in ``/healthz`` measured in the same run.

Prints figures; it is not a test (``tests/integration/test_people_field.py`` holds each page's
statements and size between 3 learners and 300). The demo organisation (``flask lxp seed-demo``)
with ``--learners`` more learners, a tenth of them in one cohort (its page lists them 50 at a
time, searchable) and reporting to one manager;
the demo admin signs in as on the sign-in page. Each page is opened once to warm this process's
caches, then timed ``--repeat`` times (the best is printed: the least disturbed by a busy machine).

    .venv/bin/python bench/admin_pages.py [--learners 10000] [--repeat 5] [--database-url URL]

Without ``--database-url`` a scratch SQLite file is used; a PostgreSQL URL must name an empty
database (the bench migrates it and seeds the demo into it).
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import insert, select

from lxp import create_app
from lxp.accounts.models import User, UserRole
from lxp.assignments.models import ReportingLine
from lxp.cohorts.models import Cohort, cohort_members
from lxp.demo import DEMO_PASSWORD, PEOPLE
from lxp.extensions import db

FORM_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def build(app, learners: int) -> int:
    """Migrate, seed the demo, add ``learners`` learners; returns the id of the cohort they partly join."""
    with app.app_context():
        upgrade()
    seeded = app.test_cli_runner().invoke(args=["lxp", "seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        admin = db.session.execute(select(User).where(User.email == PEOPLE[0].email)).scalar_one()
        rows = [{"organisation_id": admin.organisation_id, "email": f"bulk{n}@northwind.example",
                 "display_name": f"Bulk Person {n:05d}", "timezone": "UTC", "active": True} for n in range(learners)]  # fmt: skip
        ids = list(db.session.execute(insert(User).returning(User.id), rows).scalars())
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
        cohort = Cohort(organisation_id=admin.organisation_id, name="Bulk starters")
        manager = db.session.execute(select(User).where(User.email == "katrin.vogel@northwind.example")).scalar_one()
        db.session.add(cohort)
        db.session.flush()
        tenth = ids[: max(len(ids) // 10, 1)]
        db.session.execute(insert(cohort_members), [{"cohort_id": cohort.id, "user_id": i} for i in tenth])
        db.session.execute(insert(ReportingLine), [{"user_id": i, "manager_id": manager.id} for i in tenth])
        db.session.commit()
        return cohort.id


def best_of(client, method: str, url: str, repeat: int, **kwargs) -> tuple[float, int, int]:
    """(best milliseconds, bytes, status) of ``repeat`` requests after one to warm up."""
    getattr(client, method)(url, **kwargs)
    best, size, status = float("inf"), 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        best = min(best, time.perf_counter() - started)
        size, status = len(response.data), response.status_code
    return best * 1000, size, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="lxp-bench-admin-")
    url = args.database_url or f"sqlite:///{instance}/admin.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "LXP_ENV": "bench",
                      "SECRET_KEY": "bench-secret", "RATELIMIT_ENABLED": False, "SCHEDULER": "off"})  # fmt: skip
    logging.getLogger("lxp").setLevel(logging.WARNING)  # no request log lines between the figures
    started = time.perf_counter()
    cohort_id = build(app, args.learners)
    print(f"database: {url.split(':')[0]}, the demo and {args.learners} more learners "
          f"(built in {time.perf_counter() - started:.0f} s)")  # fmt: skip

    client = app.test_client()
    token = FORM_TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    signed = client.post("/login", data={"csrf_token": token, "email": PEOPLE[0].email, "password": DEMO_PASSWORD})
    assert signed.status_code == 302, "the demo admin could not sign in"
    probe, _size, _status = best_of(client, "get", "/healthz", args.repeat * 4)
    cohort_page = client.get(f"/admin/cohorts/{cohort_id}").get_data(as_text=True)
    token = FORM_TOKEN.search(cohort_page).group(1)
    pages = [
        ("GET", "/admin/assignments", {}),
        ("GET", "/admin/cohorts", {}),
        ("GET", f"/admin/cohorts/{cohort_id}", {}),
        ("GET", f"/admin/cohorts/{cohort_id}?q=person 0001&page=1", {}),
        ("POST", f"/admin/cohorts/{cohort_id}/members", {"data": {"csrf_token": token, "members-find": "Person 000",
                                                                  "find-people": "members"}}),
        ("GET", "/admin/reporting-lines", {}),
        ("GET", "/admin/reporting-lines?q=bulk person 0001", {}),
        ("GET", "/admin/users", {}),
        ("GET", "/admin/users?q=person 0001", {}),
        ("GET", "/insights/people", {}),
    ]  # fmt: skip
    print(f"signed-in /healthz: {probe:.2f} ms (best of {args.repeat * 4})")
    print(f"{'page':52} {'best ms':>8} {'x /healthz':>10} {'KB':>8} status")
    for method, page, kwargs in pages:
        label = f"{method} {page}" + (" (Find)" if method == "POST" else "")
        ms, size, status = best_of(client, method.lower(), page, args.repeat, **kwargs)
        print(f"{label:52} {ms:8.1f} {ms / probe:10.1f} {size / 1024:8.1f} {status}")


if __name__ == "__main__":
    main()
