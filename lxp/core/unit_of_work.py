"""Side effects that wait for the commit.

A service registers e-mails and other messages with ``after_commit(callback)``; they run only
once the transaction has committed and are dropped on rollback, so nobody is told about
something that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "lxp_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after ``session``'s current transaction commits; never on rollback."""
    session.info.setdefault(_KEY, []).append(callback)


def install(session_factory) -> None:
    """Attach the commit and rollback listeners to a session class or factory."""

    @event.listens_for(session_factory, "after_commit")
    def _run(session):
        callbacks = session.info.pop(_KEY, [])
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one failed mail must not hide the others or the commit
                log.exception("side effect after commit failed")

    @event.listens_for(session_factory, "after_soft_rollback")
    def _drop(session, previous_transaction):
        if previous_transaction.parent is None:  # only the outermost rollback discards
            session.info.pop(_KEY, None)
