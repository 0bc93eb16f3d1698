"""Word that a person joined or changed, for features that sit above accounts.

Accounts, SCIM and company sign-in make people and change their roles, cohorts and
departments; assignments (which build on paths) must hear of it to hand out the work everyone
of a unit, cohort or role is asked to do. Those lower layers cannot import them, so they call
``person_changed(user)`` here and the features listen (``listen``). Listeners run in the same
transaction; they flush, never commit, and their errors are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable] = []


def listen(listener: Callable) -> Callable:
    """Call ``listener(user, details)`` whenever a person is made or changed; returns it (a
    decorator). ``details`` is a dict: ``department`` (a directory's department name) and
    ``manager`` (a directory's id of the line manager), when the caller knows them. Registering
    the same function twice keeps one."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def person_changed(user, **details) -> None:
    """Tell the listeners that ``user`` was made or changed (flushes first, so they see it)."""
    from lxp.extensions import db

    db.session.flush()
    for listener in list(_listeners):
        listener(user, details)
