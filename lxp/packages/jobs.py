"""Scheduler entry points of packages (see ``lxp.scheduler``)."""

from lxp.packages.lms import abandon_idle_sessions


def abandon_idle_cmi5_sessions() -> None:
    """Say ``abandoned`` for cmi5 sessions that went silent without terminating."""
    abandon_idle_sessions()
