"""What both sides of live sessions share: the session's row lock, its registrations, giving
freed seats to the people waiting (the rules are in ``lxp.live.registration``), and re-planning a
learner's path so its live steps follow their sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.extensions import db
from lxp.live import notices
from lxp.live.models import SEAT_HOLDING, LiveSession, Registration
from lxp.paths import services as paths

ACTIVE = ("registered", "offered", "waitlisted")


def locked_session(session_id: int) -> LiveSession | None:
    """The session row, locked until the transaction ends, read afresh."""
    return db.session.execute(
        select(LiveSession).where(LiveSession.id == session_id).with_for_update().execution_options(
            populate_existing=True)
    ).scalar_one_or_none()  # fmt: skip


def registrations_of(session_id: int, statuses=ACTIVE) -> list[Registration]:
    """The session's registrations in ``statuses``, first come first, read afresh."""
    return list(
        db.session.execute(
            select(Registration)
            .where(Registration.session_id == session_id, Registration.status.in_(statuses))
            .order_by(Registration.queued_at, Registration.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def fill_free_seats(session: LiveSession, now: datetime) -> None:
    """Give free seats to the people waiting, first come first served (the session is locked)."""
    if session.cancelled or session.starts_at <= now:
        return
    registrations = registrations_of(session.id)
    taken = sum(1 for r in registrations if r.status in SEAT_HOLDING)
    for waiting in [r for r in registrations if r.status == "waitlisted"]:
        if taken >= session.capacity:
            break
        taken += 1
        waiting.updated_at = now
        if session.claim_hours is None:
            waiting.status = "registered"
            events.record(actor_id=waiting.learner_id, verb="registered", object_type="live_session",
                          object_id=session.id, context={"item": session.ref, "promoted": True})  # fmt: skip
            notices.tell(waiting.learner, "promoted", session)
            replan_learner(waiting.learner)
        else:
            waiting.status = "offered"
            waiting.offer_expires_at = min(now + timedelta(hours=session.claim_hours), session.starts_at)
            notices.tell(waiting.learner, "offered", session, expires_at=waiting.offer_expires_at)


def replan_learner(learner: User) -> None:
    """Re-plan the learner's active journey so live steps follow their sessions."""
    journey = paths.open_journey(learner)
    if journey is not None and journey.status == "active":
        paths.refresh_plan(journey, "a change to their live sessions")
