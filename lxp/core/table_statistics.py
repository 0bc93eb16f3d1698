"""Fresh planner statistics after a bulk write.

PostgreSQL learns how big its tables are from ``ANALYZE``; autovacuum runs it only after a
share of a table has changed and a while has passed. After a bulk insert (a synthetic
population, a CSV of people) the planner would otherwise keep guessing from the old sizes and
may pick a nested loop over millions of row pairs (issue 20: a 21.8 s journey map). ``ANALYZE``
runs inside the caller's transaction and sees its own uncommitted rows. SQLite needs nothing.
"""

from __future__ import annotations

from lxp.extensions import db


def refresh(*tables: str) -> None:
    """``ANALYZE`` the named tables on PostgreSQL (after a flush); nothing on SQLite.
    The names come from code, never from input."""
    if db.session.get_bind().dialect.name != "postgresql" or not tables:
        return
    db.session.flush()
    for table in tables:
        if not table.replace("_", "").isalnum():
            raise ValueError(f"not a table name: {table!r}")
    db.session.execute(db.text(f"ANALYZE {', '.join(tables)}"))
