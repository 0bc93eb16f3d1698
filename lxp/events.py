"""The learning-event log: the one write path for "something happened".

Every action a person takes is recorded once as an xAPI-shaped statement through
``record(...)``. Recording is idempotent on the event id, so a phone replaying its offline
queue never double-counts; the same id with different content is refused. Events are never
edited: a mistaken one is voided by a later ``voided`` event that names it. What a learner has
done (``lxp.completions``) is written here, with the event, so it outlives the event when
retention deletes it; other projections are written by the caller in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Uuid, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from lxp import completions
from lxp.core import bulk
from lxp.core.errors import Conflict, Invalid
from lxp.core.inserts import insert_unless_present
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


@dataclass(frozen=True)
class Verb:
    name: str
    iri: str


def _adl(name: str) -> Verb:
    return Verb(name, f"http://adlnet.gov/expapi/verbs/{name}")


# The vocabulary is closed so that analytics and rules can rely on it; features add verbs
# here when they start recording something new.
VERBS: dict[str, Verb] = {
    v.name: v
    for v in (
        _adl("registered"),
        _adl("launched"),
        _adl("initialized"),
        _adl("experienced"),
        _adl("progressed"),
        _adl("attempted"),
        _adl("answered"),
        _adl("completed"),
        _adl("passed"),
        _adl("failed"),
        _adl("mastered"),
        _adl("attended"),
        _adl("commented"),
        _adl("asked"),
        _adl("responded"),
        _adl("shared"),
        _adl("suspended"),
        _adl("resumed"),
        _adl("terminated"),
        _adl("voided"),
        # cmi5's LMS statements (lxp/packages/lms.py): a session left without ``terminated``, a
        # learner excused from an AU by an admin, an AU's or a course's ``moveOn`` met.
        _adl("abandoned"),
        _adl("waived"),
        Verb("satisfied", "https://w3id.org/xapi/adl/verbs/satisfied"),
        Verb("logged-in", "https://w3id.org/xapi/adl/verbs/logged-in"),
        Verb("logged-out", "https://w3id.org/xapi/adl/verbs/logged-out"),
        # Live sessions: a learner gives up a place; a trainer changes or cancels a session; a
        # registered learner did not come (absent or excused), so the path offers the next
        # date or the self-paced alternative. ``missed`` has no ADL verb; the IRI is ours.
        Verb("unregistered", "http://id.tincanapi.com/verb/unregistered"),
        Verb("updated", "http://activitystrea.ms/schema/1.0/update"),
        Verb("cancelled", "http://activitystrea.ms/schema/1.0/cancel"),
        Verb("missed", "https://w3id.org/xapi/lxp/verbs/missed"),
        # On-the-job tasks: a learner takes back evidence before their coach reviews it. Not
        # ``voided`` (the submission happened and stays in the history) nor ``suspended`` (that
        # pauses an attempt in progress); Activity Streams' ``retract`` says exactly this.
        Verb("retracted", "http://activitystrea.ms/schema/1.0/retract"),
        # Cohort spaces (lxp/social): a thread started, a reply, a person named in one, a peer's
        # answer the asker said helped, a trainer's endorsement of it. Deleting a post voids them.
        Verb("posted", "http://activitystrea.ms/schema/1.0/post"),
        Verb("replied", "http://id.tincanapi.com/verb/replied"),
        Verb("mentioned", "https://w3id.org/xapi/lxp/verbs/mentioned"),
        Verb("helped", "https://w3id.org/xapi/lxp/verbs/helped"),
        Verb("endorsed", "https://w3id.org/xapi/lxp/verbs/endorsed"),
    )
}

# Named sets of verbs, so that every feature asks the same question the same way.
CHECK_VERBS = ("passed", "failed")  # a check was marked (quiz, on-the-job task review)
FINISH_VERBS = ("completed", "passed", "attended")  # an item is finished and counts as done well
WORK_VERBS = ("completed", "passed", "failed", "attended")  # time spent on an item (the weekly rhythm)
# What the learner's state is derived from; a waived unit counts as done on the path.
STATE_VERBS = (*WORK_VERBS, "mastered", "waived")
SOCIAL_VERBS = ("posted", "replied", "helped", "endorsed")  # activity in a space (social reach)
# Any sign of learning: what inactivity nudges, their escalation and their effect measure.
LEARNING_VERBS = (*WORK_VERBS, "answered", "attempted", "launched")

# Learners whose completions ``fill_completions`` recomputes at once (their ids in one IN list).
FILL_PART = 2000

RESULT_KEYS = frozenset({"score", "success", "completion", "duration", "response", "extensions"})


class LearningEvent(db.Model):
    """One xAPI-shaped statement: actor, verb, object, result, context, when."""

    __tablename__ = "learning_events"
    __table_args__ = (
        Index("ix_learning_events_actor_time", "actor_id", "occurred_at"),
        Index("ix_learning_events_object_verb", "object_type", "object_id", "verb"),
        Index("ix_learning_events_verb_time", "verb", "occurred_at"),
        # xAPI's ``stored`` order: the statements API and forwarding to an LRS page by it.
        Index("ix_learning_events_recorded", "recorded_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verb: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON)
    context: Mapped[dict | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def same_statement(self, other: dict[str, Any]) -> bool:
        """True when ``other`` (the fields of a new ``record`` call) says what this event says."""
        return (
            self.actor_id == other["actor_id"]
            and self.verb == other["verb"]
            and self.object_type == other["object_type"]
            and self.object_id == other["object_id"]
            and (self.result or None) == (other["result"] or None)
            and (self.context or None) == (other["context"] or None)
            and self.occurred_at == other["occurred_at"]
        )


def record(
    *,
    actor_id: int,
    verb: str,
    object_type: str,
    object_id: str | int,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | str | None = None,
) -> LearningEvent:
    """Record one event in the current transaction and return it; the caller commits.

    ``event_id`` may come from the client. Recording an id that is already stored with the
    same content returns the stored event and writes nothing. Raises ``Conflict`` when the id
    is stored with different content, and ``Invalid`` for an unknown verb, a naive or future
    timestamp, an unknown result key or a malformed id.
    """
    if verb not in VERBS:
        raise Invalid(f"unknown verb {verb!r}", field="verb")
    if result and not set(result) <= RESULT_KEYS:
        raise Invalid(f"unknown result keys {sorted(set(result) - RESULT_KEYS)}", field="result")
    now = utcnow()
    occurred_at = occurred_at or now
    if occurred_at.tzinfo is None:
        raise Invalid("occurred_at needs a time zone", field="occurred_at")
    if (occurred_at - now).total_seconds() > 300:  # allow for a phone's clock running fast
        raise Invalid("occurred_at is in the future", field="occurred_at")
    try:
        event_uuid = uuid.UUID(str(event_id)) if event_id is not None else uuid.uuid4()
    except ValueError:
        raise Invalid("event id is not a UUID", field="id") from None

    fields = {
        "actor_id": actor_id,
        "verb": verb,
        "object_type": object_type,
        "object_id": str(object_id),
        "result": result or None,
        "context": context or None,
        # stored precision is microseconds on both databases; compare like with like
        "occurred_at": occurred_at.astimezone(UTC),
    }
    # A new id (ours, or one ``replayed`` just found missing) is not looked up again: should it
    # be stored after all (another request with the same id), the insert below says so.
    fresh = event_id is None or event_uuid in _not_stored(db.session)
    _not_stored(db.session).discard(event_uuid)
    stored = None if fresh else db.session.get(LearningEvent, event_uuid)
    if stored is None:
        event = LearningEvent(id=event_uuid, recorded_at=now, **fields)
        if insert_unless_present(event):
            _keep_completions(event)
            return event
        # Another request stored the same id meanwhile (a phone's replay racing its first send).
        stored = db.session.execute(select(LearningEvent).where(LearningEvent.id == event_uuid)).scalar_one()
    if not stored.same_statement(fields):
        raise Conflict(f"event {event_uuid} was already recorded with different content")
    return stored


def _not_stored(session) -> set[uuid.UUID]:
    """Event ids this session looked up and did not find (a session remembers what it found,
    not what it missed)."""
    return session.info.setdefault("lxp_events_not_stored", set())


def _keep_completions(event: LearningEvent) -> None:
    """The learner's completions follow the new event; a void refolds what it named."""
    if event.verb != "voided":
        completions.note(event)
        return
    try:
        target = db.session.get(LearningEvent, uuid.UUID(event.object_id))
    except ValueError:
        return
    if target is None or not completions.counts(target.object_type, target.verb):
        return
    same = select(LearningEvent).where(
        LearningEvent.actor_id == target.actor_id, LearningEvent.object_type == target.object_type,
        LearningEvent.object_id == target.object_id, LearningEvent.verb != "voided")  # fmt: skip
    rows = db.session.scalars(same).all()
    voided = set(db.session.scalars(select(LearningEvent.object_id).where(
        LearningEvent.verb == "voided", LearningEvent.object_id.in_([str(r.id) for r in rows]))))  # fmt: skip
    held = [r for r in rows if str(r.id) not in voided and completions.counts(r.object_type, r.verb)]
    completions.refold(target.actor_id, target.object_type, target.object_id, held, target.occurred_at)


def fill_completions(learner_ids: list[int]) -> None:
    """Recompute the completions of ``learner_ids`` from the log, for events inserted in bulk
    past ``record`` (generated demo and benchmark histories). Flushes.

    The events are read as plain rows and folded into plain standings, inserted in bulk: a
    population of 100,000 learners has millions of state events, too many for ORM objects."""
    columns = (LearningEvent.id, LearningEvent.actor_id, LearningEvent.verb, LearningEvent.object_type,
               LearningEvent.object_id, LearningEvent.result, LearningEvent.context, LearningEvent.occurred_at)  # fmt: skip
    for start in range(0, len(learner_ids), FILL_PART):
        chunk = learner_ids[start : start + FILL_PART]
        db.session.execute(delete(completions.Completion).where(completions.Completion.learner_id.in_(chunk)))
        voided = set(db.session.scalars(select(LearningEvent.object_id).where(LearningEvent.verb == "voided",
                                                                              LearningEvent.actor_id.in_(chunk))))  # fmt: skip
        rows = db.session.execute(
            select(*columns).where(LearningEvent.actor_id.in_(chunk), LearningEvent.verb.in_(STATE_VERBS),
                                   LearningEvent.object_type.in_(("item", "competency")))
            .order_by(LearningEvent.occurred_at, LearningEvent.recorded_at)
            .execution_options(yield_per=10_000)
        )  # fmt: skip
        found: dict[tuple, completions.Standing] = {}
        for event in rows:
            if (voided and str(event.id) in voided) or not completions.counts(event.object_type, event.verb):
                continue
            key = (event.actor_id, event.object_type, event.object_id)
            row = found.get(key)
            if row is None:
                row = found[key] = completions.Standing(*key)
            completions.fold(row, event)
        bulk.insert_many(completions.Completion.__table__, [row.as_row() for row in found.values()])


def replayed(
    event_id, *, actor_id: int, verb: str | tuple[str, ...], object_type: str, object_id: str
) -> LearningEvent | None:
    """The stored event when ``event_id`` was recorded before for this actor and object.

    A form posted twice, or an offline queue replayed, carries the same id but a later
    timestamp; callers use this to treat it as the same action. Raises ``Conflict`` when the id
    belongs to a different action, and ``Invalid`` for a malformed id.
    """
    if event_id is None:
        return None
    try:
        event_uuid = uuid.UUID(str(event_id))
    except ValueError:
        raise Invalid("event id is not a UUID", field="id") from None
    stored = db.session.get(LearningEvent, event_uuid)
    if stored is None:
        _not_stored(db.session).add(event_uuid)  # so ``record`` does not ask again
        return None
    verbs = (verb,) if isinstance(verb, str) else verb
    if (stored.actor_id, stored.object_type, stored.object_id) != (actor_id, object_type, str(object_id)) or (
        stored.verb not in verbs
    ):
        raise Conflict(f"event {event_id} was already recorded for something else")
    return stored


def void(*, actor_id: int, event_id: uuid.UUID, reason: str | None = None) -> LearningEvent:
    """Void a stored event by recording a ``voided`` event that names it.

    Raises ``Invalid`` when the event does not exist or is itself a voiding event (xAPI
    forbids voiding a voiding statement).
    """
    target = db.session.get(LearningEvent, event_id)
    if target is None:
        raise Invalid(f"no event {event_id} to void", field="event_id")
    if target.verb == "voided":
        raise Invalid("a voiding event cannot be voided", field="event_id")
    return record(
        actor_id=actor_id,
        verb="voided",
        object_type="event",
        object_id=str(event_id),
        context={"reason": reason} if reason else None,
    )
