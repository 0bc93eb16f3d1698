"""The signed session cookie, written only when it changed or when its idle clock needs moving.

Flask's cookie session with ``SESSION_REFRESH_EACH_REQUEST`` signs and sends a new cookie on
every response, so each page pays for signing and a ``Set-Cookie`` header and no answer can be
reused. The idle time-out (``PERMANENT_SESSION_LIFETIME``) is checked against the time the
cookie was signed; moving that time once every ``REFRESH_EVERY`` (at most a tenth of the idle
time-out) keeps the time-out exact to within that step, with the cookie left alone in between.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

REFRESH_EVERY = timedelta(seconds=60)


class _Session(SecureCookieSession):
    signed_at: datetime | None = None


class QuietSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session that remembers when its cookie was signed."""

    session_class = _Session

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def save_session(self, app, session, response) -> None:
        # Static files and what the phone sends or fetches in the background neither set nor
        # delete the cookie: their answers may arrive after a newer one (a sign-out, then the
        # sign-in form's CSRF token) and would put an older session back. A queued completion
        # replayed after the session ended is sent to sign in, and the flash that redirect
        # stores would replace the cookie of the sign-in form opened meanwhile.
        if g.get("leave_session_cookie") or request.endpoint == "static" or _in_background():
            return
        super().save_session(app, session, response)

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        if signed_at is None:
            return True
        step = min(REFRESH_EVERY, app.permanent_session_lifetime / 10)
        return datetime.now(UTC) - signed_at >= step


def _in_background() -> bool:
    """Sent by ``static/js/offline.js`` replaying its queue or fetched ahead by ``static/sw.js``."""
    headers = request.headers
    return headers.get("X-LXP-Replay") == "1" or headers.get("X-LXP-Prefetch") == "1"


def leave_session_cookie() -> None:
    """This answer neither sets nor deletes the session cookie, whatever the page touched: for
    what the service worker fetches in the background (its script, the shell list, the offline
    page), whose answer could otherwise replace a cookie the browser got meanwhile (a sign-in
    form's CSRF token) with an older session."""
    g.leave_session_cookie = True
