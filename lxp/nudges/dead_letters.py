"""The outbox's troubles, for admins: dead letters, messages being retried, and messages a
delivery run claimed and never finished. An admin sends a dead letter (or a stuck one) again.

Everything is scoped to the admin's own organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from lxp.accounts.models import User
from lxp.core.errors import NotFound
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage

SHOWN = 200  # rows per list; the counts are exact


@dataclass(frozen=True)
class OutboxTroubles:
    dead: list[OutboxMessage]  # failed: no more tries
    retrying: list[OutboxMessage]  # pending after a failed try
    stuck: list[OutboxMessage]  # claimed by a run whose claim ran out (the next run takes them)
    counts: dict[str, int]
    now: datetime  # messages that expired before it can no longer be sent again


def _of_organisation(admin: User):
    return OutboxMessage.user_id.in_(select(User.id).where(User.organisation_id == admin.organisation_id))


def _stuck(now: datetime):
    return and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)


def _retryable(now: datetime):
    # An expired message (a reminder of a session that has begun) would only be dropped.
    return and_(or_(OutboxMessage.status == "failed", _stuck(now)),
                or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now))  # fmt: skip


def troubles(admin: User, now: datetime | None = None) -> OutboxTroubles:
    """The organisation's dead letters, retrying and stuck messages, the oldest trouble first."""
    now = now or utcnow()
    kinds = {
        "dead": OutboxMessage.status == "failed",
        "retrying": and_(OutboxMessage.status == "pending", OutboxMessage.last_error.is_not(None),
                         OutboxMessage.attempts > 0),
        "stuck": _stuck(now),
    }  # fmt: skip
    found, counts = {}, {}
    for kind, condition in kinds.items():
        found[kind] = list(db.session.execute(
            select(OutboxMessage).where(condition, _of_organisation(admin))
            .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(SHOWN)
        ).scalars())  # fmt: skip
        counts[kind] = len(found[kind]) if len(found[kind]) < SHOWN else db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(condition, _of_organisation(admin)))  # fmt: skip
    return OutboxTroubles(found["dead"], found["retrying"], found["stuck"], counts, now)


def _send_again():
    # A fresh set of tries, due now; the last error stays for the record until it is sent.
    return {"status": "pending", "attempts": 0, "due_at": utcnow(), "claimed_until": None}


def retry_message(admin: User, message_id: int) -> OutboxMessage:
    """Send a dead letter (or a stuck message) again with a fresh set of tries, at the next
    delivery run. Raises ``NotFound`` when the message is not the organisation's, is neither
    dead nor stuck (it was sent or retried meanwhile), or has expired."""
    now = utcnow()
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _retryable(now), _of_organisation(admin))
        .values(**_send_again()), execution_options={"synchronize_session": False}
    ).rowcount  # fmt: skip
    if not changed:
        raise NotFound(_l("This message is no longer waiting to be sent again, or it is too late to send it."))
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def retry_all(admin: User) -> int:
    """Send every dead letter and stuck message of the organisation that has not expired
    again; returns how many."""
    now = utcnow()
    changed = db.session.execute(
        update(OutboxMessage).where(_retryable(now), _of_organisation(admin)).values(**_send_again()),
        execution_options={"synchronize_session": False},
    ).rowcount  # fmt: skip
    db.session.flush()
    return changed
