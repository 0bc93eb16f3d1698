"""``flask lxp nudges run-once``: one planning and delivery tick, for cron and for operators."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services

nudges_cli = AppGroup("nudges", help="Touchpoints: the outbox and its delivery.")


@nudges_cli.command("run-once")
def run_once() -> None:
    """Plan the touchpoints that fell due, deliver the due outbox, print one line and exit.

    Safe beside a running scheduler or a second copy of itself: rows are claimed, so nothing is
    planned or sent twice. Exits non-zero with one readable line when the database or the
    planning fails (a failing channel is no failure here: the message is retried later)."""
    began = time.perf_counter()
    try:
        planned = services.plan_touchpoints(utcnow())
        # Due by the time delivery starts: planning may have waited on a second scheduler's rows.
        report = services.deliver_due(utcnow())
    except Exception as exc:
        db.session.rollback()
        first_line = (str(exc).strip().splitlines() or [""])[0]
        raise click.ClickException(f"touchpoints run failed: {type(exc).__name__}: {first_line}"[:300]) from exc
    click.echo(f"planned {planned}; {report.summary()} ({time.perf_counter() - began:.1f} s)")
