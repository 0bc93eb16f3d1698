"""Statements out: reading the event log as xAPI statements, and forwarding it to an LRS.

Both read events in xAPI's ``stored`` order, (``recorded_at``, ``id``), which never ties.
Forwarding keeps a high-water mark per organisation (``LrsConnection.sent_until_*``) that moves
only after the LRS accepted a batch, in the same commit, so a restart resumes after the last
accepted statement and an accepted statement is never sent again. Events younger than
``SETTLE`` are left for the next run: a transaction that began earlier may still commit an
event with an earlier ``recorded_at``, and the mark must not pass it.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.core.errors import Invalid
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.lrs import addresses
from lxp.lrs.models import LrsConnection
from lxp.lrs.statements import XAPI_VERSION, statement

log = logging.getLogger(__name__)

SETTLE = timedelta(seconds=5)
LEASE = timedelta(minutes=2)  # one forwarder per organisation at a time, even across processes
MAX_BACKOFF = timedelta(hours=1)
BATCHES_PER_RUN = 20
HTTP_TIMEOUT = 10


@dataclass(frozen=True)
class Position:
    """Where a page or the forwarding stands: the last statement's (stored time, id)."""

    stored: datetime
    id: uuid.UUID


def _rows(organisation_id: int, *, since=None, until=None, after: Position | None = None, ascending=True,
          limit: int = 100, settled_before: datetime | None = None):  # fmt: skip
    statement_ = (
        select(LearningEvent, User.display_name)
        .join(User, User.id == LearningEvent.actor_id)
        .where(User.organisation_id == organisation_id)
    )
    if since is not None:
        statement_ = statement_.where(LearningEvent.recorded_at > since)
    if until is not None:
        statement_ = statement_.where(LearningEvent.recorded_at <= until)
    if settled_before is not None:
        statement_ = statement_.where(LearningEvent.recorded_at < settled_before)
    if after is not None:
        beyond = (LearningEvent.recorded_at > after.stored) if ascending else (LearningEvent.recorded_at < after.stored)
        same_time = and_(LearningEvent.recorded_at == after.stored,
                         LearningEvent.id > after.id if ascending else LearningEvent.id < after.id)  # fmt: skip
        statement_ = statement_.where(or_(beyond, same_time))
    order = (LearningEvent.recorded_at, LearningEvent.id)
    statement_ = statement_.order_by(*(order if ascending else (o.desc() for o in order))).limit(limit)
    return db.session.execute(statement_).all()


def _as_statement(event: LearningEvent, name: str | None) -> dict:
    return statement(event_id=event.id, actor_id=event.actor_id, actor_name=name, verb=event.verb,
                     object_type=event.object_type, object_id=event.object_id, result=event.result,
                     context=event.context, occurred_at=event.occurred_at, recorded_at=event.recorded_at,
                     base_url=current_app.config["BASE_URL"])  # fmt: skip


def statements_page(admin, *, since=None, until=None, after: Position | None = None, ascending: bool = False,
                    limit: int = 100) -> tuple[list[dict], Position | None]:  # fmt: skip
    """Statements of the admin's organisation stored after ``since`` and up to ``until``, newest
    first (or oldest first), after the position ``after``; returns them and the position to
    continue from (None on the last page)."""
    rows = _rows(admin.organisation_id, since=since, until=until, after=after, ascending=ascending, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    last = Position(rows[-1][0].recorded_at, rows[-1][0].id) if more else None
    return [_as_statement(event, name) for event, name in rows], last


# --- the connection ------------------------------------------------------------------------


def connection_of(organisation_id: int) -> LrsConnection | None:
    return db.session.get(LrsConnection, organisation_id)


def save_connection(admin, endpoint: str, username: str, password: str | None, enabled: bool,
                    batch_size: int = 100) -> LrsConnection:  # fmt: skip
    """Set where the organisation's statements go. An empty ``password`` keeps the stored one.
    Forwarding starts with the oldest statement not sent yet (all of them, the first time).
    Raises ``Invalid`` (not an http(s) address, no user name, batch size out of 1..500)."""
    endpoint = (endpoint or "").strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(endpoint) > 500:
        raise Invalid(_l("Give the LRS's xAPI endpoint, starting with https://."), field="endpoint")
    _check_host(parts)
    if not endpoint.endswith("/"):
        endpoint += "/"  # xAPI: resources are relative to the endpoint, e.g. <endpoint>statements
    username = (username or "").strip()
    if not username or len(username) > 200:
        raise Invalid(_l("Give the user name (key) the LRS gave you."), field="username")
    if not 1 <= batch_size <= 500:
        raise Invalid(_l("Send between 1 and 500 statements at a time."), field="batch_size")
    connection = connection_of(admin.organisation_id)
    if connection is None:
        if not password:
            raise Invalid(_l("Give the password (secret) the LRS gave you."), field="password")
        connection = LrsConnection(organisation_id=admin.organisation_id, sent_count=0, failures=0)
        db.session.add(connection)
    connection.endpoint, connection.username, connection.enabled = endpoint, username, enabled
    connection.batch_size = batch_size
    if password:
        if len(password) > 500:
            raise Invalid(_l("That password is too long."), field="password")
        connection.password = password
    connection.failures, connection.next_attempt_at, connection.updated_at = 0, None, utcnow()
    db.session.flush()
    return connection


def _allow_private() -> bool:
    return bool(current_app.config["LRS_ALLOW_PRIVATE"])


def _check_host(parts) -> None:
    """Refuse an endpoint whose host is, or now resolves to, an internal address (see
    ``addresses``). A host that does not resolve yet is accepted: forwarding checks again."""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Invalid(_l("Give the LRS's xAPI endpoint, starting with https://."), field="endpoint") from None
    try:
        addresses.resolve(parts.hostname or "", port, allow_private=_allow_private())
    except addresses.RefusedAddress:
        raise Invalid(_l("This address is inside a private network or this server itself; lxp sends statements "
                         "only to public addresses."), field="endpoint") from None  # fmt: skip
    except (OSError, UnicodeError):
        pass


# --- forwarding ------------------------------------------------------------------------------


def _claim(organisation_id: int, now: datetime) -> bool:
    """Take the organisation's forwarding for ``LEASE``; False when another run holds it or a
    retry is not due yet. Committed at once, so no transaction stays open during HTTP."""
    with unit_of_work.boundary(f"lrs: claim organisation {organisation_id}"):
        result = db.session.execute(
            update(LrsConnection)
            .where(LrsConnection.organisation_id == organisation_id, LrsConnection.enabled.is_(True),
                   or_(LrsConnection.next_attempt_at.is_(None), LrsConnection.next_attempt_at <= now))
            .values(next_attempt_at=now + LEASE, last_attempt_at=now)
        )  # fmt: skip
    return result.rowcount == 1


def _post(connection: LrsConnection, statements: list[dict]) -> None:
    """POST a batch to ``<endpoint>statements``. Raises ``OSError`` (any network failure or a
    non-2xx answer, as ``urllib.error.URLError``/``HTTPError``; an internal address as
    ``addresses.RefusedAddress`` inside a ``URLError``)."""
    credentials = base64.b64encode(f"{connection.username}:{connection.password}".encode()).decode()
    body = json.dumps([{k: v for k, v in s.items() if k != "stored"} for s in statements]).encode()
    headers = {"Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION,
               "Authorization": f"Basic {credentials}"}  # fmt: skip
    # The endpoint is checked to be http(s) when it is saved (``save_connection``), and the
    # opener connects only to addresses it has just checked (``addresses``), redirects included.
    request = urllib.request.Request(connection.endpoint + "statements", data=body, method="POST", headers=headers)  # noqa: S310
    with addresses.opener(_allow_private()).open(request, timeout=HTTP_TIMEOUT) as response:
        response.read()


def _backoff(failures: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** min(failures - 1, 10)), MAX_BACKOFF)


def forward_organisation(organisation_id: int, now: datetime | None = None) -> int:
    """Send the organisation's statements the LRS has not accepted yet, in batches; returns
    how many were accepted. A failed batch is noted with its error and tried again after a
    growing pause (30 s, 1 min, 2 min … at most an hour); nothing after it is sent before it."""
    now = now or utcnow()
    if not _claim(organisation_id, now):
        return 0
    sent = 0
    for _ in range(BATCHES_PER_RUN):
        connection = connection_of(organisation_id)
        after = (Position(connection.sent_until_at, connection.sent_until_id)
                 if connection.sent_until_at is not None else None)  # fmt: skip
        rows = _rows(organisation_id, after=after, limit=connection.batch_size, settled_before=now - SETTLE)
        batch = [_as_statement(event, name) for event, name in rows]
        last = Position(rows[-1][0].recorded_at, rows[-1][0].id) if rows else None
        db.session.rollback()  # end the read before the network call (SQLite holds its lock)
        if not batch:
            break
        try:
            _post(connection, batch)
        except (OSError, ValueError, http.client.HTTPException) as error:
            with unit_of_work.boundary(f"lrs: record failure of organisation {organisation_id}"):
                connection = connection_of(organisation_id)
                connection.failures += 1
                connection.last_error = str(error)[:500]
                connection.next_attempt_at = now + _backoff(connection.failures)
            log.warning("LRS of organisation %s refused a batch: %s", organisation_id, error)
            return sent
        # Each accepted batch moves the high-water mark in its own transaction: a crash later
        # never sends it again.
        with unit_of_work.boundary(f"lrs: record batch of organisation {organisation_id}"):
            connection = connection_of(organisation_id)
            connection.sent_until_at, connection.sent_until_id = last.stored, last.id
            connection.sent_count += len(batch)
            connection.failures, connection.last_error = 0, None
        sent += len(batch)
    with unit_of_work.boundary(f"lrs: release organisation {organisation_id}"):
        connection = connection_of(organisation_id)
        connection.next_attempt_at = None  # release the lease: the next run goes on
    return sent


def forward_all(now: datetime | None = None) -> int:
    """Forward for every organisation with an enabled connection; returns how many statements went."""
    ids = db.session.scalars(select(LrsConnection.organisation_id).where(LrsConnection.enabled.is_(True))).all()
    db.session.rollback()
    return sum(forward_organisation(organisation_id, now) for organisation_id in ids)
