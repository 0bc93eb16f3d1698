"""Predictive support's scheduler job (see ``lxp.scheduler``): a thin entry point to a service."""

from __future__ import annotations

from lxp.risk import services


def refresh() -> None:
    """Retrain the organisations' models weekly and raise the day's flags."""
    services.refresh()
