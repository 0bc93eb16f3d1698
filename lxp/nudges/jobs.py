"""The touchpoints' scheduler jobs (see ``lxp.scheduler``): thin entry points to services."""

from __future__ import annotations

from lxp.nudges import services


def plan_touchpoints() -> None:
    """Put the messages that fell due into the outbox."""
    services.plan_touchpoints()


def deliver_outbox() -> None:
    """Send (or hold, fold, drop) the due messages of the outbox."""
    services.deliver_outbox()
