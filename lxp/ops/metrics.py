"""Prometheus metrics: requests per endpoint, and the queues read from the database at scrape.

Request counts and latencies are labelled with the endpoint name (``learning.today``), never
the raw path, so ids and tokens never become labels. Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` (``deploy/gunicorn.conf.py`` does, and empties it at start): each
worker writes its numbers there and a scrape, whichever worker answers it, sums them all.

The queue gauges are read fresh at every scrape, in the scrape's own read-only transaction:
outbox depth (messages waiting to be sent), dead letters, the age of the oldest message that is
due and not sent, each scheduler job's last run (its heartbeat) and the LRS backlog
(statements not yet accepted by the organisations' LRSs).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Flask, g, request, request_finished, request_started
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, or_, select

from lxp import heartbeats
from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.lrs.models import LrsConnection
from lxp.nudges.models import OutboxMessage
from lxp.scheduler import JOBS

UNMATCHED = "unmatched"  # requests that matched no route (404s, scanners)

# Not in prometheus_client's default registry: a scrape builds its registry (see ``render``).
REQUESTS = Counter("lxp_http_requests", "HTTP requests served, by endpoint, method and status.",
                   ("endpoint", "method", "status"), registry=None)  # fmt: skip
LATENCY = Histogram("lxp_http_request_duration_seconds", "Time to answer a request, by endpoint.",
                    ("endpoint", "method"), registry=None,
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))  # fmt: skip


def _started(sender, **extra) -> None:
    g.metrics_started = time.perf_counter()


def _finished(sender, response, **extra) -> None:
    started = g.get("metrics_started")
    if started is None:
        return
    endpoint = request.url_rule.endpoint if request.url_rule is not None else UNMATCHED
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)


def init_app(app: Flask) -> None:
    """Count and time every request ``app`` serves."""
    request_started.connect(_started, app)
    request_finished.connect(_finished, app)


class QueueCollector(Collector):
    """The outbox, the scheduler's heartbeats and the LRS backlog, as gauges."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # A scrape is a GET: its unit of work rolls the read transaction back.
        now = utcnow()
        yield from _outbox(now)
        yield from _scheduler()
        yield _lrs_backlog()


def _outbox(now: datetime) -> Iterator[GaugeMetricFamily]:
    waiting = or_(OutboxMessage.status == "pending", OutboxMessage.status == "sending")
    depth, oldest_due = db.session.execute(
        select(func.count(), func.min(OutboxMessage.due_at).filter(OutboxMessage.due_at <= now)).where(waiting)
    ).one()
    dead = db.session.scalar(select(func.count()).where(OutboxMessage.status == "failed"))
    yield GaugeMetricFamily("lxp_outbox_depth", "Touchpoint messages waiting to be sent (pending or being sent).",
                            value=depth)  # fmt: skip
    yield GaugeMetricFamily("lxp_outbox_dead_letters", "Messages that failed every try (see /admin/outbox).",
                            value=dead)  # fmt: skip
    age = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
    yield GaugeMetricFamily("lxp_outbox_oldest_due_age_seconds",
                            "How long the oldest due, unsent message has been waiting (0: none).", value=age)  # fmt: skip


def _scheduler() -> Iterator[GaugeMetricFamily]:
    last_run = GaugeMetricFamily("lxp_scheduler_last_run_timestamp_seconds",
                                 "When a scheduler last ran the job (Unix time; absent: never).", labels=("job",))  # fmt: skip
    failing = GaugeMetricFamily("lxp_scheduler_last_run_failed", "1 when the job's last run failed.",
                                labels=("job",))  # fmt: skip
    for pulse in heartbeats.pulses(JOBS):
        if pulse.last_run_at is not None:
            last_run.add_metric((pulse.job_id,), pulse.last_run_at.timestamp())
            failing.add_metric((pulse.job_id,), 1.0 if pulse.last_error else 0.0)
    yield last_run
    yield failing


def _lrs_backlog() -> GaugeMetricFamily:
    """Events of organisations with an enabled LRS connection, recorded after its high-water mark."""
    beyond_mark = or_(
        LrsConnection.sent_until_at.is_(None),
        LearningEvent.recorded_at > LrsConnection.sent_until_at,
        and_(LearningEvent.recorded_at == LrsConnection.sent_until_at, LearningEvent.id > LrsConnection.sent_until_id),
    )
    backlog = db.session.scalar(
        select(func.count())
        .select_from(LearningEvent)
        .join(User, User.id == LearningEvent.actor_id)
        .join(LrsConnection, LrsConnection.organisation_id == User.organisation_id)
        .where(LrsConnection.enabled.is_(True), beyond_mark)
    )
    return GaugeMetricFamily("lxp_lrs_backlog", "Statements not yet accepted by the organisations' LRSs.",
                             value=backlog)  # fmt: skip


def render(accept: str | None) -> tuple[bytes, str]:
    """The exposition for a scrape, in the format ``accept`` asks for, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(QueueCollector())
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
