"""Who may call the API: the browser session, or a personal access token (``Bearer``).

Every API blueprint is guarded by ``guard(bp, roles, admin=...)``: a signed-in user (401
otherwise), holding one of the roles (403), and, with a token, the scope the method needs
(``read`` for GET/HEAD/OPTIONS, ``write`` for the rest, plus ``admin`` on admin resources).
A browser session's writes still need the CSRF header (``X-CSRFToken``), since the cookie is
sent by the browser on its own; a token is not, so token calls skip CSRF. Ownership rules
live in the services, shared with the pages.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort

from lxp.accounts import api_tokens
from lxp.accounts import services as accounts
from lxp.core import unit_of_work
from lxp.core.auth import BLUEPRINT_ROLES, ROLES
from lxp.extensions import csrf, db, limiter

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def load_user_from_token(req):
    """Flask-Login's request loader: on API addresses, the owner of a valid bearer token."""
    if not req.path.startswith("/api/"):
        return None
    secret = bearer_secret()
    if secret is None:
        return None
    token = api_tokens.authenticate(secret)
    g.api_token = token
    if token is None:
        g.refused_bearer = secret
    return token.user if token is not None else None


DEFAULT_RATE_LIMIT = "600 per minute"


def api_rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def caller_key() -> str:
    secret = bearer_secret()
    if secret:
        return "token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "address:" + (request.remote_addr or "?")


def token_in_use():
    """The token of this request, or None for a browser session."""
    return g.get("api_token")


def _check_request(roles: frozenset[str], admin: bool) -> None:
    if not current_user.is_authenticated:
        abort(401)
    secret = bearer_secret()
    if secret is not None and token_in_use() is None:
        # A session cookie came along with a token: the token decides, so scopes apply.
        token = api_tokens.authenticate(secret)
        if token is None:
            g.refused_bearer = secret
            abort(401, message=_l("This token is not valid or has been revoked."))
        g.api_token = token
        g._login_user = token.user
    if roles and not current_user.has_any_role(roles):
        abort(403)
    token = token_in_use()
    if token is not None:
        needed = ["read" if request.method in SAFE_METHODS else "write"] + (["admin"] if admin else [])
        missing = [scope for scope in needed if not token.allows(scope)]
        if missing:
            abort(403, message=_l("This token lacks the scope %(scopes)s.", scopes=", ".join(missing)))
    elif request.method not in SAFE_METHODS:
        csrf.protect()


def guard(bp, *roles: str, admin: bool = False) -> None:
    """Protect every view of ``bp`` as described above; ``roles`` empty means any signed-in user."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    allowed = frozenset(roles)
    if allowed:
        BLUEPRINT_ROLES[bp.name] = allowed  # the authorization walk reads it
    csrf.exempt(bp)  # checked above, for session writes only
    # One budget per caller across the whole API (a token, or else the address), so a runaway
    # script gets 429s instead of slowing lxp down for everyone.
    limiter.shared_limit(api_rate_limit, scope="api", key_func=caller_key)(bp)

    @bp.before_request
    def _guard():
        _check_request(allowed, admin)


def _record_refused_token(response):
    """A 401 to a call whose bearer token was refused is a failed sign-in (see
    ``accounts.services.record_refused_api_token``). The 401 rolls the request back, so the
    entry is committed in a boundary of its own, after the request's own work is dropped."""
    secret = g.pop("refused_bearer", None)
    if secret is None or response.status_code != 401:
        return response
    db.session.rollback()  # nothing of the refused request is kept (a 401 never commits anyway)
    with unit_of_work.boundary("api: refused token"):
        accounts.record_refused_api_token(secret, request.remote_addr)
    return response


def init_app(app) -> None:
    app.login_manager.request_loader(load_user_from_token)
    app.after_request(_record_refused_token)
