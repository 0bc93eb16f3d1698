"""An organisation's SCIM bearer tokens: made and revoked by its admins, shown once, stored as a
SHA-256 (256 random bits: nothing to brute-force), every change in the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.audit import services as audit
from lxp.core.errors import Invalid, NotAllowed
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.scim.models import ScimToken

SECRET_PREFIX = "lxp_scim_"  # noqa: S105  (a marker that lets scanners spot a leaked token)
MAX_ACTIVE = 5
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_admin(admin: User) -> None:
    if not admin.has_role("admin"):
        raise NotAllowed(_l("Only admins manage provisioning tokens."))


def tokens_of(organisation_id: int) -> list[ScimToken]:
    """The organisation's tokens, active ones first, newest first."""
    rows = db.session.scalars(
        select(ScimToken).where(ScimToken.organisation_id == organisation_id)
        .order_by(ScimToken.created_at.desc(), ScimToken.id.desc())
    )  # fmt: skip
    return sorted(rows, key=lambda token: token.revoked_at is not None)


def create_token(admin: User, name: str) -> tuple[ScimToken, str]:
    """A new token of the admin's organisation and its secret (shown once). Raises ``NotAllowed``
    and ``Invalid`` (no or long name, too many active tokens)."""
    _require_admin(admin)
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise Invalid(_l("Give the token a name of at most 80 characters, e.g. “Entra ID”."), field="name")
    active = [token for token in tokens_of(admin.organisation_id) if token.revoked_at is None]
    if len(active) >= MAX_ACTIVE:
        raise Invalid(_l("There are %(count)d active tokens; revoke one first.", count=MAX_ACTIVE), field="name")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(organisation_id=admin.organisation_id, name=name, token_hash=_digest(secret),
                      prefix=secret[: len(SECRET_PREFIX) + 4], created_by_id=admin.id, created_at=utcnow())  # fmt: skip
    db.session.add(token)
    db.session.flush()
    audit.record("scim_token_created", organisation_id=admin.organisation_id, actor_id=admin.id,
                 subject_type="scim_token", subject_id=token.id, details={"name": name, "prefix": token.prefix})  # fmt: skip
    return token, secret


def revoke_token(admin: User, token_id: int) -> ScimToken:
    """Revoke one of the organisation's tokens (again: nothing changes). Raises ``NotAllowed``,
    ``NotFound``."""
    _require_admin(admin)
    token = get_in_organisation(ScimToken, token_id, admin.organisation_id, _l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("scim_token_revoked", organisation_id=admin.organisation_id, actor_id=admin.id,
                     subject_type="scim_token", subject_id=token.id, details={"name": token.name})  # fmt: skip
        db.session.flush()
    return token


def authenticate(secret: str | None) -> ScimToken | None:
    """The active token with this secret, or None. Notes its last use at most once a minute
    (the caller decides whether that may be written)."""
    if not secret or not secret.startswith(SECRET_PREFIX):
        return None
    token = db.session.execute(select(ScimToken).where(ScimToken.token_hash == _digest(secret))).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    return token


def stale_use(token: ScimToken) -> bool:
    """Whether the token's last use is worth stamping again (at most once a minute, so reads do
    not all write)."""
    return token.last_used_at is None or utcnow() - token.last_used_at > LAST_USED_GRANULARITY


def note_use(token: ScimToken) -> None:
    """Stamp the token's last use."""
    token.last_used_at = utcnow()
    db.session.flush()
