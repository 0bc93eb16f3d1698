"""The unit of work: the one place where a transaction ends.

Services change the session and ``flush()`` when they need ids; they never commit. The
transaction ends here:

- **request**: a safe method (GET, HEAD, OPTIONS) never writes: its transaction is rolled
  back at the end (or, when it only read, committed: the same for the database, and it keeps
  PostgreSQL's prepared statements; see ``_end_read_only``). Any other method commits when
  the view answered with a status below 400 and the request was not marked ``refused()``;
  otherwise, and on any exception, it is rolled back. A view that catches a ``ServiceError`` and still answers 2xx/3xx (a flash and a
  redirect, a form shown again) marks the request refused through ``show_form_error`` or
  ``flash_refusal``, so nothing the service flushed before refusing is kept.
- **scheduler job**: ``scheduler.run_job`` runs the job in ``boundary("job …")``.
- **CLI command**: ``commit_per_command`` wraps every ``flask lxp …`` command in one boundary.
- **named boundaries**: ``with boundary("outbox: claim"):`` commits at the end of the block
  and rolls back (logging the name) on an exception, for the few places that truly need
  several transactions (outbox claim then record, LRS forwarding, the planning tick, demo
  seeding, an API token's last use).

Side effects wait for the commit: a service registers e-mails and other messages with
``after_commit(session, callback)``; they run once the transaction has committed and are
dropped on rollback, so nobody is told about something that did not happen.

With ``UNIT_OF_WORK_GUARD`` (on under ``TESTING``) mistakes fail loudly: a commit made by
code in ``lxp/`` outside this module raises ``UnitOfWorkViolation`` naming the caller, and a
GET or HEAD request that wrote anything outside a boundary ends in a 500 naming the endpoint.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, current_app, flash, has_app_context, has_request_context, request
from flask.cli import with_appcontext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lxp.extensions import db

log = logging.getLogger(__name__)
_KEY = "lxp_after_commit"
_COMMITTING = "lxp_uow_committing"  # set while this module commits, so the guard lets it through
_DEPTH = "lxp_uow_boundaries"  # how many named boundaries the session is inside
_REQUEST = "lxp.unit_of_work"  # the request's state, in the WSGI environ
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UnitOfWorkViolation(RuntimeError):
    """A transaction was ended outside the unit of work, or a safe request wrote (guard on)."""


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after ``session``'s current transaction commits; never on rollback."""
    session.info.setdefault(_KEY, []).append(callback)


def _session() -> Session:
    return db.session()


def commit(*, expire: bool = True) -> None:
    """Commit the current session's transaction now (and run its after-commit side effects).
    ``expire=False`` keeps what the session loaded as it is instead of marking every object to
    be read again (for a transaction that wrote nothing: what was read is what is stored).

    The public way for tests and the boundaries below; application code uses a request, a
    job, a command or ``boundary`` instead (the guard and ``tests/unit/test_commits.py`` check)."""
    session = _session()
    session.info[_COMMITTING] = True
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = expire and expire_on_commit
    try:
        session.commit()
    finally:
        session.info.pop(_COMMITTING, None)
        session.expire_on_commit = expire_on_commit


def rollback() -> None:
    """Roll the current session's transaction back (its side effects are dropped)."""
    _session().rollback()


@contextmanager
def boundary(name: str) -> Iterator[None]:
    """A named transaction: commits at the end of the block, rolls back on an exception
    (logged with ``name``) and re-raises it. Nested in a request or job, it also commits what
    the outer unit did before it: use it where that is meant (a claim that must be visible
    to other processes before the slow part, one message recorded at a time)."""
    session = _session()
    session.info[_DEPTH] = session.info.get(_DEPTH, 0) + 1
    try:
        yield
        commit()
    except BaseException as error:
        rollback()
        log.warning("unit of work %r rolled back: %s: %s", name, type(error).__name__, error)
        raise
    finally:
        session.info[_DEPTH] -= 1


@dataclass
class _RequestState:
    refused: bool = False
    writes: list[str] = field(default_factory=list)  # what a safe request tried to write
    ended: bool = False
    may_have_written: bool = False  # SQL that may write went out (raw SQL, a boundary's write)


def _request_state() -> _RequestState | None:
    if not has_request_context():
        return None
    return request.environ.get(_REQUEST)


def refused() -> None:
    """Mark the current request as refused: its transaction is rolled back although the view
    answers 2xx/3xx (a refusal shown on a form or in a flash). Outside a request, nothing."""
    state = _request_state()
    if state is not None:
        state.refused = True


def flash_refusal(error) -> None:
    """Show a service's refusal (a ``ServiceError``) as an error flash and mark the request
    refused, so nothing it flushed before refusing is committed."""
    refused()
    flash(str(error.message), "error")


def commit_per_command(group) -> None:
    """Wrap every command under the click ``group`` (recursively) in one boundary named
    after it: one commit when the command succeeds, none when it fails. Safe to call again."""
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):
            commit_per_command(command)
        elif command.callback is not None and not getattr(command.callback, "_lxp_unit_of_work", False):
            command.callback = _in_boundary(f"command {group.name} {name}", command.callback)


def _in_boundary(name: str, callback: Callable) -> Callable:
    @functools.wraps(callback)
    def run(*args, **kwargs):
        with boundary(name):
            return callback(*args, **kwargs)

    wrapped = with_appcontext(run)  # the boundary needs the app (and its session) first
    wrapped._lxp_unit_of_work = True
    return wrapped


def _guard_on() -> bool:
    return has_app_context() and bool(current_app.config.get("UNIT_OF_WORK_GUARD"))


def _caller_outside() -> str | None:
    """The closest frame calling into SQLAlchemy, as ``lxp/…:line in function`` when it is
    application code other than this module; None for this module, tests and tools."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("sqlalchemy", "flask_sqlalchemy")):
            if module == __name__ or not module.startswith("lxp"):
                return None
            code = frame.f_code
            return f"{module} ({code.co_filename}:{frame.f_lineno} in {code.co_name})"
        frame = frame.f_back
    return None


def _note_write(session: Session, what: Callable[[], str]) -> None:
    state = _request_state()
    if state is None or request.method not in SAFE_METHODS or session.info.get(_DEPTH, 0):
        return
    state.writes.append(what())


def install(session_factory) -> None:
    """Attach the commit, rollback and guard listeners to a session class or factory (once)."""
    if getattr(session_factory, "_lxp_unit_of_work", False):
        return
    session_factory._lxp_unit_of_work = True

    @event.listens_for(session_factory, "after_commit")
    def _run(session):
        callbacks = session.info.pop(_KEY, [])
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one failed mail must not hide the others or the commit
                log.exception("side effect after commit failed")

    @event.listens_for(session_factory, "after_soft_rollback")
    def _drop(session, previous_transaction):
        if previous_transaction.parent is None:  # only the outermost rollback discards
            session.info.pop(_KEY, None)

    @event.listens_for(session_factory, "before_commit")
    def _only_here(session):
        # A savepoint's release (``begin_nested``) fires this too: it ends no transaction.
        if session.info.get(_COMMITTING) or session.in_nested_transaction() or not _guard_on():
            return
        caller = _caller_outside()
        if caller is not None:
            raise UnitOfWorkViolation(
                f"{caller} committed: only lxp.core.unit_of_work ends a transaction "
                "(the request, the job, the command or unit_of_work.boundary do it)"
            )

    @event.listens_for(session_factory, "before_flush")
    def _flushing(session, flush_context, instances):
        changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
        if changed:
            _note_write(session, lambda: "flush of " + ", ".join(sorted({type(o).__name__ for o in changed})))

    @event.listens_for(session_factory, "do_orm_execute")
    def _executing(orm_execute_state):
        state = orm_execute_state
        if state.is_insert or state.is_update or state.is_delete:
            kind = "insert into" if state.is_insert else "update of" if state.is_update else "delete from"
            table = getattr(getattr(state.statement, "table", None), "name", "?")
            _note_write(state.session, lambda: f"{kind} {table}")


def init_app(app: Flask) -> None:
    """End every request's transaction as the module's docstring says."""
    if app.config.get("UNIT_OF_WORK_GUARD") is None:
        app.config["UNIT_OF_WORK_GUARD"] = bool(app.config.get("TESTING"))
    app.before_request(_begin_request)
    app.after_request(_end_request)
    app.teardown_request(_teardown_request)


def _begin_request() -> None:
    request.environ[_REQUEST] = _RequestState()


def _has_session() -> bool:
    return db.session.registry.has()


def _end_request(response):
    state = _request_state()
    if state is None or state.ended:
        if _has_session():
            rollback()
        return response
    state.ended = True
    if not _has_session():
        return response
    if request.method in SAFE_METHODS:
        _end_read_only()
        if state.writes:
            log.error("%s %s (%s) wrote and was rolled back: %s", request.method, request.path, request.endpoint,
                      "; ".join(state.writes))  # fmt: skip
            if current_app.config.get("UNIT_OF_WORK_GUARD"):
                raise UnitOfWorkViolation(
                    f"{request.method} {request.endpoint} wrote ({'; '.join(state.writes)}): reads never write"
                )
    elif response.status_code < 400 and not state.refused:
        commit()  # a failure here raises: the answer becomes a 500 and nothing is kept
    else:
        rollback()
    return response


def _end_read_only() -> None:
    """End a safe request's transaction. When it only read (no statement that may write went out,
    nothing pending in the session, no side effect waiting), COMMIT ends it as ROLLBACK would
    but keeps the connection's prepared statements: psycopg forgets them on every ROLLBACK,
    so with every GET rolled back PostgreSQL parsed and planned each statement of each page
    again (more than half its CPU for Today). Anything else is rolled back, so a GET never
    keeps what it wrote. Nothing is expired at that commit: nothing was written, and walking
    every object the page loaded to mark it stale was a few per cent of a page's time."""
    session = _session()
    state = _request_state()
    wrote = state is None or bool(state.writes) or state.may_have_written
    pending = session.new or session.deleted or session.dirty
    if wrote or pending or not session.in_transaction() or session.info.get(_KEY):
        rollback()
        return
    commit(expire=False)


# Statements that change no data: reads, SQLite's BEGIN IMMEDIATE opening each transaction, and
# the savepoints of ``begin_nested`` (and of the tests' sessions joining an outer transaction).
_WRITE_NOTHING = ("SELECT", "BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _note_statement(conn, cursor, statement: str, parameters, context, executemany) -> None:
    if not statement.startswith(_WRITE_NOTHING):
        state = _request_state()
        if state is not None:
            state.may_have_written = True


if not event.contains(Engine, "before_cursor_execute", _note_statement):
    event.listen(Engine, "before_cursor_execute", _note_statement)


def _teardown_request(error: BaseException | None) -> None:
    state = _request_state()
    if (state is None or not state.ended or error is not None) and _has_session():
        rollback()
