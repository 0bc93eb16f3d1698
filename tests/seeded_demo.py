"""The demo organisation, seeded once per test process and put back for each test that needs it.

``flask lxp seed-demo`` takes about 24 s (14 of them fitting the risk model), and several
modules and tests start from the demo as it leaves an empty database. ``seeded_demo(app,
smtp_server)`` runs the command the first time and keeps a copy of what it wrote: the rows
of every table (and on PostgreSQL the sequences) and the upload folder. Later calls delete
every row and put the copy back in about a second. The command's output and the mails it sent
are kept with the copy, so a test can still read them.

Where the rows go is where the command would have written them: called from a module fixture
(or a ``real_commits`` test) the demo is committed for real, and the caller keeps it
(``keep_committed_data()``) or leaves it for the next test to empty; called in a rolled-back
test it joins the test's transaction and is rolled back with it.

The demo is made relative to the clock (today's plans, overdue onboarding, last week's
events; ``LXP_TEST_CLOCK`` moves that clock), so a copy is put back only within the half-hour
of UTC it was seeded in (the demo's time zones all change their date on the hour or the half
hour); after that the command runs again. A module so sees the demo it would have seeded
itself, give or take the minutes its own tests take anyway.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, text

from lxp.authoring import competency_names
from lxp.extensions import db
from lxp.files import storage
from lxp.paths import services as paths_services
from tests.conftest import _database, app_session, empty_all_tables


@dataclass(frozen=True)
class SeededDemo:
    output: str  # of ``flask lxp seed-demo`` on an empty database
    messages: list[EmailMessage]  # the mails it sent


@dataclass
class _Copy:
    seeded: SeededDemo
    slot: int  # the half-hour of UTC the demo was seeded in
    files: Path  # a copy of the upload folder as the command left it
    tables: list[tuple[str, str, object]] = field(default_factory=list)  # (table, its columns, its rows)
    sequences: list[tuple[str, int | None]] = field(default_factory=list)  # PostgreSQL's, with their values


_copy: _Copy | None = None


def _half_hour() -> int:
    return int(datetime.now(UTC).timestamp() // 1800)


def seeded_demo(app, smtp_server) -> SeededDemo:
    """Replace every row with the demo as ``flask lxp seed-demo`` loads it into an empty
    database (see the module's docstring); returns the command's output and the mails it sent."""
    global _copy  # noqa: PLW0603  (one copy per test process)
    if _copy is not None and _copy.slot != _half_hour():
        _copy = None
    with app_session(app):
        if _database.bound_connection() is None:  # else a rolled-back test, which must not commit for real
            empty_all_tables()
        if _copy is not None:
            _put_back(_copy)
            return _copy.seeded
        _delete_every_row(db.session.connection())  # what a rolled-back test added
        db.session.commit()
    slot, sent = _half_hour(), len(smtp_server.handler.messages)
    result = app.test_cli_runner().invoke(args=["lxp", "seed-demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    seeded = SeededDemo(result.output, list(smtp_server.handler.messages[sent:]))
    with app_session(app):
        _copy = _take(seeded, slot)
    return seeded


def _delete_every_row(connection: Connection) -> None:
    for table in reversed(db.metadata.sorted_tables):
        connection.execute(table.delete())


def _columns(table) -> str:
    return ", ".join(f'"{column.name}"' for column in table.columns)


def _take(seeded: SeededDemo, slot: int) -> _Copy:
    """Copy every table's rows (as the driver stores them) and the upload folder."""
    files = Path(current_app.instance_path) / "seeded-demo-uploads"  # a folder of this run, as the instance is
    shutil.rmtree(files, ignore_errors=True)
    shutil.copytree(storage.upload_dir(), files)
    copy = _Copy(seeded, slot, files)
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        for table in db.metadata.sorted_tables:
            rows = connection.exec_driver_sql(f'SELECT {_columns(table)} FROM "{table.name}"').fetchall()
            copy.tables.append((table.name, _columns(table), [tuple(row) for row in rows]))
    else:
        with connection.connection.driver_connection.cursor() as cursor:
            for table in db.metadata.sorted_tables:
                with cursor.copy(f'COPY "{table.name}" ({_columns(table)}) TO STDOUT (FORMAT BINARY)') as rows:
                    copy.tables.append((table.name, _columns(table), b"".join(bytes(block) for block in rows)))
        copy.sequences = list(connection.execute(text(
            "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
            "WHERE schemaname = current_schema()")).all())  # fmt: skip
    db.session.rollback()
    return copy


def _put_back(copy: _Copy) -> None:
    """Make the rows and the upload folder what the command left, and commit (for real, or in
    a rolled-back test to its savepoint)."""
    paths_services.forget_frozen_versions()  # the ids are the copy's now
    competency_names.forget()
    shutil.copytree(copy.files, storage.upload_dir(), dirs_exist_ok=True)
    connection = db.session.connection()
    _delete_every_row(connection)
    if connection.dialect.name == "sqlite":
        for table, columns, rows in copy.tables:
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                connection.exec_driver_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)
    else:
        with connection.connection.driver_connection.cursor() as cursor:
            for table, columns, rows in copy.tables:
                with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT BINARY)') as target:
                    target.write(rows)
        for sequence, value in copy.sequences:
            connection.execute(text("SELECT setval(:sequence, :value, :called)"),
                               {"sequence": sequence, "value": value or 1, "called": value is not None})  # fmt: skip
    db.session.commit()
