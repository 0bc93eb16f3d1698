"""Personal access tokens: how programs and phones call the API on a person's behalf.

A token is shown once, when it is made; only the SHA-256 of its secret is stored (the secret
is 256 random bits, so a plain hash is enough; there is nothing to brute-force). A token
carries scopes: ``read`` for GET, ``write`` for changes, ``admin`` for the admin resources
(only for people holding the admin role). The role and ownership rules stay those of the
person: a token never grants more than its owner may do on the pages.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from lxp.accounts.models import User
from lxp.audit import services as audit
from lxp.core import unit_of_work
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.statements import prepared
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

SCOPES = ("read", "write", "admin")
SECRET_PREFIX = "lxp_pat_"  # noqa: S105  (a marker, not a secret: lets scanners spot leaked tokens)
MAX_ACTIVE_TOKENS = 20
# Writing last_used_at on every call would turn each API read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiToken(db.Model):
    """One personal access token; ``prefix`` (the first characters) lets its owner tell it apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(user, scopes) -> list[str]:
    """The scopes in our order. Raises ``Invalid`` (none or unknown) and ``NotAllowed``
    (``admin`` for someone without the admin role)."""
    chosen = [scope for scope in SCOPES if scope in set(scopes)]
    if not chosen or set(scopes) - set(SCOPES):
        raise Invalid(_l("Choose what the token may do: read, write or admin."), field="scopes")
    if "admin" in chosen and not user.has_role("admin"):
        raise NotAllowed(_l("Only admins can make tokens with the admin scope."), field="scopes")
    return chosen


def create_token(user, name: str, scopes) -> NewToken:
    """Make a token for ``user``; the secret in the result is shown once.

    Raises ``Invalid`` (empty or long name, no scope, too many active tokens) and
    ``NotAllowed`` (admin scope without the admin role).
    """
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid(_l("Give the token a name of at most 80 characters, e.g. “My phone”."), field="name")
    chosen = check_scopes(user, scopes)
    active = db.session.scalar(
        select(db.func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise Invalid(_l("You have %(count)d active tokens; revoke one you no longer use first.",
                         count=MAX_ACTIVE_TOKENS), field="name")  # fmt: skip
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[: len(SECRET_PREFIX) + 4],
                     scopes=chosen, created_at=utcnow())  # fmt: skip
    db.session.add(token)
    db.session.flush()
    audit.record("api_token_created", organisation_id=user.organisation_id, actor_id=user.id, subject_type="api_token",
                 subject_id=token.id, details={"name": name, "scopes": chosen, "prefix": token.prefix})  # fmt: skip
    return NewToken(token, secret)


def refused(secret: str) -> ApiToken | None:
    """The token with this secret when lxp no longer accepts it (revoked, or its owner
    deactivated), so a refused call can be counted against its owner; None for a secret that
    never was a token, and for one that is still good."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or (token.revoked_at is None and token.user.active):
        return None
    return token


def tokens_of(user) -> list[ApiToken]:
    """The user's tokens, active first, newest first within each group."""
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return sorted(rows, key=lambda t: not t.active)


def revoke_all(user, keep=()) -> int:
    """Revoke every active token of the user but those whose ids are in ``keep`` (in the
    caller's transaction; no commit); returns how many. A password reset does this: whoever
    took over the account may have made one."""
    kept = {int(token_id) for token_id in keep}
    tokens = [token for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all() if token.id not in kept]  # fmt: skip
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def revoke_token(user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens at once. Raises ``NotFound`` for any
    other token; revoking twice changes nothing."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_l("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token_revoked", organisation_id=user.organisation_id, actor_id=user.id,
                     subject_type="api_token", subject_id=token.id, details={"name": token.name})  # fmt: skip
        db.session.flush()
    return token


@prepared
def _token_with_owner():
    """With the owner, their roles and organisation in the same statement: this runs on every
    API call (built once: see ``core.statements``)."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("token_hash"))
        .options(
            joinedload(ApiToken.user).joinedload(User.role_rows),
            joinedload(ApiToken.user).joinedload(User.organisation),
        )  # fmt: skip
    )


def authenticate(secret: str) -> ApiToken | None:
    """The active token with this secret whose owner may sign in, else None. Notes when it was
    last used (at most once a minute, committed on its own)."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(_token_with_owner(), {"token_hash": _digest(secret)})
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        # A named boundary of its own, not part of the request: the token was used whatever the
        # call then does (a GET is rolled back, so is a refused write), and this runs as the
        # request signs in, before the view has changed anything that could ride along.
        with unit_of_work.boundary("api token: last used"):
            token.last_used_at = now
    return token
