"""A person's signed-in browsers: opened at sign-in, checked on every request, listed on the
profile, ended one by one, at sign-out, or all at once.

Every sign-in (``flask_login.login_user`` on an account object that carries no session yet)
opens a ``UserSession`` row whose random id becomes part of the id Flask-Login keeps in the
session and remember-me cookies (``User.get_id``). ``load_user`` refuses a cookie whose row is
ended, belongs to someone else or is gone, so "sign out this one" works on that device at once,
remember-me cookie included. Everything that raises the account's ``auth_version`` (sign-out,
which ends every session, a password change, "sign out everywhere else") ends the rows opened
under an older one too: the list only shows rows of the current version. Re-signing-in the same browser (after a password change) keeps its
row. A sign-in from a browser and system this account was not seen with before is told to the
person by mail (``security_notices``). Cookies from before sessions had rows carry no id: they
keep working until they end and are not listed. Rows unused for ``KEEP_ENDED`` are deleted at
the person's next sign-in and by the hourly job ``accounts.prune_sessions``.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lxp.accounts import security_notices
from lxp.accounts.models import User, UserSession
from lxp.core import unit_of_work
from lxp.core.errors import NotFound
from lxp.core.time import utcnow
from lxp.extensions import db

# Writing last_seen_at on every request would turn each page into a write.
SEEN_EVERY = timedelta(minutes=1)
# Rows of ended or run-out sessions are deleted this long after their last use.
KEEP_ENDED = timedelta(days=90)

_BROWSERS = (("Edg", "Edge"), ("OPR", "Opera"), ("SamsungBrowser", "Samsung Internet"), ("Firefox", "Firefox"),
             ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome", "Chrome"), ("Safari", "Safari"))  # fmt: skip
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Macintosh", "macOS"), ("Linux", "Linux"))  # fmt: skip


def device_of(user_agent: str) -> str:
    """A browser and system name for a User-Agent ("Firefox, Android"), from a fixed list (so the
    text is safe to show and mail); "Unknown browser" when it names none of them."""
    agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if re.search(rf"\b{token}/", agent)), None)
    system = next((name for token, name in _SYSTEMS if token in agent), None)
    if browser is None and system is None:
        return str(_l("Unknown browser"))
    return ", ".join(part for part in (browser, system) if part)


def open_for(user: User, remember: bool) -> UserSession:
    """Open a session row for a sign-in that just happened in this request, and tie it to the
    cookies (``user.session_key``). Mails the person when the device is new to the account."""
    agent = (request.user_agent.string if has_request_context() else "")[:300]
    earlier = db.session.scalars(select(UserSession.user_agent).where(UserSession.user_id == user.id)).all()
    row = UserSession(id=secrets.token_urlsafe(16), user_id=user.id, user_agent=agent, remembered=bool(remember),
                      auth_version=user.auth_version)  # fmt: skip
    db.session.add(row)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, _long_unused()))
    db.session.flush()
    user.session_key = row.id
    device = device_of(agent)
    if earlier and device not in {device_of(a) for a in earlier}:
        security_notices.notify(user, "new_device", device=device)
    return row


def _long_unused():
    # Unused this long, a row has ended or run out whatever its kind (the longest, remember-me,
    # lasts REMEMBER_DAYS); until then it still names a device the person has used.
    return UserSession.last_seen_at < utcnow() - KEEP_ENDED


def prune() -> int:
    """Delete every person's session rows unused for ``KEEP_ENDED`` (ended, signed out or run
    out long ago), for the scheduler; a person who never signs in again keeps none for ever.
    Returns how many went."""
    return db.session.execute(delete(UserSession).where(_long_unused())).rowcount or 0


def on_login(sender, user=None, **extra) -> None:
    """Flask-Login's ``user_logged_in``: a fresh sign-in opens a row; signing the same browser
    in again (its account object came from the cookie, with its key) keeps it."""
    if user is None:
        return
    row = db.session.get(UserSession, user.session_key) if user.session_key else None
    if row is not None:  # the same browser, signed in again under the account's new version
        row.auth_version = user.auth_version
        session["_user_id"] = user.get_id()
        return
    open_for(user, remember=session.get("_remember") == "set")
    session["_user_id"] = user.get_id()  # the remember-me cookie is written from this


def still_open(user: User, row: UserSession | None) -> bool:
    """Whether ``row`` (the session the cookie names, None when there is none) is an open
    session of ``user``; notes its use (at most once a minute, in a boundary of its own: a GET
    writes nothing else)."""
    if row is None or row.user_id != user.id or row.ended_at is not None:
        return False
    now = utcnow()
    if now - row.last_seen_at > SEEN_EVERY:
        with unit_of_work.boundary("session: last seen"):
            row.last_seen_at = now
    user.session_key = row.id
    return True


def _runs_until(row: UserSession):
    config = current_app.config
    if row.remembered:
        return row.created_at + timedelta(days=config["REMEMBER_DAYS"])
    return min(row.created_at + timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
               row.last_seen_at + timedelta(minutes=config["SESSION_IDLE_MINUTES"]))  # fmt: skip


def open_sessions(user: User) -> list[UserSession]:
    """The person's sessions that are neither ended nor run out, the latest used first. A
    session from before the account's last password or two-step change, sign-out everywhere or
    deactivation (an older ``auth_version``) has ended with it."""
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
                                                        UserSession.auth_version == user.auth_version)
                              .order_by(UserSession.last_seen_at.desc(), UserSession.id)).all()  # fmt: skip
    now = utcnow()
    return [row for row in rows if _runs_until(row) > now]


def end(user: User, key: str) -> None:
    """Sign out one of the person's own sessions (its cookies stop working at once). Raises
    ``NotFound`` for a session that is not theirs, or already ended."""
    row = db.session.get(UserSession, key)
    if row is None or row.user_id != user.id or row.ended_at is not None:
        raise NotFound(_l("That session has already ended."))
    row.ended_at = utcnow()
    db.session.flush()
