"""Scheduler entry points of paths (see ``lxp.scheduler``)."""

from lxp.paths.services import refresh_stale_plans


def rebuild_stale_plans() -> None:
    """Rebuild plans that replanning after an event could not (the event stood; see ``refresh_plan``)."""
    refresh_stale_plans()
