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

A fixed set of words in such a statement (the statuses of an open journey, the verbs of work
done) goes in with ``one_of``, not ``in_``: ``in_`` sends a list parameter that SQLAlchemy writes
out into the SQL text again on every run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import TypeVar

from sqlalchemy import String, func, literal, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

T = TypeVar("T")
_WORD = re.compile(r"[a-z_]+\Z")


def prepared(build: Callable[[], T]) -> Callable[[], T]:
    """``build()`` on the first call, the same statement on every later one. Two threads may
    both build it on a first call at once; either statement is the same, so that is harmless."""
    return cache(build)


def one_of(column, words: Iterable[str]):
    """``column IN ('a', 'b')``, the words written into the statement: for a fixed set known
    when the statement is built (our own statuses and verbs, never a caller's value; only
    lower-case words are taken, so nothing needs quoting)."""
    words = list(words)
    if not words or not all(isinstance(word, str) and _WORD.match(word) for word in words):
        raise ValueError(f"one_of takes lower-case words, not {words!r}")
    return column.in_([literal_column(f"'{word}'") for word in sorted(set(words))])


class _among(FunctionElement):
    """``column IN (query)``; on PostgreSQL ``column = ANY(ARRAY(query))``. See ``among``."""

    # No Boolean type: SQLite (no native booleans) would get ``… IN (…) = 1``, which its planner
    # cannot look up through an index.
    inherit_cache = True
    name = "among"


@compiles(_among)
def _among_anywhere(element, compiler, **kw):
    column, query = list(element.clauses)
    return f"{compiler.process(column, **kw)} IN {compiler.process(query, **kw)}"


@compiles(_among, "postgresql")
def _among_postgresql(element, compiler, **kw):
    column, query = list(element.clauses)
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(query, **kw)})"


def among(column, query):
    """``column IN (query)`` for a ``query`` that depends on nothing outside it (a learner's own
    rows, found through their own index), run first and once on PostgreSQL.

    A plain ``IN`` becomes a semi-join, and PostgreSQL picks which side to start from by its
    statistics: without them (a bulk load not yet ANALYZEd) it started from the other side, so
    Today's "courses on my path" read every journey of every course of the organisation (29,000
    pages, 14 ms, at 10,000 learners). ``ANY(ARRAY(query))`` is an InitPlan: the query runs on its
    own plan, then its few values are looked up, whatever the statistics say. ``query`` is never
    correlated: a table it shares with the enclosing statement stays its own."""
    return _among(column, query.correlate(None).scalar_subquery())


def contains(column, text: str):
    """Whether ``column`` holds ``text`` anywhere, ignoring case: both sides lower-cased by the
    database (Python's ``str.lower`` differs for some letters, such as "İ"), and the text's own
    ``%``, ``_`` and backslashes taken literally (a search for "a_b" finds "a_b", not "axb")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(func.lower(literal(f"%{escaped}%", String)), escape="\\")
