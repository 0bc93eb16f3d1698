"""Statements built once per process and run with bind parameters.

SQLAlchemy spends more Python building a SELECT with joins, loader options and correlated
subqueries than SQLite or PostgreSQL spend running it (Today's weekly line of the spaces: about
nine tenths of its time), and it walks every new statement again to find its compiled form in
the cache. A statement built once and kept is walked once (its cache key is memoized on the
object) and compiled once; each call only binds values. Use it for what runs on most page
views (signing the user in, Today, the path page), with ``bindparam`` for every value that
varies: a value written into the statement would be the first caller's for everyone.

    @prepared
    def _open_journey():
        return select(Journey).where(Journey.learner_id == bindparam("learner_id"))

    db.session.execute(_open_journey(), {"learner_id": learner.id})
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TypeVar

T = TypeVar("T")


def prepared(build: Callable[[], T]) -> Callable[[], T]:
    """``build()`` on the first call, the same statement on every later one. Two threads may
    both build it on a first call at once; either statement is the same, so that is harmless."""
    return cache(build)
