"""Inserts that let the database settle a duplicate key: ``INSERT … ON CONFLICT DO NOTHING``.

A write that two requests may make at once (a phone replaying its queue while the first send
is still under way, two tabs) used to be flushed inside a savepoint, so the loser's
``IntegrityError`` undid only that insert. That costs two extra round trips (SAVEPOINT and
RELEASE) and the ORM's flush machinery on every completion; letting the database skip the
duplicate costs nothing extra, and both databases spell it the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from lxp.extensions import db


def dialect_insert(target: Any):
    """``insert(target)`` of the session's database, with its ``on_conflict_…`` methods."""
    make = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return make(target)


def insert_unless_present(obj: Any) -> bool:
    """Insert the new ORM object ``obj`` unless its primary key is stored already. True when this
    inserted it: ``obj`` is then in the session as if flushed (persistent; a later change to it is
    an UPDATE). False when the key was there (another transaction's row, committed or waiting to
    be): ``obj`` stays out of the session, and nothing was written or rolled back.

    The row is what the ORM would insert: the attributes set on ``obj`` (None included), and the
    columns' defaults for the rest. Attributes left unset are read from the database if asked for.
    Set the foreign-key columns themselves: a related object assigned to a relationship is only
    turned into its key by a flush, which this insert does not go through.
    """
    mapper = sa_inspect(obj).mapper
    values = {
        attribute.columns[0]: obj.__dict__[attribute.key]
        for attribute in mapper.column_attrs
        if attribute.key in obj.__dict__
    }
    key = mapper.primary_key
    statement = (
        dialect_insert(mapper.local_table)
        .values(values)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*key)  # the row, when this insert made it
    )
    if db.session.execute(statement).first() is None:
        return False
    make_transient_to_detached(obj)  # a stored row's object: its key is known, nothing is pending
    db.session.add(obj)
    return True
