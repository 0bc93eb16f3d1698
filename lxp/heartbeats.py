"""The scheduler's heartbeat: one row per job, written each time the job runs.

``flask lxp check`` reads it to tell an operator whether a scheduler process is alive: a job
whose last run is older than a few of its intervals means no scheduler is running it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.inserts import dialect_insert
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

# A job counts as stale when it has not run for this many of its intervals (and at least
# STALE_AFTER_AT_LEAST), so one slow run or a restart is no alarm.
STALE_AFTER_INTERVALS = 3
STALE_AFTER_AT_LEAST = timedelta(minutes=3)


class SchedulerHeartbeat(db.Model):
    """When a scheduler last ran the job ``job_id``, and the error of that run, if it failed."""

    __tablename__ = "scheduler_heartbeats"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))


def record(job_id: str, error: str | None = None, at: datetime | None = None) -> None:
    """Note that ``job_id`` ran just now (failing with ``error``, if given). An upsert, so two
    schedulers beating at once do not collide; the caller commits."""
    values = {"job_id": job_id, "last_run_at": at or utcnow(), "last_error": error[:500] if error else None}
    statement = dialect_insert(SchedulerHeartbeat).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["job_id"],
        set_={"last_run_at": statement.excluded.last_run_at, "last_error": statement.excluded.last_error},
    )
    db.session.execute(statement)


@dataclass(frozen=True)
class JobPulse:
    """One job as the heartbeat sees it: never run (``last_run_at`` None), stale, or fresh."""

    job_id: str
    last_run_at: datetime | None
    last_error: str | None
    stale: bool


def pulses(jobs, now: datetime | None = None) -> list[JobPulse]:
    """The heartbeat of each of ``jobs`` (objects with ``id`` and ``seconds``), in their order."""
    now = now or utcnow()
    rows = {row.job_id: row for row in db.session.execute(select(SchedulerHeartbeat)).scalars()}
    result = []
    for job in jobs:
        row = rows.get(job.id)
        if row is None:
            result.append(JobPulse(job.id, None, None, stale=True))
            continue
        allowed = max(timedelta(seconds=job.seconds * STALE_AFTER_INTERVALS), STALE_AFTER_AT_LEAST)
        result.append(JobPulse(job.id, row.last_run_at, row.last_error, stale=now - row.last_run_at > allowed))
    return result
