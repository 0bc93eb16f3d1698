"""The end of signing in, and the half-way state between the password and the second step.

After a right password, an account with two-step sign-in is not signed in: the session only
remembers, for ``PENDING_MINUTES``, who gave it (with their auth version, so a password change
or deactivation meanwhile ends it), whether to keep them signed in and where to go next.
``current_user`` stays anonymous until the code is right, so that state opens no page and no
API call.
"""

from __future__ import annotations

from datetime import timedelta

from flask import redirect, session, url_for
from flask_login import login_user

from lxp.accounts import services
from lxp.accounts.models import User
from lxp.core.security import start_session
from lxp.core.time import utcnow
from lxp.core.views import start_page_for

PENDING = "lxp_second_step"
PENDING_MINUTES = 5


def finish(user: User, remember: bool, next_url: str | None):
    """Sign ``user`` in on a fresh session and answer with the redirect to where they go."""
    session.clear()  # a fresh session: nothing from before the login carries over
    login_user(user, remember=remember)
    start_session(remember=remember)
    services.record_login(user)
    return redirect(next_url or start_page_for(user))


def hold_for_code(user: User, remember: bool, next_url: str | None):
    """Remember that ``user`` gave the right password, and send them to the code page."""
    session.clear()
    session[PENDING] = {
        "user": user.get_id(),
        "remember": bool(remember),
        "next": next_url,
        "until": (utcnow() + timedelta(minutes=PENDING_MINUTES)).timestamp(),
    }
    return redirect(url_for("two_step.sign_in_code"))


def pending() -> tuple[User, bool, str | None] | None:
    """(user, remember, next) of a sign-in waiting for its second step, or None when there is
    none, it has expired, or the account changed since (password, deactivation)."""
    data = session.get(PENDING)
    if not isinstance(data, dict) or utcnow().timestamp() > float(data.get("until", 0)):
        return None
    user = services.load_user(str(data.get("user", "")))
    if user is None or not user.two_step_enabled:
        return None
    return user, bool(data.get("remember")), data.get("next")


def forget_pending() -> None:
    session.pop(PENDING, None)
