"""Scheduler entry points of assignments (see ``lxp.scheduler``)."""

from lxp.assignments.services import sync_all


def sync_assignments() -> None:
    """Hand assigned work to everyone an assignment reaches who lacks it (people the word of
    their joining missed), and re-open recertifications that expire soon."""
    sync_all()
