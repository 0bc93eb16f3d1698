"""Scheduler entry point (see ``lxp.scheduler``)."""

from lxp.lrs import services


def forward_statements() -> None:
    services.forward_all()
