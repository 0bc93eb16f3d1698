"""Signed, expiring, single-use links for invitations and password resets.

A token carries the user id and a fingerprint of the user's auth state; setting a password
changes that state, so a used link cannot be used again.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

INVITATION = "invitation"
PASSWORD_RESET = "password-reset"  # noqa: S105 (a token purpose, not a password)


class TokenExpired(Exception):
    """The link was genuine but is too old."""

    def __init__(self, user_id: int | None):
        super().__init__("token expired")
        self.user_id = user_id


class TokenInvalid(Exception):
    """The link was tampered with, is for another purpose, or was already used."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"lxp-{purpose}")


def _fingerprint(user) -> str:
    return f"{user.auth_version}:{(user.password_hash or '')[-12:]}"


def make_token(user, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)})


def max_age(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == INVITATION:
        return timedelta(days=config["INVITATION_DAYS"])
    return timedelta(hours=config["PASSWORD_RESET_HOURS"])


def read_token(token: str, purpose: str, load_user):
    """Return the user the token was made for.

    Raises ``TokenExpired`` (with the user id, so a fresh link can be offered) or
    ``TokenInvalid``.
    """
    serializer = _serializer(purpose)
    try:
        payload = serializer.loads(token, max_age=int(max_age(purpose).total_seconds()))
    except SignatureExpired as exc:
        payload = exc.payload if isinstance(exc.payload, dict) else {}
        raise TokenExpired(payload.get("u")) from None
    except BadSignature:
        raise TokenInvalid() from None
    user = load_user(payload.get("u"))
    if user is None or not user.active or payload.get("f") != _fingerprint(user):
        raise TokenInvalid()
    return user
