"""The scheduler's entry point for credentials (see ``lxp.scheduler``)."""

from __future__ import annotations

from lxp.credentials import services


def issue_earned() -> int:
    """Issue every credential learners have earned since the last run."""
    return services.issue_all_earned()
