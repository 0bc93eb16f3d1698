"""lxp's pages beside a trivial Flask endpoint, on the same gunicorn settings: throughput shares,
SQL statements and CPU (lxp's server, this machine's PostgreSQL) per page, and the resident
memory of a web worker and of the scheduler.

Prints figures; it is not a test. Goals (issue 20): ``/healthz`` >= 50% of the trivial endpoint,
``/today`` >= 10% of it and >= 40% of ``/healthz``, ``/path`` >= half of Today; a web worker
<= 100 MB and the scheduler <= 120 MB resident.

    .venv/bin/python bench/compare.py [--learners 2000] [--courses 20] [--seconds 10]
                                      [--connections 16] [--database-url URL]

Without ``--database-url`` it makes a scratch PostgreSQL database ``lxp_bench_compare`` on
127.0.0.1 when a server answers there (dropped afterwards), else an SQLite file. Both servers run
``gunicorn -c deploy/gunicorn.conf.py`` with 2 sync workers (the deploy file's default on two
cores) unless ``WEB_CONCURRENCY`` and ``LXP_THREADS`` say otherwise (they apply to both). Until
2026-12-05 it served 2 gthread workers x 4 threads with keep-alive: each of wrk's 16 kept-alive
connections stays with the worker that accepted it, so how they happened to be split between the
two workers (and split again whenever ``max_requests`` recycled one) decided whether a page had
one core or two: the same tree measured the trivial endpoint at 2,034 and 4,634 requests a second,
Today at 119 and 234. A sync worker takes each request from the shared socket when it is free.
The load comes from ``wrk`` (Debian: ``apt-get install wrk``).
Rate limits are off in the served lxp: one token asking thousands of times a second would only
measure how fast lxp says 429 (profile the limiter separately).
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, select, text
from today import PASSWORD, build  # bench/today.py: the same courses, learners and plans

from lxp import create_app
from lxp.accounts import api_tokens
from lxp.accounts.models import User
from lxp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
# "/healthz" as a load balancer asks it (no cookie: the goal's figure); signed in, it shows what
# every signed-in request pays before its page (session, sign-in, the person's session row).
PAGES = ("/healthz", "/healthz signed in", "/today", "/path", "/api/v1/today")


def path_of(page: str) -> str:
    return page.split(" ", 1)[0]


def headers_for(page: str, cookie: str, token: str) -> dict[str, str]:
    if page.startswith("/api/"):
        return {"Authorization": f"Bearer {token}"}
    return {} if page == "/healthz" else {"Cookie": cookie}


SCRATCH_DB = "lxp_bench_compare"


def pick_database(url: str | None) -> tuple[str, str | None]:
    """The database URL to use, and the admin URL to drop a scratch PostgreSQL database with."""
    if url:
        return url, None
    admin = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DB}"))
            connection.execute(text(f"CREATE DATABASE {SCRATCH_DB}"))
        engine.dispose()
    except Exception:  # noqa: BLE001  no server there: SQLite
        return "", None
    return admin.rsplit("/", 1)[0] + "/" + SCRATCH_DB, admin


def drop_scratch(admin: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"))
    engine.dispose()


def build_data(app, learners: int, courses: int) -> str:
    """Courses, learners with plans, and an API token (read scope) for learner 0; returns the secret."""
    with app.app_context():
        upgrade()
        build(learners, courses)
        learner = db.session.scalar(select(User).where(User.email == "learner0@bench.example"))
        secret = api_tokens.create_token(learner, "bench", ["read"]).secret
        db.session.commit()
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return secret


def served_env(url: str, secret_key: str, instance: str) -> dict[str, str]:
    """The environment lxp is served and scheduled with in a bench run (rate limits off)."""
    env = {**os.environ, "LXP_DATABASE_URL": url, "LXP_SECRET_KEY": secret_key, "LXP_INSTANCE_PATH": instance,
           "LXP_ENV": "development", "LXP_SCHEDULER": "off", "LXP_LOG_FORMAT": "json",
           "LXP_RATELIMIT_ENABLED": "0"}  # fmt: skip
    # 2 gthread workers x 4 threads for memory.py and peer_kolibri.py (compare.py serves sync
    # workers: see its docstring; load.py the deploy file's defaults).
    env.setdefault("WEB_CONCURRENCY", "2")
    env.setdefault("LXP_THREADS", "4")
    return env


def count_statements(app, token: str) -> dict[str, tuple[int, int]]:
    """SQL statements per page in-process: (first request of a fresh process, a later one)."""
    with app.app_context():
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda _c, _cu, sql, *a: statements.append(sql))
    client = app.test_client()
    response = client.post("/login", data={"email": "learner1@bench.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    counts = {}
    anonymous = app.test_client()
    for page in PAGES:
        headers = {"Authorization": f"Bearer {token}"} if page.startswith("/api/") else {}
        runs = []
        for _ in range(2):
            statements.clear()
            response = (anonymous if page == "/healthz" else client).get(path_of(page), headers=headers)
            assert response.status_code == 200, (page, response.status_code)
            runs.append(len(statements))
        counts[page] = (runs[0], runs[1])
    return counts


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own local server)
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def serve(app_spec: str, port: int, env: dict, log: Path | None = None) -> subprocess.Popen:
    """gunicorn serving ``app_spec``; its error stream (lxp's request log among it) goes to ``log``."""
    with open(log or os.devnull, "ab") as errors:  # noqa: PTH123  the server keeps its own copy
        return subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}", app_spec], cwd=ROOT, env=env,  # noqa: S603
                                stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(base: str, email: str = "learner1@bench.example") -> str:
    """Sign a learner in over HTTP like a browser; returns the Cookie header to send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login") as page:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    with opener.open(base + "/login", data=form.encode()) as answer:
        assert "/login" not in answer.url, "sign-in failed"
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def load(url: str, seconds: int, connections: int, headers: dict[str, str]) -> tuple[float, int]:
    """Requests per second from wrk, and how many answers were not 2xx/3xx."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, int(bad.group(1)) if bad else 0


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a server process and its direct children (gunicorn's workers),
    with the children it has already reaped (workers recycled after ``max_requests``)."""
    total = 0
    for process in (pid, *children(pid)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11 : 15 if process == pid else 13])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of this machine's PostgreSQL processes (the postmaster with the backends it has
    reaped, and those alive): two readings give what the database spent between them."""
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                name, fields = (entry / "stat").read_text().split(" (", 1)[1].rsplit(")", 1)
                if name == "postgres":
                    total += sum(int(value) for value in fields.split()[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """(busy, all) clock ticks of every core since boot, from ``/proc/stat``: two readings give
    the share of the machine in use between them, whoever used it."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def jobs_in(tree: Path) -> int:
    """How many jobs the scheduler of ``tree`` runs (``Job(`` entries of its ``lxp/scheduler.py``)."""
    return len(re.findall(r"^    Job\(", (tree / "lxp" / "scheduler.py").read_text(), re.MULTILINE))


def wait_for_every_job(process: subprocess.Popen, database_url: str, tree: Path = ROOT, limit: float = 240) -> None:
    """Return once every job of the scheduler ``process`` has a heartbeat (each ran once: the slow
    lane starts a minute after the others), and 5 s more for the last one to let go of what it
    held; the heartbeats are cleared first, so the process must be started after this is called."""
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as connection:
                ran = connection.execute(text("SELECT count(*) FROM scheduler_heartbeats")).scalar_one()
            if ran >= jobs_in(tree):
                break
            time.sleep(2)
        time.sleep(5)
    finally:
        engine.dispose()


def clear_heartbeats(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM scheduler_heartbeats"))
    engine.dispose()


def scheduler_memory(env: dict) -> float:
    """Resident memory of ``flask lxp scheduler`` once every job has run."""
    clear_heartbeats(env["LXP_DATABASE_URL"])
    flask = str(Path(sys.executable).with_name("flask"))
    process = subprocess.Popen([flask, "--app", "scheduler_app", "lxp", "scheduler"], cwd=ROOT, env=env,  # noqa: S603
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        wait_for_every_job(process, env["LXP_DATABASE_URL"])
        if process.poll() is not None:
            return 0.0
        return resident_mb(process.pid)
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--courses", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10, help="wrk run per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    url, scratch_admin = pick_database(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        url = url or f"sqlite:///{scratch}/bench.db"
        secret_key = secrets.token_urlsafe(32)
        settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "INSTANCE_PATH": scratch,
                    "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}  # fmt: skip
        began = time.perf_counter()
        app = create_app(settings)
        token = build_data(app, args.learners, args.courses)
        print(f"database: {url.split(':')[0]}, {args.learners} learners, {args.courses * 20} items "
              f"(built in {time.perf_counter() - began:.0f} s)")  # fmt: skip
        statements = count_statements(app, token)
        with app.app_context():
            db.engine.dispose()

        env = served_env(url, secret_key, scratch)
        env["LXP_THREADS"] = os.environ.get("LXP_THREADS", "1")  # sync workers: see the docstring
        trivial = serve("trivial_app:app", 8731, {**env, "PYTHONPATH": str(ROOT / "bench")})
        lxp = serve("wsgi:app", 8732, env)
        try:
            wait_until_up("http://127.0.0.1:8731/", trivial)
            wait_until_up("http://127.0.0.1:8732/healthz", lxp)
            cookie = sign_in("http://127.0.0.1:8732")
            load("http://127.0.0.1:8731/", 2, args.connections, {})  # warm both up
            for page in PAGES:
                load("http://127.0.0.1:8732" + path_of(page), 1, 4, headers_for(page, cookie, token))
            loadavg = os.getloadavg()[0]
            base, _ = load("http://127.0.0.1:8731/", args.seconds, args.connections, {})
            rates, costs = {}, {}
            for page in PAGES:
                server, database = cpu_seconds(lxp.pid), postgres_cpu_seconds()
                rates[page] = load("http://127.0.0.1:8732" + path_of(page), args.seconds, args.connections,
                                   headers_for(page, cookie, token))  # fmt: skip
                served = max(rates[page][0] * args.seconds, 1)
                costs[page] = ((cpu_seconds(lxp.pid) - server) / served * 1000,
                               (postgres_cpu_seconds() - database) / served * 1000)  # fmt: skip
            workers = [resident_mb(pid) for pid in children(lxp.pid)]
        finally:
            stop(trivial)
            stop(lxp)
        scheduler = scheduler_memory(env)

    shape = "sync workers" if env["LXP_THREADS"] == "1" else f"gthread workers x {env['LXP_THREADS']} threads"
    print(f"gunicorn: deploy/gunicorn.conf.py, {env['WEB_CONCURRENCY']} {shape}"
          f"; wrk {args.connections} connections, {args.seconds} s per page; "
          f"load average before the run {loadavg:.2f} on {os.cpu_count()} cores")  # fmt: skip
    print(f"{'page':<20}{'share of trivial':>18}{'share of /healthz':>19}{'SQL (first, later)':>20}{'not 2xx':>9}"
          f"{'CPU ms a request: lxp, PostgreSQL':>35}{'requests/s':>12}")  # fmt: skip
    print(f"{'trivial':<20}{'100.0%':>18}{'':>19}{'':>20}{'':>9}{'':>35}{base:>12.0f}")
    for page in PAGES:
        rate, bad = rates[page]
        first, later = statements[page]
        server, database = costs[page]
        print(f"{page:<20}{rate / base:>17.1%} {rate / rates['/healthz'][0]:>18.1%} {f'{first}, {later}':>19} {bad:>8}"
              f"{f'{server:.2f}, {database:.2f}':>35}{rate:>12.0f}")  # fmt: skip
    today, path = rates["/today"][0], rates["/path"][0]
    print(f"/path as a share of /today: {path / today:.0%} (goal >= 50%)")
    print(f"web worker resident: {', '.join(f'{mb:.0f} MB' for mb in workers)} (goal <= 100 MB); "
          f"scheduler: {scheduler:.0f} MB (goal <= 120 MB)")  # fmt: skip
    if scratch_admin:
        drop_scratch(scratch_admin)


if __name__ == "__main__":
    main()
