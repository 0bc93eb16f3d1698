"""What each learner has done, kept apart from the event log so that old events can be deleted.

One row per learner and item (or competency) they finished, checked or showed: when they first
did, and the latest check's verdict. ``lxp.events.record`` writes it in the same transaction as
the event (``note``), a voided event refolds its pair from what the log still holds
(``refold``), and migration 0044 filled it from the log. Today and the path decide "done" from
here (``paths.learner_state``), so retention can delete a year-old ``completed`` without
putting the step back on a plan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.inserts import insert_unless_present
from lxp.core.statements import prepared
from lxp.core.time import UTCDateTime
from lxp.extensions import db

CHECKS = ("passed", "failed")  # as ``events.CHECK_VERBS`` (this module sits below events)
FINISHES = ("completed", "passed", "attended")  # ``events.FINISH_VERBS``
ITEM_VERBS = ("completed", "passed", "failed", "attended", "mastered", "waived")  # ``events.STATE_VERBS``


class Completion(db.Model):
    """A learner's standing on one item (``object_type`` "item") or competency ("competency")."""

    __tablename__ = "completions"

    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)  # first finished, checked or shown
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first finished well (``FINISHES``)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a recertification asks "since"
    check_verb: Mapped[str | None] = mapped_column(String(32))  # the latest check: passed / failed
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)  # the latest check's scaled score
    checks: Mapped[int] = mapped_column(Integer, default=0)  # attempts marked (a quiz's limit counts them)
    failed_competencies: Mapped[list | None] = mapped_column(JSON)
    placement: Mapped[bool] = mapped_column(Boolean, default=False)  # shown in the placement check


COLUMNS = tuple(column.name for column in Completion.__table__.columns)
JSON_COLUMNS = frozenset(column.name for column in Completion.__table__.columns if isinstance(column.type, JSON))


class Standing:
    """A ``Completion``'s fields without the ORM's bookkeeping, for folding many at once
    (``events.fill_completions``); ``as_row`` gives what to insert."""

    __slots__ = COLUMNS

    def __init__(self, learner_id: int, object_type: str, object_id: str) -> None:
        for name in COLUMNS:
            setattr(self, name, None)
        self.learner_id, self.object_type, self.object_id = learner_id, object_type, object_id
        self.placement, self.checks = False, 0

    def as_row(self) -> dict[str, Any]:
        """The columns to insert; a JSON column never set is left out, so it is NULL (not JSON
        ``null``), as the ORM leaves an attribute it was never given."""
        return {
            name: getattr(self, name) for name in COLUMNS if not (name in JSON_COLUMNS and getattr(self, name) is None)
        }


def counts(object_type: str, verb: str) -> bool:
    """True when an event of this kind changes what the learner has done (``learner_state``)."""
    return (object_type == "item" and verb in ITEM_VERBS) or (object_type == "competency" and verb == "mastered")


def _scaled(result: dict | None) -> float | None:
    score = (result or {}).get("score")
    value = score.get("scaled") if isinstance(score, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _failed(result: dict | None) -> list[str]:
    extensions = (result or {}).get("extensions")
    found = extensions.get("failed_competencies") if isinstance(extensions, dict) else None
    return sorted(str(c) for c in found) if isinstance(found, list) else []


def fold(row: Completion | Standing, event: Any) -> None:
    """Add one event (anything with verb, occurred_at, result, context) to ``row``."""
    if row.first_at is None or event.occurred_at < row.first_at:
        row.first_at = event.occurred_at
    if (
        event.verb in FINISHES
        and event.object_type == "item"
        and (row.finished_at is None or event.occurred_at < row.finished_at)
    ):
        row.finished_at = event.occurred_at
    if (
        event.verb in FINISHES
        and event.object_type == "item"
        and (row.last_finished_at is None or event.occurred_at > row.last_finished_at)
    ):
        row.last_finished_at = event.occurred_at
    if event.verb in CHECKS and event.object_type == "item":
        row.checks = (row.checks or 0) + 1
    if (
        event.verb in CHECKS
        and event.object_type == "item"
        and (row.check_at is None or event.occurred_at >= row.check_at)
    ):
        row.check_verb, row.check_at = event.verb, event.occurred_at
        row.score, row.failed_competencies = _scaled(event.result), _failed(event.result)
    if event.object_type == "competency" and (event.context or {}).get("placement"):
        row.placement = True


def note(event: Any) -> None:
    """Fold a newly recorded event into its learner's row (flushes; the caller commits). An
    event that changes nothing of ``learner_state`` is ignored; a replay never reaches here."""
    if not counts(event.object_type, event.verb):
        return
    key = (event.actor_id, event.object_type, event.object_id)
    row = db.session.get(Completion, key)
    if row is None:
        row = Completion(learner_id=key[0], object_type=key[1], object_id=key[2], placement=False, checks=0)
        fold(row, event)
        if insert_unless_present(row):
            return
        # The same learner finished the same item in another request at the same moment.
        row = db.session.execute(select(Completion).filter_by(learner_id=key[0], object_type=key[1],
                                                              object_id=key[2])).scalar_one()  # fmt: skip
    fold(row, event)
    db.session.flush()


def refold(learner_id: int, object_type: str, object_id: str, events: list, voided_at: datetime) -> None:
    """Recompute one pair from ``events`` (the log's non-voided events for it) after the event
    of ``voided_at`` was voided.

    What retention already deleted is gone from the log but not from the row's first moment:
    the row keeps its ``first_at`` when it is older than anything the log still held."""
    row = db.session.get(Completion, (learner_id, object_type, object_id))
    if row is None:
        return
    oldest_held = min([voided_at, *(e.occurred_at for e in events)])
    kept_first = row.first_at if row.first_at < oldest_held else None
    if not events and kept_first is None:
        db.session.delete(row)
        db.session.flush()
        return
    kept_finish = row.finished_at if row.finished_at is not None and row.finished_at < oldest_held else None
    row.first_at, row.check_verb, row.check_at, row.score, row.failed_competencies = None, None, None, None, None
    kept_last = (
        row.last_finished_at if row.last_finished_at is not None and row.last_finished_at < oldest_held else None
    )
    row.finished_at = row.last_finished_at = None
    row.placement, row.checks = False, 0
    for event in sorted(events, key=lambda e: (e.occurred_at, e.recorded_at)):
        fold(row, event)
    if kept_first is not None and (row.first_at is None or kept_first < row.first_at):
        row.first_at = kept_first
    if kept_finish is not None and (row.finished_at is None or kept_finish < row.finished_at):
        row.finished_at = kept_finish
    if kept_last is not None and row.last_finished_at is None:
        row.last_finished_at = kept_last
    db.session.flush()


@prepared
def _learner_rows():
    return select(Completion).where(Completion.learner_id == bindparam("learner_id"))


def of(learner_id: int) -> list[Completion]:
    """The learner's rows (one statement)."""
    return list(db.session.scalars(_learner_rows(), {"learner_id": learner_id}))
