"""The learning-event log: one write path, idempotent on the id, never edited."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lxp import events
from lxp.core.errors import Conflict, Invalid
from lxp.events import LearningEvent
from lxp.extensions import db


@pytest.fixture
def learner(ctx, make_user):
    return make_user()


def _count():
    return db.session.scalar(select(func.count()).select_from(LearningEvent))


def _complete(learner, event_id=None, **overrides):
    fields = dict(
        actor_id=learner,
        verb="completed",
        object_type="item",
        object_id=42,
        result={"success": True, "duration": "PT4M30S"},
        context={"device": "phone"},
        occurred_at=datetime(2026, 11, 2, 8, 15, 30, 123456, tzinfo=UTC),
        event_id=event_id,
    )
    return events.record(**{**fields, **overrides})


def test_replaying_the_same_event_stores_it_once(learner):
    event_id = uuid.uuid4()
    _complete(learner, event_id)
    db.session.commit()
    db.session.expunge_all()
    again = _complete(learner, str(event_id))  # a phone replaying its offline queue
    db.session.commit()
    assert again.id == event_id
    assert _count() == 1
    assert again.occurred_at == datetime(2026, 11, 2, 8, 15, 30, 123456, tzinfo=UTC)
    assert again.result == {"success": True, "duration": "PT4M30S"}


def test_same_id_with_different_content_is_a_conflict_and_changes_nothing(learner):
    event_id = uuid.uuid4()
    _complete(learner, event_id)
    db.session.commit()
    with pytest.raises(Conflict):
        _complete(learner, event_id, result={"success": False})
    db.session.rollback()
    stored = db.session.get(LearningEvent, event_id)
    assert stored.result["success"] is True and _count() == 1


def test_times_given_in_another_zone_are_stored_in_utc(learner):
    moscow = datetime(2026, 11, 2, 11, 15, tzinfo=UTC) + timedelta(hours=3)
    event = _complete(learner, None, occurred_at=moscow.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Moscow")))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(LearningEvent, event.id).occurred_at == datetime(2026, 11, 2, 14, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"verb": "liked"}, "verb"),
        ({"result": {"mood": 5}}, "result"),
        ({"occurred_at": datetime(2026, 1, 1)}, "occurred_at"),
        ({"occurred_at": datetime.now(UTC) + timedelta(days=1)}, "occurred_at"),
        ({"event_id": "not-a-uuid"}, "id"),
    ],
)
def test_malformed_events_are_refused(learner, overrides, field):
    with pytest.raises(Invalid) as refused:
        _complete(learner, **overrides)
    assert refused.value.field == field
    db.session.rollback()
    assert _count() == 0


def test_a_mistaken_event_is_voided_not_edited(learner):
    mistaken = _complete(learner, None)
    db.session.commit()
    voiding = events.void(actor_id=learner, event_id=mistaken.id, reason="recorded twice by a bug")
    db.session.commit()
    assert (voiding.verb, voiding.object_type, voiding.object_id) == ("voided", "event", str(mistaken.id))
    assert db.session.get(LearningEvent, mistaken.id).verb == "completed"
    with pytest.raises(Invalid):
        events.void(actor_id=learner, event_id=voiding.id)
    with pytest.raises(Invalid):
        events.void(actor_id=learner, event_id=uuid.uuid4())


def test_record_joins_the_callers_transaction(learner):
    _complete(learner, None)
    db.session.rollback()  # the caller's unit of work failed: the event goes with it
    assert _count() == 0


def test_a_replay_is_recognised_and_a_reused_id_for_something_else_is_refused(learner):
    event = _complete(learner)
    db.session.commit()
    assert events.replayed(event.id, actor_id=learner, verb="completed", object_type="item", object_id="42") == event
    assert events.replayed(uuid.uuid4(), actor_id=learner, verb="completed", object_type="item", object_id="42") is None
    with pytest.raises(Conflict):
        events.replayed(event.id, actor_id=learner, verb="completed", object_type="item", object_id="43")


def test_an_id_stored_by_another_request_after_the_replay_check_is_still_stored_once(learner):
    """``replayed`` finds the id missing and ``record`` then does not ask again; should another
    request have stored it in between (a phone's queue and its retry at once), the insert
    notices, and the statement is kept once, or refused when it says something else."""
    event_id = uuid.uuid4()
    assert events.replayed(event_id, actor_id=learner, verb="completed", object_type="item", object_id=42) is None
    # The other request's row, written past this session's own objects.
    other = {"id": event_id, "actor_id": learner, "verb": "completed", "object_type": "item", "object_id": "42",
             "result": {"success": True, "duration": "PT4M30S"}, "context": {"device": "phone"},
             "occurred_at": datetime(2026, 11, 2, 8, 15, 30, 123456, tzinfo=UTC), "recorded_at": datetime.now(UTC)}  # fmt: skip
    db.session.execute(LearningEvent.__table__.insert(), other)
    assert _complete(learner, event_id).id == event_id
    assert _count() == 1
    with pytest.raises(Conflict):
        _complete(learner, event_id, result={"success": False})
    assert _count() == 1
