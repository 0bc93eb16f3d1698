"""Scheduler entry points of accounts (see ``lxp.scheduler``)."""

import logging

from lxp.accounts import sessions

log = logging.getLogger("lxp.accounts")


def prune_sessions() -> None:
    pruned = sessions.prune()
    if pruned:
        log.info("sessions: %d long-ended session rows deleted", pruned)
