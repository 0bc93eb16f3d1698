"""Scheduler entry points of paths (see ``lxp.scheduler``)."""

from lxp.paths.services import refresh_stale_plans


def rebuild_stale_plans() -> None:
    """Store the plans that replanning after an event could not (the event stood; see
    ``refresh_plan``) and those of a week gone by, which reads only rebuild in memory."""
    refresh_stale_plans()
