"""``inserts.insert_unless_present``: a new row unless its key is stored, settled by the database
(``ON CONFLICT DO NOTHING``), on SQLite and PostgreSQL alike; the object then behaves as flushed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Uuid, bindparam, func, insert, select, text

from lxp.completions import Completion
from lxp.core.inserts import insert_unless_present
from lxp.events import LearningEvent
from lxp.extensions import db

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def learner(ctx, make_user):
    return make_user()


def _event(learner: int, event_id: uuid.UUID, verb: str = "completed") -> LearningEvent:
    return LearningEvent(id=event_id, actor_id=learner, verb=verb, object_type="item", object_id="1:a",
                         result=None, context={"journey": 1}, occurred_at=AT, recorded_at=AT)  # fmt: skip


def test_a_new_row_is_stored_and_the_object_behaves_as_flushed(learner):
    event_id = uuid.uuid4()
    event = _event(learner, event_id)
    assert insert_unless_present(event) is True
    assert event in db.session and not db.session.new  # persistent, nothing left to insert
    twin = _event(learner, uuid.uuid4())
    db.session.add(twin)
    db.session.flush()  # the same fields through the ORM's own insert
    raw = text("SELECT verb, CAST(result AS TEXT), CAST(context AS TEXT), occurred_at FROM learning_events "
               "WHERE id = :id").bindparams(bindparam("id", type_=Uuid))  # fmt: skip
    as_stored = [tuple(db.session.execute(raw, {"id": e.id}).one()) for e in (event, twin)]
    assert as_stored[0] == as_stored[1]  # the row is what the ORM would have written (JSON null included)
    event.context = {"journey": 2}  # a later change is an UPDATE of the stored row
    db.session.flush()
    db.session.expire_all()
    assert db.session.get(LearningEvent, event_id).context == {"journey": 2}


def test_a_stored_key_is_left_as_it_is_and_the_object_stays_out(learner):
    event_id = uuid.uuid4()
    db.session.execute(insert(LearningEvent).values(id=event_id, actor_id=learner, verb="passed", object_type="item",
                                                    object_id="1:a", occurred_at=AT, recorded_at=AT))  # fmt: skip
    late = _event(learner, event_id, verb="failed")
    assert insert_unless_present(late) is False
    assert late not in db.session
    db.session.flush()  # nothing pending: no duplicate key error either
    assert db.session.scalar(select(func.count()).select_from(LearningEvent)) == 1
    assert db.session.get(LearningEvent, event_id).verb == "passed"


def test_columns_left_unset_get_their_defaults_and_are_read_back(learner):
    row = Completion(learner_id=learner, object_type="item", object_id="1:a", first_at=AT)
    assert insert_unless_present(row) is True
    # checks and placement were not set: their column defaults went in, and reading them asks the row
    assert (row.checks, row.placement, row.failed_competencies, row.finished_at) == (0, False, None, None)
    raw = db.session.execute(text("SELECT failed_competencies IS NULL FROM completions WHERE learner_id = :a"),
                             {"a": learner}).scalar()  # fmt: skip
    assert raw in (True, 1)  # SQL NULL, as the ORM leaves an unset JSON column, not JSON null
