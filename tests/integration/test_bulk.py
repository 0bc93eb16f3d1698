"""``lxp.core.bulk`` stores what a Core ``insert()`` of the same rows stores (COPY on PostgreSQL),
and a writer that rebuilds the indexes leaves them as they were."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from lxp.core import bulk
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage

AT = datetime(2026, 5, 4, 10, 30, 15, 123456, tzinfo=UTC)


def _events(learner: int, tag: str) -> list[dict]:
    results = (
        {"score": {"scaled": 0.9}, "response": "tab\there, \\ back, 'quote', \"double\", newline\n, ü"},
        None,
        [],
    )
    return [
        {"id": uuid.uuid4(), "actor_id": learner, "verb": "completed", "object_type": "item", "object_id": f"{tag}:{n}",
         "result": result, "context": {"journey": n} if n else None, "occurred_at": AT + timedelta(seconds=n),
         "recorded_at": AT.astimezone(datetime.now().astimezone().tzinfo)}
        for n, result in enumerate(results)
    ]  # fmt: skip


def _stored(tags: tuple[str, ...]) -> dict[str, list]:
    """The rows as the database holds them (JSON as text: JSON null and SQL NULL differ), per tag."""
    rows = db.session.execute(
        text("SELECT object_id, actor_id, verb, CAST(result AS TEXT), CAST(context AS TEXT), occurred_at, recorded_at "
             "FROM learning_events ORDER BY object_id")
    ).all()  # fmt: skip
    return {tag: [(r[0].split(":")[1], *r[1:]) for r in rows if r[0].startswith(f"{tag}:")] for tag in tags}


def test_bulk_rows_are_what_an_insert_stores(ctx, make_user):
    learner = make_user()
    db.session.execute(insert(LearningEvent.__table__), _events(learner, "core"))
    assert bulk.insert_many(LearningEvent.__table__, _events(learner, "many")) == 3
    with bulk.writer(LearningEvent.__table__) as put:
        for row in _events(learner, "streamed"):
            put(row)
    stored = _stored(("core", "many", "streamed"))
    assert len(stored["core"]) == 3
    assert stored["many"] == stored["core"] and stored["streamed"] == stored["core"]


def test_columns_left_out_get_their_defaults(ctx, make_user):
    learner = make_user()
    bulk.insert_many(OutboxMessage.__table__, [{"user_id": learner, "rule": "welcome", "occurrence": "bulk",
                                                "subject": "Hello", "why": "A test.", "due_at": AT, "category": "nudge"}])  # fmt: skip
    row = db.session.execute(
        text("SELECT status, attempts, body, asked_for, created_at FROM outbox_messages WHERE occurrence = 'bulk'")
    ).one()
    assert tuple(row[:4]) == ("pending", 0, "", False) and row[4] is not None


def test_rebuilding_the_indexes_leaves_them_as_they_were(ctx, make_user):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("indexes are rebuilt on PostgreSQL only")
    learner = make_user()
    # PostgreSQL prints a rebuilt partial index's casts differently from the migration's SQL (as
    # after a pg_dump and restore), so the shape is compared, then the text of two rebuilds.
    shape = text(
        "SELECT c.relname, i.indkey::text, i.indisunique, i.indexprs IS NULL, i.indpred IS NULL, am.amname "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "WHERE i.indrelid = 'learning_events'::regclass ORDER BY 1"
    )
    listing = text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'learning_events' ORDER BY 1")
    before = db.session.execute(shape).all()
    definitions = []
    for tag in ("rebuilt", "again"):
        with bulk.writer(LearningEvent.__table__, rebuild_indexes=True) as put:
            for row in _events(learner, tag):
                put(row)
        assert db.session.execute(shape).all() == before
        definitions.append(db.session.execute(listing).all())
    assert definitions[0] == definitions[1] and len(before) == 7
    assert len(_stored(("rebuilt",))["rebuilt"]) == 3
