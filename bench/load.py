"""Many people at once against a real server: throughput, latency per page, errors, and whether
every acknowledged write was stored exactly once.

Prints figures; it is not a test. Goal (issue 20): 300 simulated learners on this 2-core machine
with p95 <= 300 ms on Today, no errors, nothing lost or duplicated.

    .venv/bin/python bench/load.py [--users 300 | --users 100,200,300] [--spawn-rate 20] [--seconds 120]
                                   [--learners 2000] [--courses 20] [--database-url URL]

Builds the data of ``bench/today.py`` (on a scratch PostgreSQL database when a server answers on
127.0.0.1, else SQLite), serves lxp with ``deploy/gunicorn.conf.py`` and its defaults
(``WEB_CONCURRENCY`` and ``LXP_THREADS`` change them; rate limits off: one machine's many
learners would share one address), and drives it with
Locust, headless, from its own virtualenv ``.venv-bench`` (``bench/requirements-load.txt``,
made on first use; Locust brings gevent and its own Flask, which stay out of lxp's). The people
are in ``bench/locustfile.py``. Afterwards it reads the database: every completion, quiz
attempt and pulse the server acknowledged must be stored once under the id the learner sent,
and the replays the simulated phones sent must not have added anything (writes still in flight
when Locust stops are counted apart: stored, never answered). Beside Locust's figures it prints
how long each page took inside lxp, from the server's own request log: the difference is time a
request waited for a free worker. Every simulated person is signed in
through the real form before Locust starts (in this process, with the server's key and
database), and Locust's users take those sessions: 300 people signing in at once measure the
password hash (scrypt, on purpose slow), which held the first run's pages back for minutes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from compare import (  # bench/compare.py
    children,
    cpu_seconds,
    drop_scratch,
    machine_busy,
    pick_database,
    postgres_cpu_seconds,
    serve,
    stop,
    wait_until_up,
)
from sqlalchemy import func, select
from today import PASSWORD  # bench/today.py
from werkzeug.security import generate_password_hash

from lxp import create_app
from lxp.accounts.models import User
from lxp.authoring.models import Course
from lxp.events import LearningEvent
from lxp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bench"
REQUIREMENTS = ROOT / "bench" / "requirements-load.txt"
PORT = 8741


def locust_command() -> Path:
    """Locust from ``.venv-bench``, installed from the pinned requirements when missing or older."""
    stamp = VENV / ".installed-stamp"
    if not stamp.exists() or stamp.stat().st_mtime < REQUIREMENTS.stat().st_mtime:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],  # noqa: S603
                       check=True)  # fmt: skip
        stamp.touch()
    return VENV / "bin" / "locust"


def prepare(app, learners: int, courses: int) -> dict:
    """The bench data, a password for the admin, and who the simulated people are."""
    from compare import build_data  # the same data compare.py measures

    build_data(app, learners, courses)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@bench.example"))
        admin.password_hash = generate_password_hash(PASSWORD)
        course_ids = db.session.scalars(select(Course.id).order_by(Course.id)).all()
        db.session.commit()
    return {"learners": learners, "learner_email": "learner{n}@bench.example", "admin_email": "admin@bench.example",
            "password": PASSWORD, "course_ids": course_ids}  # fmt: skip


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def sign_in_beforehand(app, email: str) -> dict:
    """A real sign-in through the form, in this process (the same secret key and database as the
    server): the session cookies and the signed-in pages' CSRF token for one simulated person."""
    client = app.test_client()
    token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD},
                         follow_redirects=True)  # fmt: skip
    meta = CSRF_META.search(answer.get_data(as_text=True))
    if meta is None or answer.request.path == "/login":
        raise SystemExit(f"{email} could not sign in")
    return {"cookies": {cookie.key: cookie.value for cookie in client._cookies.values()}, "csrf": meta.group(1)}


def read_failures(prefix: str) -> list[dict]:
    """Locust's failures: what went wrong, per page, how often."""
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as table:
        return list(csv.DictReader(table))


def read_stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as table:  # noqa: PTH123
        return list(csv.DictReader(table))


LEARNER_VERBS = ("completed", "passed", "failed", "responded")  # what a completion, an attempt, a pulse record


def app_times(log: Path, start: int) -> dict[str, list[float]]:
    """Milliseconds each request spent inside lxp, per endpoint, from the server's JSON request
    log (``LXP_LOG_FORMAT=json``) written after byte ``start``."""
    times: dict[str, list[float]] = {}
    with log.open("rb") as lines:
        lines.seek(start)
        for line in lines:
            if not line.startswith(b"{"):
                continue  # gunicorn's own lines
            entry = json.loads(line)
            if "duration_ms" in entry and entry.get("endpoint"):
                times.setdefault(entry["endpoint"], []).append(entry["duration_ms"])
    return times


def median_and_p95(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def learner_statements(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(LearningEvent.verb.in_(LEARNER_VERBS)))


def check_writes(app, writes: dict, before: int) -> tuple[int, int, int, int]:
    """(acknowledged writes, how many of them are missing, statements the clients never sent
    (a replay or retry stored twice would be one), writes stored without an answer (still in
    flight when the run stopped: neither lost nor doubled))."""
    acknowledged = {uuid.UUID(entry["id"]) for entry in writes["acknowledged"]}
    sent = {uuid.UUID(event_id) for event_id in writes["sent"]}
    with app.app_context():
        stored = set()
        wanted = sorted(sent | acknowledged)
        for start in range(0, len(wanted), 500):
            stored.update(
                db.session.scalars(select(LearningEvent.id).where(LearningEvent.id.in_(wanted[start : start + 500])))
            )
    missing = len(acknowledged - stored)
    not_sent = learner_statements(app) - before - len(stored)  # replays and retries must add nothing
    return len(acknowledged), missing, not_sent, len(stored - acknowledged)


def spent_cpu(server_before: tuple, server_after: tuple, machine_before: tuple[int, int], locust_before) -> dict:
    """CPU seconds of the run: lxp's server (gunicorn and its workers), PostgreSQL (all of this
    machine's), Locust (this process's reaped children: Locust has just exited), the rest of the
    machine, and the share busy. ``server_*``: (lxp's server, PostgreSQL) CPU seconds."""
    busy, every = (after - before for after, before in zip(machine_busy(), machine_before, strict=True))
    locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust = sum(getattr(locust_after, f) - getattr(locust_before, f) for f in ("ru_utime", "ru_stime"))
    ticks = os.sysconf("SC_CLK_TCK")
    server, database = (after - before for after, before in zip(server_after, server_before, strict=True))
    return {"machine": busy / max(every, 1), "server": server, "database": database, "locust": locust,
            "rest": max(busy / ticks - server - database - locust, 0.0)}  # fmt: skip


def run_round(app, server, locust: Path, users: int, args, people_file: str, prefix: str, log: Path) -> dict:
    """One Locust run of ``users`` simulated people against the running ``server``: its figures,
    where the CPU went, the time requests spent inside lxp (from ``log``), and the check of its
    writes (taken once the run has stopped)."""
    acks_file = f"{prefix}-acks.json"
    log_start = log.stat().st_size
    before = learner_statements(app)
    loadavg = os.getloadavg()[0]
    server_before, machine_before = (cpu_seconds(server.pid), postgres_cpu_seconds()), machine_busy()
    locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([str(locust), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",  # noqa: S603
                          "--users", str(users), "--spawn-rate", str(args.spawn_rate),
                          "--run-time", f"{args.seconds}s", "--host", f"http://127.0.0.1:{PORT}",
                          "--csv", prefix, "--only-summary", "--reset-stats", "--loglevel", "WARNING"],
                         env={**os.environ, "LXP_LOAD_PEOPLE": people_file, "LXP_LOAD_ACKS": acks_file},
                         capture_output=True, text=True)  # fmt: skip
    cpu = spent_cpu(server_before, (cpu_seconds(server.pid), postgres_cpu_seconds()), machine_before, locust_before)
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit(f"Locust did not run: {run.stderr.strip().splitlines()[-1:]}")
    time.sleep(2)  # requests Locust gave up on at its stop may still be finishing
    stats = read_stats(prefix)
    written = json.loads(Path(acks_file).read_text())
    return {"users": users, "stats": stats, "failures": read_failures(prefix), "cpu": cpu, "loadavg": loadavg,
            "today": next((row for row in stats if row["Name"] == "/today"), None),
            "total": next(row for row in stats if row["Name"] == "Aggregated"),
            "writes": check_writes(app, written, before), "retried": len(written.get("retried", ())),
            "app": app_times(log, log_start)}  # fmt: skip


def report_round(result: dict, seconds: int) -> None:
    cpu, today, total = result["cpu"], result["today"], result["total"]
    print(f"\nLocust {result['users']} people for {seconds} s; load average before {result['loadavg']:.2f}")
    print(f"{'page':<32}{'requests':>9}{'failed':>8}{'per s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for row in result["stats"]:
        print(f"{row['Name']:<32}{row['Request Count']:>9}{row['Failure Count']:>8}{float(row['Requests/s']):>8.1f}"
              f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}")  # fmt: skip
    answered = max(int(total["Request Count"]), 1)
    print(f"CPU during the run: the machine {cpu['machine']:.0%} busy; lxp's server {cpu['server']:.0f} s "
          f"({cpu['server'] * 1000 / answered:.1f} ms a request, so at most about "
          f"{os.cpu_count() * answered / max(cpu['server'], 0.001):.0f} requests a second on these cores if "
          f"nothing else ran); PostgreSQL {cpu['database']:.0f} s; Locust {cpu['locust']:.0f} s; "
          f"the rest of the machine {cpu['rest']:.0f} s")  # fmt: skip
    for failure in result["failures"]:
        print(f"failed: {failure['Method']} {failure['Name']} x{failure['Occurrences']}: {failure['Error']}")
    if today:
        print(f"Today p95: {today['95%']} ms (goal <= 300 ms); errors: {total['Failure Count']} (goal 0)")
    inside = result["app"]
    if inside:
        busiest = sorted(inside.items(), key=lambda kv: -len(kv[1]))[:6]
        every = ("all", [ms for times in inside.values() for ms in times])
        figures = [(name, *median_and_p95(times)) for name, times in [*busiest, every]]
        print(
            "inside lxp (its request log; the rest of Locust's time waited for a free worker): "
            + "; ".join(f"{name} p50 {p50:.0f} p95 {p95:.0f} ms" for name, p50, p95 in figures)
        )
    print(f"requests sent again because a worker closed their kept-alive connection: {result['retried']} "
          "(GETs as a browser does, writes with their event ids as the phone's queue does)")  # fmt: skip
    writes, missing, extra, in_flight = result["writes"]
    print(f"acknowledged writes: {writes}; missing from the database: {missing}; "
          f"statements no client sent (doubles): {extra} (goal 0 and 0); "
          f"stored but unanswered when the run stopped: {in_flight}")  # fmt: skip
    print(f"load average after: {' '.join(f'{figure:.2f}' for figure in os.getloadavg())} (a shared machine)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="300",
                        help="simulated people (about 1 admin in 31); several, comma-separated (100,200,300), run "
                             "one after another against the same server and data")  # fmt: skip
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--courses", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    locust = locust_command()
    try:
        crowds = [int(part) for part in args.users.split(",")]
    except ValueError:
        raise SystemExit(f"--users: whole numbers separated by commas, not {args.users!r}") from None

    url, scratch_admin = pick_database(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        url = url or f"sqlite:///{scratch}/bench.db"
        secret_key = secrets.token_urlsafe(32)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "INSTANCE_PATH": scratch,
                          "RATELIMIT_ENABLED": False})  # fmt: skip
        began = time.perf_counter()
        people = prepare(app, args.learners, args.courses)
        signing_in = time.perf_counter()
        admins = max(1, max(crowds) // 31)
        people["sessions"] = [sign_in_beforehand(app, people["learner_email"].format(n=n))
                              for n in range(min(max(crowds), args.learners))]  # fmt: skip
        people["admin_session"] = sign_in_beforehand(app, people["admin_email"])
        print(f"{len(people['sessions'])} learners and the admin ({admins} simulated) signed in beforehand "
              f"in {time.perf_counter() - signing_in:.0f} s")  # fmt: skip
        with app.app_context():
            db.engine.dispose()
        print(f"database: {url.split(':')[0]}, {args.learners} learners, {args.courses * 20} items "
              f"(built in {time.perf_counter() - began:.0f} s)")  # fmt: skip
        people_file = f"{scratch}/people.json"
        Path(people_file).write_text(json.dumps(people))

        env = {**os.environ, "LXP_DATABASE_URL": url, "LXP_SECRET_KEY": secret_key, "LXP_INSTANCE_PATH": scratch,
               "LXP_ENV": "development", "LXP_SCHEDULER": "off", "LXP_LOG_FORMAT": "json",
               "LXP_RATELIMIT_ENABLED": "0"}  # fmt: skip
        server_log = Path(scratch) / "server.log"
        server = serve("wsgi:app", PORT, env, log=server_log)
        rounds = []
        try:
            wait_until_up(f"http://127.0.0.1:{PORT}/healthz", server)
            for users in crowds:
                rounds.append(run_round(app, server, locust, users, args, people_file, f"{scratch}/round-{users}",
                                        server_log))  # fmt: skip
            workers = len(children(server.pid))  # the deploy file's count unless set; all booted by now
            kind = re.search(r"Using worker: (\w+)", server_log.read_text(errors="replace")).group(1)  # the master's
        finally:
            stop(server)

    threads = f" x {os.environ.get('LXP_THREADS', '1')} threads" if kind != "sync" else ""
    print(f"gunicorn: deploy/gunicorn.conf.py, {workers} {kind} workers{threads}, on {os.cpu_count()} cores")
    for result in rounds:
        report_round(result, args.seconds)
    if len(rounds) > 1:
        print(f"\n{'people':>7}{'per s':>8}{'Today p50':>10}{'Today p95':>10}{'failed':>8}{'server ms/req':>14}")
        for result in rounds:
            today, total = result["today"] or {}, result["total"]
            print(f"{result['users']:>7}{float(total['Requests/s']):>8.1f}{today.get('50%', '-'):>10}"
                  f"{today.get('95%', '-'):>10}{total['Failure Count']:>8}"
                  f"{result['cpu']['server'] * 1000 / max(int(total['Request Count']), 1):>14.1f}")  # fmt: skip
    if scratch_admin:
        drop_scratch(scratch_admin)


if __name__ == "__main__":
    main()
