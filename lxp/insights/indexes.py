"""Indexes that only PostgreSQL has (migration 0015), which the models therefore do not declare.

``include_object`` is Alembic's hook: with it, comparing the models to a PostgreSQL database
does not propose to drop them.
"""

from __future__ import annotations

POSTGRESQL_ONLY_INDEXES = frozenset({"ix_learning_events_station_visits", "ix_learning_events_station_measures"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: everything but the indexes above."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
