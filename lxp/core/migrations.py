"""Whether the database's schema is the one this code needs: at the newest migration.

The ``lxp`` CLI group, ``flask lxp check`` and ``/readyz`` ask the same question here, so an
operator reads the same one-line answer wherever they meet it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from lxp.extensions import db

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

# Alembic (with Mako and Pygments, about 11 MB) is imported inside the functions below: a web
# worker needs it only when /readyz is asked, the CLI and the tests when they migrate.

_HEADS = "lxp_migration_heads"
_DIRECTORY = "lxp_migrations_directory"


def init_app(app: Flask, directory: str, *, with_commands: bool) -> None:
    """Where the migrations are; ``with_commands`` also sets Flask-Migrate up (``flask db …`` and
    its ``upgrade()`` and friends), which loads Alembic at once."""
    app.extensions[_DIRECTORY] = directory
    if with_commands:
        from flask_migrate import Migrate  # lazy: see above

        from lxp.extensions import db

        Migrate(app, db, directory=directory, compare_type=True, render_as_batch=True)


@dataclass(frozen=True)
class SchemaState:
    """The migration the database is at (``current``, empty when it has none) and the newest
    ones the code knows (``heads``); ``error`` when the database could not be asked at all."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    error: str | None = None

    @property
    def at_head(self) -> bool:
        return self.error is None and set(self.current) == set(self.heads)

    def problem(self) -> str | None:
        """What is wrong, in one line with what to do; None when the schema is at the head."""
        if self.error is not None:
            return f"the database cannot be reached: {self.error}"
        if not self.current:
            return "the database is not migrated: run flask db upgrade"
        if self.at_head:
            return None
        unknown = set(self.current) - set(_all_revisions())
        if unknown:
            return (f"the database is at migration {', '.join(sorted(unknown))}, which this version of lxp does not "
                    f"know (it ends at {', '.join(self.heads)}): run the newer lxp, or flask db downgrade")  # fmt: skip
        return (f"the database is not migrated to the newest revision (it is at {', '.join(self.current)}, "
                f"lxp needs {', '.join(self.heads)}): run flask db upgrade")  # fmt: skip


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # lazy: see above

    return ScriptDirectory(current_app.extensions[_DIRECTORY])


def _all_revisions() -> set[str]:
    return {script.revision for script in _script().walk_revisions()}


def known_revisions() -> set[str]:
    """Every migration this version of lxp has (a backup from a newer one names another)."""
    return _all_revisions()


def heads() -> tuple[str, ...]:
    """The newest migrations in ``migrations/`` (read once per app: the code does not change)."""
    app = current_app._get_current_object()
    if _HEADS not in app.extensions:
        app.extensions[_HEADS] = tuple(sorted(_script().get_heads()))
    return app.extensions[_HEADS]


def schema_state() -> SchemaState:
    """Ask the database which migration it is at; never raises for a database problem.

    Reads through the session (a test's own connection in the tests), and ends the
    transaction it began, so a long-running command does not hold it open."""
    from alembic.runtime.migration import MigrationContext  # lazy: see above

    began = not db.session().in_transaction()
    try:
        current = MigrationContext.configure(db.session.connection()).get_current_heads()
    except SQLAlchemyError as exc:
        db.session.rollback()
        cause = exc.orig if getattr(exc, "orig", None) is not None else exc
        first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        return SchemaState((), heads(), error=first_line)
    if began:
        db.session.rollback()
    return SchemaState(tuple(sorted(current)), heads())
