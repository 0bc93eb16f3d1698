"""Where a learner's requests spend their time, in-process: each page and player endpoint
timed with Flask's test client beside a trivial Flask endpoint, then profiled.

Prints figures; it is not a test. Use it to find what to cut for the goals of issue 20
(``bench/compare.py`` measures the served shares; this shows where the time goes):

    .venv/bin/python bench/profile_pages.py [--learners 300] [--courses 5] [--requests 200]
                                            [--database-url URL] [--top 25] [--only PATH...]

CSRF stays on (the block page renders the form's token). Rate limits are off.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import tempfile
import time
import uuid
from statistics import median

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from today import PASSWORD, build  # bench/today.py: the same courses, learners and plans

from lxp import create_app
from lxp.extensions import db

TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def trivial_client():
    app = Flask("trivial")

    @app.get("/")
    def hello():
        return "Hello"

    return app.test_client()


def signed_in(app, email):
    client = app.test_client()
    token = FORM_TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert answer.status_code == 302 and "/login" not in answer.location, "sign-in failed"
    return client


def first_step(client) -> str:
    page = client.get("/path").get_data(as_text=True)
    return re.search(r'href="/learn/([^"#]+)"', page).group(1)


def requests_of(client, anonymous, ref):
    """Each measured request as (label, callable returning a response)."""
    token = TOKEN.search(client.get("/today").get_data(as_text=True)).group(1)
    headers = {"X-CSRFToken": token}

    def done():
        body = {"event_id": str(uuid.uuid4()), "seconds": 60, "fields": {}}
        return client.post(f"/learn/{ref}/done", json=body, headers={**headers, "X-LXP-Replay": "1"})

    def pulse_post():
        data = {"csrf_token": token, "mood": "4", "event_id": str(uuid.uuid4())}
        return client.post(f"/learn/{ref}/pulse", data=data)

    def drop_flashes():
        # The pulse's "thank you" waits in the session for a page this bench never opens: left
        # there, a hundred of them would make every later request read a long cookie.
        with client.session_transaction() as session:
            session.pop("_flashes", None)

    return drop_flashes, [
        ("GET /healthz", lambda: anonymous.get("/healthz")),  # a load balancer's probe
        ("GET /healthz (signed in)", lambda: client.get("/healthz")),
        ("GET /today", lambda: client.get("/today")),
        ("GET /path", lambda: client.get("/path")),
        ("GET /api/v1/today", lambda: client.get("/api/v1/today")),
        ("GET /learn/<ref>", lambda: client.get(f"/learn/{ref}")),
        ("POST /learn/<ref>/done", done),
        ("GET /learn/<ref>/pulse", lambda: client.get(f"/learn/{ref}/pulse")),
        ("POST /learn/<ref>/pulse", pulse_post),
    ]


def timed(call, n, after=lambda: None) -> float:
    """Median milliseconds of ``n`` calls (``after`` runs after each, untimed)."""
    times = []
    for _ in range(n):
        began = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:300])
        response.close()
        after()
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--courses", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", nargs="*", help="labels (or parts of them) to profile")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch,
                          "RATELIMIT_ENABLED": False})  # fmt: skip
        with app.app_context():
            upgrade()
            build(args.learners, args.courses)
            statements = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        client = signed_in(app, "learner1@bench.example")
        ref = first_step(client)
        trivial = trivial_client()
        trivial_ms = timed(lambda: trivial.get("/"), args.requests)
        drop_flashes, measured = requests_of(client, app.test_client(), ref)
        print(f"database: {url.split(':')[0]}, {args.learners} learners; trivial endpoint {trivial_ms:.3f} ms median")
        print(f"{'request':28} {'median ms':>9} {'x trivial':>9} {'statements':>10}")
        profiles = []
        for label, call in measured:  # each timed and profiled before the next one's writes pile up
            timed(call, 10, drop_flashes)  # warm the caches
            statements.clear()
            call().close()
            count = len(statements)
            drop_flashes()
            ms = timed(call, args.requests, drop_flashes)
            print(f"{label:28} {ms:9.2f} {ms / trivial_ms:9.1f} {count:10d}")
            if not args.only or any(part in label for part in args.only):
                profiles.append((label, profiled(call, args.requests, drop_flashes, args.top)))
        for label, report in profiles:
            print(f"\n===== {label}: {args.requests} requests =====")
            print(report)


def profiled(call, n, after, top) -> str:
    """The profile of ``n`` calls, by own and by cumulative time (``after`` runs unprofiled)."""
    profile = cProfile.Profile()
    for _ in range(n):
        profile.enable()
        call().close()
        profile.disable()
        after()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


if __name__ == "__main__":
    main()
