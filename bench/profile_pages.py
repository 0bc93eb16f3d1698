"""Where a learner's requests spend their time, in-process: each page and player endpoint
timed with Flask's test client beside a trivial Flask endpoint, then profiled.

Prints figures; it is not a test. Use it to find what to cut for the goals of issue 20
(``bench/compare.py`` measures the served shares; this shows where the time goes):

    .venv/bin/python bench/profile_pages.py [--learners 300] [--courses 5] [--requests 200]
                                            [--database-url URL] [--top 25] [--only PATH...] [--mix N]

CSRF stays on (the block page renders the form's token). Rate limits are off. With ``--mix N``
it also replays ``bench/locustfile.py``'s learners in this process, one task after another (N
tasks, the same seed each run), and prints this process's CPU milliseconds a request over that
mix and per page: the figure ``bench/load.py`` needs lower, without the noise of a busy machine
(CPU time, not wall time; the database's own work is not in it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
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
STEP = re.compile(r'href="/learn/([^"/?#]+)"')  # as bench/locustfile.py reads a path


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


def timed(call, n, after=lambda: None) -> tuple[float, float]:
    """Median milliseconds of ``n`` calls, and this process's mean CPU milliseconds a call (the
    database's work is not in it; ``after`` runs after each, untimed)."""
    times = []
    cpu = 0.0
    for _ in range(n):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = call()
        times.append((time.perf_counter() - began) * 1000)
        cpu += time.process_time() - began_cpu
        assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:300])
        response.close()
        after()
    return median(times), cpu * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--courses", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", nargs="*", help="labels (or parts of them) to profile")
    parser.add_argument("--mix", type=int, default=0, help="then replay this many of Locust's learner tasks")
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
        trivial_ms, _ = timed(lambda: trivial.get("/"), args.requests)
        drop_flashes, measured = requests_of(client, app.test_client(), ref)
        print(f"database: {url.split(':')[0]}, {args.learners} learners; trivial endpoint {trivial_ms:.3f} ms median")
        print(f"{'request':28} {'median ms':>9} {'x trivial':>9} {'CPU ms':>7} {'statements':>10}")
        profiles = []
        for label, call in measured:  # each timed and profiled before the next one's writes pile up
            timed(call, 10, drop_flashes)  # warm the caches
            statements.clear()
            call().close()
            count = len(statements)
            drop_flashes()
            ms, cpu_ms = timed(call, args.requests, drop_flashes)
            print(f"{label:28} {ms:9.2f} {ms / trivial_ms:9.1f} {cpu_ms:7.2f} {count:10d}")
            if not args.only or any(part in label for part in args.only):
                profiles.append((label, profiled(call, args.requests, drop_flashes, args.top)))
        for label, report in profiles:
            print(f"\n===== {label}: {args.requests} requests =====")
            print(report)
        if args.mix:
            replay_mix(app, args.mix, min(args.learners, 50))


class MixLearner:
    """One of ``bench/locustfile.py``'s learners, replayed with the test client: the same tasks
    at the same weights (Today 4, a step 2, a replayed completion 1), the same requests in each."""

    def __init__(self, app, number: int, pick: random.Random):
        self.client = signed_in(app, f"learner{number}@bench.example")
        self.csrf = TOKEN.search(self.client.get("/today").get_data(as_text=True)).group(1)
        self.pick = pick
        self.done: list[tuple[str, str]] = []

    def one_task(self, request) -> None:
        task = self.pick.choices(["today", "step", "replay"], weights=[4, 2, 1])[0]
        if task == "today":
            request("/today", lambda: self.client.get("/today"))
        elif task == "step":
            self.work_on_a_step(request)
        elif self.done:
            ref, event_id = self.pick.choice(self.done)
            body = {"event_id": event_id, "seconds": 120, "fields": {}}
            headers = {"X-CSRFToken": self.csrf, "X-LXP-Replay": "1"}
            request(
                "/learn/<ref>/done (replay)", lambda: self.client.post(f"/learn/{ref}/done", json=body, headers=headers)
            )

    def work_on_a_step(self, request) -> None:
        path = request("/path", lambda: self.client.get("/path"))
        refs = list(dict.fromkeys(STEP.findall(path)))
        if not refs:
            return
        ref = self.pick.choice(refs[:5])
        page = request("/learn/<ref>", lambda: self.client.get(f"/learn/{ref}"))
        headers = {"X-CSRFToken": self.csrf}
        event_id = str(uuid.uuid4())
        if 'name="q"' in page or "data-quiz" in page:
            body = {
                "event_id": event_id,
                "seconds": self.pick.randint(60, 400),
                "answers": {"q": [self.pick.choice([0, 0, 1])]},
            }
            request(
                "/learn/<ref>/attempt", lambda: self.client.post(f"/learn/{ref}/attempt", json=body, headers=headers)
            )
        else:
            body = {"event_id": event_id, "seconds": self.pick.randint(60, 600), "fields": {}}
            request("/learn/<ref>/done", lambda: self.client.post(f"/learn/{ref}/done", json=body, headers=headers))
            self.done.append((ref, event_id))
        if self.pick.random() < 0.5:
            form = request("/learn/<ref>/pulse", lambda: self.client.get(f"/learn/{ref}/pulse"))
            token = FORM_TOKEN.search(form)
            data = {"csrf_token": token.group(1) if token else self.csrf, "event_id": str(uuid.uuid4()),
                    "mood": self.pick.randint(1, 5), "effort": self.pick.randint(1, 5)}  # fmt: skip
            request("/learn/<ref>/pulse (post)", lambda: self.client.post(f"/learn/{ref}/pulse", data=data))


def replay_mix(app, tasks: int, learners: int) -> None:
    """CPU milliseconds a request over Locust's learner mix, in this process (see the docstring)."""
    pick = random.Random(20)  # the same tasks and choices every run
    people = [MixLearner(app, number, pick) for number in range(1, learners + 1)]
    cpu: dict[str, list[float]] = {}

    def request(label, call) -> str:
        began = time.process_time()
        response = call()
        cpu.setdefault(label, []).append((time.process_time() - began) * 1000)
        assert response.status_code < 500, (label, response.status_code)
        text = response.get_data(as_text=True)
        response.close()
        return text

    for person in people * 2:  # warm the caches the way a served worker's first minutes would
        person.one_task(lambda _label, call: call().get_data(as_text=True))
    for _ in range(tasks):
        pick.choice(people).one_task(request)
    every = [ms for times in cpu.values() for ms in times]
    print(
        f"\nLocust's learner mix in-process: {len(every)} requests by {learners} learners, "
        f"{sum(every) / len(every):.2f} CPU ms a request"
    )
    print(f"{'page':28} {'requests':>8} {'CPU ms mean':>11} {'share':>6}")
    for label, times in sorted(cpu.items(), key=lambda item: -sum(item[1])):
        print(f"{label:28} {len(times):8d} {sum(times) / len(times):11.2f} {sum(times) / sum(every):6.0%}")


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
