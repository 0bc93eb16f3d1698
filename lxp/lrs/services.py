"""Statements out: reading the event log as xAPI statements, and forwarding it to an LRS.

Both read events in xAPI's ``stored`` order, (``recorded_at``, ``id``), which never ties.
Forwarding keeps a high-water mark per organisation (``LrsConnection.sent_until_*``) that moves
only after the LRS accepted a batch, in the same commit, so a restart resumes after the last
accepted statement and an accepted statement is never sent again. Events younger than
``SETTLE`` are left for the next run: a transaction that began earlier may still commit an
event with an earlier ``recorded_at``, and the mark must not pass it.

Delivery is at least once (a crash after the LRS accepted a batch sends it again), which works
because a statement is built the same way every time (``lrs.statements``): the LRS takes a
re-sent statement as the one it holds. When it answers 409 anyway, each statement of the batch
is looked up there (``GET statements?statementId=``): held as ours, it counts as sent; held
differently, it is recorded as a conflict (``LrsConflict``, shown on the admin's page) and
forwarding goes on; not held, it is sent alone.
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
from urllib.parse import quote, unquote, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.core.errors import Invalid, NotFound
from lxp.core.paging import paginate
from lxp.core.time import utcnow
from lxp.events import VERBS, LearningEvent
from lxp.extensions import db
from lxp.lrs import addresses
from lxp.lrs.filters import StatementFilter, matches
from lxp.lrs.models import LrsConflict, LrsConnection
from lxp.lrs.statements import XAPI_VERSION, canonical_json, statement, verb_iri

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


@dataclass(frozen=True)
class Reading:
    """A statements query: the filter, the stored-time bounds, the order and the page size."""

    wanted: StatementFilter = StatementFilter()
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    limit: int = 100


def _rows(organisation_id: int, *, since=None, until=None, after: Position | None = None, ascending=True,
          limit: int = 100, settled_before: datetime | None = None, where=()) -> list[LearningEvent]:  # fmt: skip
    statement_ = (
        select(LearningEvent)
        .join(User, User.id == LearningEvent.actor_id)
        .where(User.organisation_id == organisation_id, *where)
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
    return list(db.session.scalars(statement_))


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def as_statement(event: LearningEvent) -> dict:
    """The xAPI statement of a stored event; the same bytes every time it is built."""
    return statement(event_id=event.id, actor_id=event.actor_id, verb=event.verb, object_type=event.object_type,
                     object_id=event.object_id, result=event.result, context=event.context,
                     occurred_at=event.occurred_at, recorded_at=event.recorded_at, base_url=_base_url())  # fmt: skip


def _our_user(wanted_agent: tuple | None) -> int | None | bool:
    """The user id an agent filter names on this lxp; False when it names no one of ours."""
    if wanted_agent is None:
        return None
    if wanted_agent[0] == "account" and wanted_agent[1] == _base_url().rstrip("/") and wanted_agent[2].isdigit():
        return int(wanted_agent[2])
    return False


def _our_activity(iri: str) -> tuple[str, str] | None:
    prefix = _base_url().rstrip("/") + "/xapi/activities/"
    kind, sep, ident = iri[len(prefix) :].partition("/") if iri.startswith(prefix) else ("", "", "")
    return (unquote(kind), unquote(ident)) if sep else None


def _narrowing(wanted: StatementFilter) -> list | None:
    """SQL conditions that keep every event whose statement may match (or may be a voiding
    statement whose target matches); None when nothing can match."""
    where = []
    voiding = and_(LearningEvent.verb == "voided", LearningEvent.object_type == "event")
    if wanted.verb is not None:
        names = [name for name in VERBS if verb_iri(name) == wanted.verb]
        where.append(or_(LearningEvent.verb.in_(names), voiding))
    user = _our_user(wanted.agent)
    if user is False:
        return None
    if user is not None and not wanted.related_agents:
        where.append(or_(LearningEvent.actor_id == user, voiding))
    if wanted.activity is not None:
        activity = _our_activity(wanted.activity)
        if activity is None:
            return None
        if not wanted.related_activities:
            object_type, object_id = activity
            where.append(or_(and_(LearningEvent.object_type == object_type, LearningEvent.object_id == object_id),
                             voiding))  # fmt: skip
    return where


def _voided_ids(organisation_id: int) -> set[str]:
    """Ids of the organisation's statements that a voiding statement names."""
    return set(db.session.scalars(
        select(LearningEvent.object_id).join(User, User.id == LearningEvent.actor_id)
        .where(User.organisation_id == organisation_id, LearningEvent.verb == "voided",
               LearningEvent.object_type == "event")
    ))  # fmt: skip


def _targets(organisation_id: int, events: list[LearningEvent]) -> dict[str, dict]:
    """The statements the voiding statements among ``events`` name, by id."""
    ids = []
    for event in events:
        if event.verb == "voided" and event.object_type == "event":
            try:
                ids.append(uuid.UUID(event.object_id))
            except ValueError:
                continue
    if not ids:
        return {}
    found = db.session.scalars(
        select(LearningEvent).join(User, User.id == LearningEvent.actor_id)
        .where(User.organisation_id == organisation_id, LearningEvent.id.in_(ids))
    )  # fmt: skip
    return {str(event.id): as_statement(event) for event in found}


def _reader_scope(viewer, whole_organisation: bool) -> list:
    return [] if whole_organisation else [LearningEvent.actor_id == viewer.id]


CHUNK = 200


def statements_page(viewer, reading: Reading, *, whole_organisation: bool, after: Position | None = None
                    ) -> tuple[list[dict], Position | None]:  # fmt: skip
    """The statements ``viewer`` may read that meet ``reading``, in stored order (newest first
    unless ``ascending``), after the position ``after``; voided statements are left out.
    ``whole_organisation`` reads the organisation's (an admin's), otherwise the viewer's own.
    Returns them and the position to continue from (None on the last page)."""
    organisation_id = viewer.organisation_id
    where = _narrowing(reading.wanted)
    if where is None:
        return [], None
    where += _reader_scope(viewer, whole_organisation)
    voided = _voided_ids(organisation_id)
    found: list[tuple[LearningEvent, dict]] = []
    position = after
    while len(found) <= reading.limit:
        rows = _rows(organisation_id, since=reading.since, until=reading.until, after=position,
                     ascending=reading.ascending, limit=CHUNK, where=where)  # fmt: skip
        targets = _targets(organisation_id, rows)
        for event in rows:
            position = Position(event.recorded_at, event.id)
            if str(event.id) in voided:
                continue
            made = as_statement(event)
            if matches(made, reading.wanted, targets.get):
                found.append((event, made))
                if len(found) > reading.limit:
                    break
        if len(rows) < CHUNK:
            break
    more = len(found) > reading.limit
    found = found[: reading.limit]
    last = Position(found[-1][0].recorded_at, found[-1][0].id) if more else None
    return [made for _event, made in found], last


def one_statement(viewer, statement_id: uuid.UUID, *, voided: bool, whole_organisation: bool) -> dict:
    """The statement with this id (``statementId``), or the voided one (``voidedStatementId``).
    Raises ``NotFound`` when there is none the viewer may read, or when it is voided and was
    asked by ``statementId`` (or not voided and asked by ``voidedStatementId``)."""
    rows = _rows(viewer.organisation_id, limit=1,
                 where=[LearningEvent.id == statement_id, *_reader_scope(viewer, whole_organisation)])  # fmt: skip
    if not rows or (str(statement_id) in _voided_ids(viewer.organisation_id)) != voided:
        raise NotFound(_l("There is no such statement, or it is not yours to see."))
    return as_statement(rows[0])


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


def _request(connection: LrsConnection, url: str, *, body: bytes | None = None) -> tuple[int, bytes]:
    credentials = base64.b64encode(f"{connection.username}:{connection.password}".encode()).decode()
    headers = {"X-Experience-API-Version": XAPI_VERSION, "Authorization": f"Basic {credentials}",
               "Accept": "application/json"}  # fmt: skip
    if body is not None:
        headers["Content-Type"] = "application/json"
    # The endpoint is checked to be http(s) when it is saved (``save_connection``), and the
    # opener connects only to addresses it has just checked (``addresses``), redirects included.
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET", headers=headers)  # noqa: S310
    with addresses.opener(_allow_private()).open(request, timeout=HTTP_TIMEOUT) as response:
        return response.status, response.read()


def _sendable(statement_: dict) -> dict:
    return {k: v for k, v in statement_.items() if k != "stored"}  # the LRS sets ``stored``


def _post(connection: LrsConnection, statements: list[dict]) -> None:
    """POST a batch to ``<endpoint>statements``, as the same bytes each time. Raises
    ``OSError`` (any network failure or a non-2xx answer, as ``urllib.error.URLError``/
    ``HTTPError``, a 409 included; an internal address as ``addresses.RefusedAddress`` inside a
    ``URLError``)."""
    body = ("[" + ",".join(canonical_json(_sendable(s)) for s in statements) + "]").encode()
    _request(connection, connection.endpoint + "statements", body=body)


def _held_by_lrs(connection: LrsConnection, statement_id: str) -> dict | None:
    """The statement the LRS holds under ``statement_id`` (``GET statements?statementId=``),
    None when it has none. Some LRSs answer a StatementResult instead of the statement."""
    url = f"{connection.endpoint}statements?statementId={quote(statement_id)}"
    try:
        _status, body = _request(connection, url)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    held = json.loads(body or b"null")
    if isinstance(held, dict) and isinstance(held.get("statements"), list):
        held = next((s for s in held["statements"] if isinstance(s, dict) and s.get("id") == statement_id), None)
    return held if isinstance(held, dict) else None


# What an LRS may set or change in a statement it stores (xAPI 1.0.3, Data 2.3.2 and 2.5):
# not part of the comparison. ``timestamp`` is compared as a moment, not as text.
LRS_SET = frozenset({"stored", "authority", "version"})


def differences(ours: dict, theirs: dict) -> list[str]:
    """The top-level properties in which the LRS's statement differs from ours (empty when the
    LRS holds ours), leaving out what an LRS sets itself."""
    differ = []
    for key in sorted((set(ours) | set(theirs)) - LRS_SET):
        if key == "timestamp" and key in ours and key in theirs:
            try:
                if _moment(ours[key]) == _moment(theirs[key]):
                    continue
            except (TypeError, ValueError):
                pass
        if ours.get(key) != theirs.get(key):
            differ.append(key)
    return differ


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _settle_conflict(connection: LrsConnection, batch: list[dict]) -> list[tuple[dict, dict, list[str]]]:
    """After a 409 on a batch: each statement the LRS lacks is sent alone; one it holds
    already is compared. Returns the statements it holds differently, with theirs and what
    differs. Raises what ``_post`` raises for any other failure."""
    conflicts = []
    for ours in batch:
        theirs = _held_by_lrs(connection, ours["id"])
        if theirs is None:
            try:
                _post(connection, [ours])
                continue
            except urllib.error.HTTPError as error:
                if error.code != 409:
                    raise
            theirs = _held_by_lrs(connection, ours["id"])  # stored by someone else meanwhile
            if theirs is None:
                raise OSError(f"the LRS refuses statement {ours['id']} as a conflict but does not show it")
        differ = differences(_sendable(ours), theirs)
        if differ:
            conflicts.append((ours, theirs, differ))
    return conflicts


def _record_conflicts(organisation_id: int, conflicts: list[tuple[dict, dict, list[str]]]) -> None:
    for ours, theirs, differ in conflicts:
        statement_id = uuid.UUID(ours["id"])
        row = db.session.scalar(select(LrsConflict).where(LrsConflict.organisation_id == organisation_id,
                                                          LrsConflict.statement_id == statement_id))  # fmt: skip
        if row is None:
            row = LrsConflict(organisation_id=organisation_id, statement_id=statement_id)
            db.session.add(row)
        row.differs = ", ".join(differ)[:200]
        row.ours, row.theirs = canonical_json(_sendable(ours)), canonical_json(theirs)
        row.noticed_at = utcnow()
        log.warning("LRS of organisation %s holds statement %s differently (%s)", organisation_id, statement_id,
                    row.differs)  # fmt: skip
    db.session.flush()


CONFLICTS_PER_PAGE = 20


def conflicts_page(organisation_id: int, page: int | None):
    """Page ``page`` of the organisation's statements the LRS holds differently, newest first,
    ``CONFLICTS_PER_PAGE`` a page (each shows both versions whole; a page past the end is the last)."""
    statement = (
        select(LrsConflict).where(LrsConflict.organisation_id == organisation_id)
        .order_by(LrsConflict.noticed_at.desc(), LrsConflict.id.desc())
    )  # fmt: skip
    return paginate(statement, page, CONFLICTS_PER_PAGE)


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
        batch = [as_statement(event) for event in rows]
        last = Position(rows[-1].recorded_at, rows[-1].id) if rows else None
        db.session.rollback()  # end the read before the network call (SQLite holds its lock)
        if not batch:
            break
        conflicts = []
        try:
            try:
                _post(connection, batch)
            except urllib.error.HTTPError as error:
                if error.code != 409:
                    raise
                conflicts = _settle_conflict(connection, batch)
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
        # A statement the LRS holds differently is recorded and passed: it must not stall the rest.
        with unit_of_work.boundary(f"lrs: record batch of organisation {organisation_id}"):
            _record_conflicts(organisation_id, conflicts)
            connection = connection_of(organisation_id)
            connection.sent_until_at, connection.sent_until_id = last.stored, last.id
            connection.sent_count += len(batch) - len(conflicts)
            connection.failures, connection.last_error = 0, None
        sent += len(batch) - len(conflicts)
    with unit_of_work.boundary(f"lrs: release organisation {organisation_id}"):
        connection = connection_of(organisation_id)
        connection.next_attempt_at = None  # release the lease: the next run goes on
    return sent


def forward_all(now: datetime | None = None) -> int:
    """Forward for every organisation with an enabled connection; returns how many statements went."""
    ids = db.session.scalars(select(LrsConnection.organisation_id).where(LrsConnection.enabled.is_(True))).all()
    db.session.rollback()
    return sum(forward_organisation(organisation_id, now) for organisation_id in ids)
