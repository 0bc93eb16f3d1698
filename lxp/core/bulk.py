"""Many rows into one table at once, for generated populations and backfills (issue 20).

On PostgreSQL the rows go in with ``COPY ... FROM STDIN`` (psycopg 3's ``cursor.copy``),
several times faster than an ``executemany``, which still sends one ``INSERT`` per row. Each
value passes through its column type's bind processor first, so a row holds exactly what an
``insert()`` of the same dict would have stored (UTC timestamps, JSON ``null`` for ``None``);
a Python-side column default fills a column the rows leave out, as ``insert()`` does. Other
databases (SQLite) get a Core ``insert()`` with a list of rows.

``writer`` streams rows as the caller makes them: on PostgreSQL one ``COPY`` stays open, so the
database stores rows on one core while Python makes the next ones on the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import Connection, Table, insert, text
from sqlalchemy.types import JSON

from lxp.extensions import db

BATCH = 20_000  # rows held in memory before an insert where there is no COPY


def insert_many(table: Table, rows: Iterable[dict]) -> int:
    """Insert ``rows`` (dicts) into ``table`` in the caller's transaction; returns how many.
    Rows naming different columns go in as one batch per set of columns, as an ``executemany``
    does. Flushes the session first, so the rows may refer to what it holds. Column defaults
    computed in SQL or by a sequence are left to the database."""
    batches: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        batches.setdefault(tuple(row), []).append(row)
    if not batches:
        return 0
    db.session.flush()
    connection = db.session.connection()
    for batch in batches.values():
        if connection.dialect.name == "postgresql":
            statement, values = _copying(connection, table, batch[0])
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in batch:
                    copy.write_row(values(row))
        else:
            connection.execute(insert(table), batch)
    return sum(len(batch) for batch in batches.values())


@contextmanager
def writer(table: Table, *, rebuild_indexes: bool = False) -> Iterator[Callable[[dict], None]]:
    """A function that inserts one row into ``table`` as ``insert_many`` would; every row names
    the columns the first one names. Nothing else may use the session's connection until the
    block ends (a ``COPY`` holds it on PostgreSQL); the last rows are in when it ends.

    ``rebuild_indexes`` (PostgreSQL): the table's indexes other than its constraints' are
    dropped for the block and built again at its end, from their stored definitions. Building
    an index over sorted rows is much faster than keeping it up row by row, when the block adds
    more rows than the table holds; the table stays locked for others until the commit."""
    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        held: list[dict] = []

        def hold(row: dict) -> None:
            held.append(row)
            if len(held) >= BATCH:
                insert_many(table, held)
                held.clear()

        yield hold
        insert_many(table, held)
        return
    indexes = _secondary_indexes(connection, table) if rebuild_indexes else []
    for name, _ in indexes:
        connection.exec_driver_sql(f"DROP INDEX {connection.dialect.identifier_preparer.quote(name)}")
    with connection.connection.dbapi_connection.cursor() as cursor, ExitStack() as copying:
        copy, values, names = None, None, None

        def put(row: dict) -> None:
            nonlocal copy, values, names
            if copy is None:
                statement, values = _copying(connection, table, row)
                names = tuple(row)
                copy = copying.enter_context(cursor.copy(statement))
            elif tuple(row) != names:
                raise ValueError(f"a row for {table.name} names other columns than the first: {sorted(row)}")
            copy.write_row(values(row))

        yield put
    for _, definition in indexes:
        connection.exec_driver_sql(definition)


def _secondary_indexes(connection: Connection, table: Table) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that no constraint owns."""
    return [
        (row.indexname, row.indexdef)
        for row in connection.execute(
            text("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                 "AND i.tablename = :table AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = "
                 "i.indexname AND c.conrelid = to_regclass(quote_ident(i.tablename))) ORDER BY i.indexname"),
            {"table": table.name},
        )
    ]  # fmt: skip


def _copying(connection: Connection, table: Table, first: dict) -> tuple[str, Callable[[dict], list]]:
    """The ``COPY`` statement for rows naming the columns of ``first``, and the function that
    turns such a row into the values to write (bind processors applied, defaults filled in)."""
    given = list(first)
    defaults = [
        column.default
        for column in table.columns
        if column.name not in first and column.default is not None and (
            column.default.is_scalar or column.default.is_callable)
    ]  # fmt: skip
    names = given + [default.column.name for default in defaults]
    processors = [_processor(connection, table.c[name].type) for name in names]
    quote = connection.dialect.identifier_preparer
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) FROM STDIN"

    given_processors = list(zip(given, processors, strict=False))
    default_processors = list(zip(defaults, processors[len(given) :], strict=True))

    def values(row: dict) -> list:
        out = [row[name] if process is None else process(row[name]) for name, process in given_processors]
        for default, process in default_processors:
            value = default.arg if default.is_scalar else default.arg(None)
            out.append(value if process is None else process(value))
        return out

    return statement, values


def _processor(connection: Connection, column_type) -> Callable | None:
    """The column type's bind processor; for JSON the text itself, as the dialect's serializer
    writes it (psycopg's ``Json`` wrapper would call the same one, a Python-level dump per value)."""
    if isinstance(column_type, JSON) and connection.dialect.name == "postgresql":
        dumps = connection.dialect._json_serializer or json.dumps
        if column_type.none_as_null:
            return lambda value: None if value is None else dumps(value)
        return dumps
    return column_type._cached_bind_processor(connection.dialect)
