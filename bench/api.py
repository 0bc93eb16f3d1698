"""Throughput of ``GET /api/v1/today`` against the same server's trivial health endpoint.

Prints figures; it is not a test. The server is gunicorn on 127.0.0.1 (the app as production
runs it, rate limits off); the load comes from a second process with a few threads on
persistent connections, first against ``/healthz``, then against ``/api/v1/today`` with a
learner's personal access token. The ratio says what Today costs next to the cheapest
request the same stack can answer.

    .venv/bin/python bench/api.py [--seconds 10] [--threads 4] [--workers 2] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str, instance: str) -> str:
    """Migrate, publish the example course, put a learner on it; returns the learner's token."""
    from flask_migrate import upgrade

    from lxp import create_app
    from lxp.accounts import api_tokens
    from lxp.accounts.models import Organisation, User, UserRole
    from lxp.authoring import publishing, transfer
    from lxp.authoring.models import Goal
    from lxp.extensions import db
    from lxp.paths import services as paths

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance, "LXP_ENV": "bench",
                      "SECRET_KEY": "bench-secret"})  # fmt: skip
    with app.app_context():
        upgrade()
        organisation = Organisation(slug="bench-api", name="Bench")
        db.session.add(organisation)
        db.session.flush()
        admin = User(organisation_id=organisation.id, email="admin@bench-api.example", display_name="Admin",
                     role_rows=[UserRole(role="admin"), UserRole(role="reviewer")])  # fmt: skip
        learner = User(organisation_id=organisation.id, email="learner@bench-api.example", display_name="Lena",
                       role_rows=[UserRole(role="learner")])  # fmt: skip
        db.session.add_all([admin, learner])
        db.session.commit()
        version = transfer.import_document(admin, (ROOT / "tests/data/mini-course.json").read_text())
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.query(Goal).one()
        paths.start_journey(learner, paths.JourneyChoice((goal.id,), None, None, 60, ("self_paced",)))
        return api_tokens.create_token(learner, "bench", ["read"]).secret


def load(port: int, path: str, headers: dict, seconds: float, threads: int, out) -> None:
    """Runs in the second process: ``threads`` keep-alive clients hammer ``path``."""
    counts, errors = [0] * threads, [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                counts[n] += 1
            else:
                errors[n] += 1
        connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put({"requests": sum(counts), "errors": sum(errors), "seconds": time.perf_counter() - started})


def measure(port: int, path: str, headers: dict, seconds: float, threads: int) -> dict:
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=load, args=(port, path, headers, seconds, threads, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="lxp-bench-api-")
    database_url = args.database_url or f"sqlite:///{instance}/bench.db"
    token = prepare(database_url, instance)
    port = free_port()
    env = {**os.environ, "LXP_DATABASE_URL": database_url, "LXP_INSTANCE_PATH": instance,
           "LXP_SECRET_KEY": "bench-secret", "LXP_RATELIMIT_ENABLED": "false", "LXP_SCHEDULER": "off"}  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn from the venv)
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", "2", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_until_up(port)
        today_headers = {"Authorization": f"Bearer {token}"}
        measure(port, "/api/v1/today", today_headers, 1, args.threads)  # warm up both paths
        health = measure(port, "/healthz", {}, args.seconds, args.threads)
        today = measure(port, "/api/v1/today", today_headers, args.seconds, args.threads)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    health_rate = health["requests"] / health["seconds"]
    today_rate = today["requests"] / today["seconds"]
    print(json.dumps({"health_per_second": round(health_rate, 1), "today_per_second": round(today_rate, 1),
                      "errors": health["errors"] + today["errors"]}))  # fmt: skip
    print(f"GET /api/v1/today: {today_rate:.0f} requests/s; GET /healthz: {health_rate:.0f} requests/s; "
          f"ratio today/health = {today_rate / health_rate:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
