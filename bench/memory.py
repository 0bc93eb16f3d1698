"""What a web worker and the scheduler import and hold: modules, resident and unique memory.

Prints figures; it is not a test. Goals (issue 20): a web worker <= 100 MB and the scheduler
<= 120 MB. A gunicorn worker is a fork of the master (``preload_app``), so most of its pages are
shared with the master and its siblings: the unique set (USS, what the worker alone holds and what
another worker would add) is the cost per worker; RSS counts the shared pages in every process.
PSS (proportional set size, /proc/PID/smaps_rollup) divides each shared page among the processes
sharing it, so the master's and workers' PSS add up to what they hold together: the goal for a
worker is read on PSS (RSS is printed beside it; a worker's RSS is mostly the master's pages).

    .venv/bin/python bench/memory.py [--learners 200] [--requests 600] [--before REF] [--database-url URL]

For the checkout (and, with ``--before REF``, for that git revision unpacked beside it, on the
same database): ``create_app()`` in a fresh process (modules, resident MB, which heavy libraries
came in) as gunicorn loads ``wsgi:app``; ``gunicorn -c deploy/gunicorn.conf.py`` serving learners' Today, path, inbox and profile pages
``--requests`` times from a few signed-in learners, then each worker's RSS, PSS and USS; and
``flask lxp scheduler`` after its first round of jobs (with the app and the ``Environment=`` settings
of that tree's ``deploy/lxp-scheduler.service``, so what is deployed is measured), also as a ratio
to a bare ``import flask`` process measured in the same run. Data: bench/today.py's courses, learners and
plans on a scratch PostgreSQL database (``lxp_bench_compare`` as in bench/compare.py) or an
SQLite file; a ``--database-url`` an earlier run filled is measured again as it is.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from io import BytesIO
from pathlib import Path

from compare import (  # bench/compare.py: the same scratch database and gunicorn handling
    GUNICORN,
    build_data,
    children,
    clear_heartbeats,
    drop_scratch,
    pick_database,
    served_env,
    sign_in,
    stop,
    wait_for_every_job,
    wait_until_up,
)
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from lxp import create_app
from lxp.accounts.models import User
from lxp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/today", "/path", "/inbox", "/healthz", "/me")
HEAVY = ("sklearn", "numpy", "scipy", "alembic", "mako", "pygments", "authlib", "onelogin", "xmlsec", "lxml",
         "joserfc", "cryptography", "py_vapid", "PIL", "segno", "icalendar", "dkim", "dns", "requests", "pywebpush", "aiohttp")  # fmt: skip
PROFILE = """
import json, sys
from wsgi import app  # what a gunicorn worker loads
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"modules": len(sys.modules), "rss": int(status["VmRSS"].split()[0]) / 1024,
                  "heavy": [name for name in %r if name in sys.modules]}))
"""


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and USS (private clean + dirty) of a process in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"], "uss": fields["Private_Clean"] + fields["Private_Dirty"]}


def bare_flask() -> dict[str, float]:
    """RSS, PSS and USS of a process that only imported Flask: the yardstick the scheduler's
    figures are divided by, so runs on other machines or Pythons compare."""
    probe = subprocess.Popen([sys.executable, "-c", "import flask, sys; print('ready', flush=True); sys.stdin.read()"],  # noqa: S603
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        probe.stdout.readline()
        return memory(probe.pid)
    finally:
        probe.communicate("")


def unpack(ref: str, into: Path) -> Path:
    """The tree of git revision ``ref`` in ``into`` (compiled catalogues copied from the checkout)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout  # noqa: S603, S607
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    for compiled in (ROOT / "lxp" / "translations").glob("*/LC_MESSAGES/messages.mo"):
        (into / compiled.relative_to(ROOT)).write_bytes(compiled.read_bytes())
    return into


def measure(tree: Path, env: dict, requests: int, learners: int, port: int) -> dict:
    """The figures for one source tree."""
    env = {**env, "PYTHONPATH": str(tree)}  # before the editable install's finder
    profile = subprocess.run([sys.executable, "-c", PROFILE % (HEAVY,)], cwd=tree, env=env,  # noqa: S603
                             capture_output=True, text=True, check=True)  # fmt: skip
    figures = {"import": json.loads(profile.stdout.strip().splitlines()[-1])}

    gunicorn = [*GUNICORN[:-1], str(tree / "deploy" / "gunicorn.conf.py")]
    server = subprocess.Popen([*gunicorn, "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=tree, env=env,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", server)
        cookies = [sign_in(base, f"learner{n}@bench.example") for n in range(1, learners + 1)]
        served = 0
        while served < requests:
            for n, cookie in enumerate(cookies):
                page = PAGES[(served + n) % len(PAGES)]
                request = urllib.request.Request(base + page, headers={"Cookie": cookie})  # noqa: S310
                with urllib.request.urlopen(request) as answer:  # noqa: S310  (our own local server)
                    answer.read()
                served += 1
        figures["workers"] = [memory(pid) for pid in children(server.pid)]
        figures["master"] = memory(server.pid)
    finally:
        stop(server)

    # The same work for every tree: each plan to store afresh, as on a Monday.
    engine = create_engine(env["LXP_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE journeys SET plan_stale_since = CURRENT_TIMESTAMP"))
    engine.dispose()
    clear_heartbeats(env["LXP_DATABASE_URL"])
    unit = (tree / "deploy" / "lxp-scheduler.service").read_text()
    app_spec = re.search(r"flask --app (\S+) lxp scheduler", unit).group(1)  # as deployed from that tree
    deployed = dict(re.findall(r"^Environment=(\w+)=(\S*)$", unit, re.MULTILINE))  # MALLOC_ARENA_MAX, if set
    flask = str(Path(sys.executable).with_name("flask"))
    scheduler = subprocess.Popen([flask, "--app", app_spec, "lxp", "scheduler"], cwd=tree, env={**env, **deployed},  # noqa: S603
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        wait_for_every_job(scheduler, env["LXP_DATABASE_URL"], tree)
        figures["scheduler"] = memory(scheduler.pid) if scheduler.poll() is None else None
        figures["scheduler_app"] = app_spec
        figures["scheduler_env"] = {name: value for name, value in deployed.items() if not name.startswith("LXP_")}
    finally:
        stop(scheduler)
    figures["bare_flask"] = bare_flask()
    return figures


def report(name: str, figures: dict) -> None:
    imported = figures["import"]
    print(f"{name}: wsgi:app {imported['modules']} modules, {imported['rss']:.0f} MB resident; "
          f"heavy libraries loaded: {', '.join(imported['heavy']) or 'none'}")  # fmt: skip
    master = figures["master"]
    print(f"  gunicorn master: RSS {master['rss']:.0f} MB, PSS {master['pss']:.0f} MB, USS {master['uss']:.0f} MB")
    for n, worker in enumerate(figures["workers"], 1):
        print(f"  web worker {n}: RSS {worker['rss']:.0f} MB, PSS {worker['pss']:.0f} MB, USS {worker['uss']:.0f} MB")
    workers = figures["workers"]
    print(f"  web workers together with the master: RSS summed {sum(w['rss'] for w in workers) + master['rss']:.0f} MB, "
          f"PSS summed {sum(w['pss'] for w in workers) + master['pss']:.0f} MB (what the machine really gives them)")  # fmt: skip
    scheduler = figures["scheduler"]
    if scheduler:
        bare = figures["bare_flask"]
        settings = "".join(f", {name}={value}" for name, value in figures["scheduler_env"].items())
        print(f"  scheduler (flask --app {figures['scheduler_app']}{settings}, every plan stale): RSS {scheduler['rss']:.0f} MB, "
              f"PSS {scheduler['pss']:.0f} MB, USS {scheduler['uss']:.0f} MB; "
              f"{scheduler['rss'] / bare['rss']:.2f}x RSS and {scheduler['pss'] / bare['pss']:.2f}x PSS of a bare "
              f"`import flask` process (RSS {bare['rss']:.0f} MB, PSS {bare['pss']:.0f} MB)")  # fmt: skip
    else:
        print("  scheduler: exited early")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200, help="learners in the database")
    parser.add_argument("--courses", type=int, default=5)
    parser.add_argument("--signed-in", type=int, default=8, help="learners taking turns at the pages")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--before", help="a git revision to measure first, on the same data (e.g. main)")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    url, scratch_admin = pick_database(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        url = url or f"sqlite:///{scratch}/bench.db"
        secret_key = secrets.token_urlsafe(32)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "INSTANCE_PATH": scratch,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})  # fmt: skip
        with app.app_context():
            upgrade()
            built = db.session.scalar(select(User.id).where(User.email == "learner1@bench.example")) is not None
        if not built:  # an earlier run's data (same learners and plans) is measured again
            build_data(app, args.learners, args.courses)
        with app.app_context():
            db.engine.dispose()
        env = served_env(url, secret_key, scratch)
        print(f"database: {url.split(':')[0]}, {args.learners} learners; {args.signed_in} signed in, "
              f"{args.requests} requests over {', '.join(PAGES)}; {env['WEB_CONCURRENCY']} workers")  # fmt: skip
        if args.before:
            before = measure(unpack(args.before, Path(scratch) / "before"), env, args.requests, args.signed_in, 8741)
            report(f"before ({args.before})", before)
        report("now (this checkout)", measure(ROOT, env, args.requests, args.signed_in, 8742))
    if scratch_admin:
        drop_scratch(scratch_admin)


if __name__ == "__main__":
    main()
