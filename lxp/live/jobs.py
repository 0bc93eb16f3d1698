"""The live sessions' scheduler jobs (see ``lxp.scheduler``): thin entry points to services."""

from __future__ import annotations

from lxp.live import registration, scheduling


def send_session_updates() -> None:
    """Tell people about session changes once the trainer has stopped editing for a while."""
    scheduling.send_pending_session_updates()


def expire_seat_offers() -> None:
    """Pass seats not confirmed within their claim window on to the next people waiting."""
    registration.expire_claims()
