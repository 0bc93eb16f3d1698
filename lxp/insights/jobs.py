"""Scheduler entry points of the insights (see ``lxp.scheduler``)."""

from lxp.insights import rollups


def roll_up() -> None:
    """Bring the journey map's rollups up to the events stored a few minutes ago."""
    rollups.roll_up()
