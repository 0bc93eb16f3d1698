"""The scheduler: APScheduler 3 running the features' periodic jobs.

Every job has a fixed id, pushes an app context and calls one service (``<feature>/jobs.py``),
so what it does is tested through the service. The services claim their rows (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL), so several scheduler processes never do the same work twice.

- production: ``flask lxp scheduler`` is its own process, never started by ``create_app``;
- development: ``LXP_SCHEDULER=inline`` (what ``make run`` sets) starts it inside the web
  process on the first request, so CLI commands and the reloader's watcher never run jobs;
- ``flask lxp scheduler --once`` runs every job once and exits (cron, or to see what is due).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup

from lxp import heartbeats
from lxp.core import request_log, unit_of_work
from lxp.extensions import db

log = logging.getLogger("lxp.scheduler")
job_log = logging.getLogger("lxp.job")  # one line per run (see lxp.core.request_log)


@dataclass(frozen=True)
class Job:
    id: str
    target: str  # "module:function", called with no arguments inside an app context
    seconds: int
    first_after: int = 0  # seconds after the scheduler starts; delivery waits for planning's catch-up
    lane: str = "minute"  # the thread it runs in, taking turns with the lane's other jobs (see ``build``)


# The jobs of ten minutes or more: a lane of their own, so a long retraining or purge never holds
# back what is due every minute (seat offers, session changes, touchpoint planning); first run a
# minute after start, once the minute lane's catch-up is through, so the two peaks do not meet.
SLOW = {"lane": "slow", "first_after": 60}

JOBS: tuple[Job, ...] = (
    Job("paths.rebuild_stale_plans", "lxp.paths.jobs:rebuild_stale_plans", 60),
    Job("live.send_session_updates", "lxp.live.jobs:send_session_updates", 60),
    Job("live.expire_seat_offers", "lxp.live.jobs:expire_seat_offers", 60),
    Job("nudges.plan_touchpoints", "lxp.nudges.jobs:plan_touchpoints", 60),
    Job("nudges.deliver_outbox", "lxp.nudges.jobs:deliver_outbox", 15, first_after=3, lane="delivery"),
    Job("lrs.forward_statements", "lxp.lrs.jobs:forward_statements", 60),
    Job("packages.abandon_idle_cmi5_sessions", "lxp.packages.jobs:abandon_idle_cmi5_sessions", 600, **SLOW),
    Job("insights.roll_up", "lxp.insights.jobs:roll_up", 60),
    Job("credentials.issue_earned", "lxp.credentials.jobs:issue_earned", 60),
    Job("privacy.apply_retention", "lxp.privacy.jobs:apply_retention", 3600, **SLOW),
    Job("accounts.prune_sessions", "lxp.accounts.jobs:prune_sessions", 3600, **SLOW),
    Job("assignments.sync", "lxp.assignments.jobs:sync_assignments", 600, **SLOW),
    Job("sso.refresh_saml_metadata", "lxp.sso.jobs:refresh_saml_metadata", 3600, **SLOW),
    # Retrains each organisation's model when a week has passed, raises flags once a day.
    Job("risk.refresh", "lxp.risk.jobs:refresh", 3600, **SLOW),
)


def run_job(app: Flask, target: str) -> None:
    """Run one job in a fresh app context as one unit of work: committed when it returns,
    rolled back when it raises; a failure is logged, the next run tries again. Either way the
    job's heartbeat notes the run (and its error) in a boundary of its own, for ``flask lxp check``."""
    module, _, name = target.partition(":")
    job_id = next((job.id for job in JOBS if job.target == target), target)
    with app.app_context():
        error = None
        started = time.perf_counter()
        request_log.start_counting()
        try:
            with unit_of_work.boundary(f"job {target}"):
                getattr(import_module(module), name)()
        except Exception as exc:
            log.exception("job %s failed", target)
            error = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
        fields = {"job": job_id, "outcome": "failed" if error else "ok", "error": error,
                  "duration_ms": round((time.perf_counter() - started) * 1000, 1), "sql_statements": g.sql_statements}  # fmt: skip
        job_log.info("job %s %s", job_id, fields["outcome"], extra={request_log.FIELDS: fields})
        try:
            with unit_of_work.boundary(f"heartbeat of job {job_id}"):
                heartbeats.record(job_id, error)
        except Exception:
            log.exception("heartbeat of job %s not written", job_id)
        finally:
            db.session.remove()
            _give_back_freed_memory()


def _give_back_freed_memory() -> None:
    """Hand the C allocator's free pages back to the system after a job: a job's peak (a Monday's
    plans, a week of events for the risk model) is freed by Python, but glibc keeps the pages, so
    the long-lived scheduler's resident memory would stay at its highest job's peak (issue 20)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only (not musl, not macOS)
    except OSError:
        return None


_libc = _load_libc()


def run_all_once(app: Flask) -> list[str]:
    """Run every job once, in order; returns their ids."""
    for job in JOBS:
        run_job(app, job.target)
    return [job.id for job in JOBS]


def build(app: Flask, *, blocking: bool = False):
    """A scheduler with every job added (not started).

    Each lane is one thread whose jobs take turns: the minute jobs, the slow ones (``SLOW``), and
    the delivery alone (messages never wait behind a rebuild). Side by side in APScheduler's ten
    threads, every job's largest moment came at once at start, and the process kept that memory
    (about 20 MB more; issue 20, ``bench/memory.py``). APScheduler is imported here: a web
    worker that runs no scheduler does without it."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    executors = {lane: ThreadPoolExecutor(max_workers=1) for lane in {job.lane for job in JOBS}}
    scheduler = scheduler_class(
        timezone=UTC,
        executors=executors,
        # One run at a time per job; runs missed while busy or stopped are merged into one, not
        # replayed in a burst, and never dropped for being late (APScheduler's default grace is
        # one second): each run handles everything due by then, so one late run catches up.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    started = datetime.now(UTC)
    for job in JOBS:
        # The first run comes at start, not an interval later: a scheduler that was down catches up at once.
        scheduler.add_job(run_job, "interval", seconds=job.seconds, id=job.id, args=(app, job.target),
                          executor=job.lane, replace_existing=True,
                          next_run_time=started + timedelta(seconds=job.first_after))  # fmt: skip
    return scheduler


_inline_lock = threading.Lock()


def start_inline(app: Flask) -> None:
    """Start the scheduler inside this web process, once (development only)."""
    with _inline_lock:
        if app.extensions.get("lxp_scheduler") is not None:
            return
        scheduler = build(app)
        scheduler.start()
        app.extensions["lxp_scheduler"] = scheduler
        log.info("inline scheduler started with %d jobs", len(JOBS))


def init_app(app: Flask) -> None:
    """With ``SCHEDULER = "inline"``, start the scheduler on the first request served."""
    if app.config.get("SCHEDULER") != "inline":
        return

    @app.before_request
    def _start_scheduler() -> None:
        if app.extensions.get("lxp_scheduler") is None:
            start_inline(app)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def run_scheduler(once: bool) -> None:
    """Run the touchpoint and session jobs (its own process in production)."""
    app = current_app._get_current_object()
    if once:
        for job_id in run_all_once(app):
            click.echo(f"ran {job_id}")
        return
    click.echo(f"lxp scheduler: {len(JOBS)} jobs; stop with Ctrl+C")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):  # Ctrl+C is how it is stopped
        build(app, blocking=True).start()


def init_cli(app: Flask) -> None:
    """``flask lxp scheduler`` alone, for the scheduler's own app (``create_app(kind="scheduler")``):
    the other ``lxp`` commands and the schema check before them would load the demo data,
    backups and Alembic into a process that only runs jobs (``flask lxp check`` on the web app
    tells whether the schema is current)."""
    group = AppGroup("lxp", help="lxp scheduler.")
    group.add_command(run_scheduler)
    app.cli.add_command(group)
