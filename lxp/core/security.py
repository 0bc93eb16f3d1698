"""Security headers, session time-outs and where the user loader is plugged in."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user, user_loaded_from_cookie
from flask_login.config import COOKIE_NAME

from lxp.core.sessions import QuietSessionInterface
from lxp.core.time import utcnow
from lxp.extensions import login_manager

# No inline script anywhere: pages load static/*.js files only.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

EXPIRES_AT = "lxp_expires_at"


def init_app(app, load_user) -> None:
    """Headers, time-outs and sign-in; ``load_user`` is Flask-Login's loader (accounts owns users)."""
    # here: the scheduler's app (no requests) never loads Talisman
    from lxp.core.security_headers import KeptHeadersTalisman

    https = app.config["HTTPS"]
    app.session_interface = QuietSessionInterface()  # no Set-Cookie on every answer
    # Talisman keeps its settings on the instance, so each app gets its own.
    app.extensions["talisman"] = KeptHeadersTalisman(
        app,
        force_https=https,
        strict_transport_security=https,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "microphone": "()", "camera": "(self)"},
    )

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "accounts.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    user_loaded_from_cookie.connect(_start_session_clock, app)
    app.before_request(enforce_absolute_timeout)


def start_session(remember: bool) -> None:
    """Called at login: fix when this session ends, however active it stays.

    A remembered sign-in lasts REMEMBER_DAYS; any other SESSION_ABSOLUTE_HOURS.
    """
    config = current_app.config
    lifetime = (
        timedelta(days=config["REMEMBER_DAYS"]) if remember else timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    )
    session.permanent = True
    session[EXPIRES_AT] = (utcnow() + lifetime).timestamp()


def _start_session_clock(sender, user=None, **extra) -> None:
    # The remember-me cookie opened a new session; the cookie itself expires on its own.
    start_session(remember=False)


def enforce_absolute_timeout():
    """``before_request``: sign out a session past its fixed end (see ``start_session``)."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    if "_user_id" not in session and remember_cookie not in request.cookies:
        # Nobody is signed in by this browser (a probe, the sign-in page): asking
        # ``current_user`` would build an anonymous user for nothing (~50 µs of a probe's ~460).
        return None
    if not current_user.is_authenticated or g.get("api_token") is not None:
        return None  # a token call has no session to time out
    expires_at = session.get(EXPIRES_AT)
    if expires_at is not None and utcnow().timestamp() < expires_at:
        return None
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    flash(_l("Your session has ended. Please sign in again."), "info")
    return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
