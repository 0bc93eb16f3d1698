"""An organisation's Ed25519 signing key, made on first use, and its published JWK set.

The private JWK is stored encrypted (``core.crypto.EncryptedText``); the public JWK is what
``/credentials/issuers/<organisation>/jwks.json`` shows, so anyone can check a credential's
signature without a secret. Signing uses joserfc (JWS ``EdDSA``, RFC 8037).
"""

from __future__ import annotations

import json
import secrets
import warnings
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select

from lxp.core import crypto
from lxp.core.time import utcnow
from lxp.credentials.models import SigningKey
from lxp.extensions import db

# RFC 9864 names the fully specified "Ed25519" and deprecates "EdDSA", but wallets and JOSE
# libraries (PyJWT among them) still know only "EdDSA": it is what verifiers can check today.
ALGORITHM = "EdDSA"

# joserfc (with the parts of cryptography it loads, about 11 MB) is imported inside the functions
# below: only issuing and checking credentials need it, not every page a web worker serves.


@contextmanager
def _eddsa():
    """joserfc warns that ``EdDSA`` is deprecated (see ``ALGORITHM``); the choice is deliberate."""
    from joserfc.errors import SecurityWarning  # lazy: see ALGORITHM

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)
        yield


def current_key(organisation_id: int) -> SigningKey:
    """The organisation's signing key in use, made (in the caller's transaction) when it has
    none. Raises ``core.crypto.EncryptionUnavailable`` when no encryption key is configured."""
    key = db.session.scalars(
        select(SigningKey)
        .where(SigningKey.organisation_id == organisation_id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
    ).first()
    if key is not None:
        return key
    return _new_key(organisation_id)


def rotate(organisation_id: int, now: datetime | None = None) -> tuple[SigningKey, list[SigningKey]]:
    """A new key becomes the organisation's current one and the keys in use are retired (they
    stay published, so what they signed keeps verifying). Returns (the new key, those retired).
    Raises ``core.crypto.EncryptionUnavailable`` when no encryption key is configured."""
    if not crypto.available():
        crypto.encrypt("")  # raises EncryptionUnavailable with its own words, before anything changes
    retired = list(db.session.scalars(select(SigningKey).where(
        SigningKey.organisation_id == organisation_id, SigningKey.retired_at.is_(None))))  # fmt: skip
    for key in retired:
        key.retired_at = now or utcnow()
    return _new_key(organisation_id), retired


def _new_key(organisation_id: int) -> SigningKey:
    from joserfc.jwk import OKPKey  # lazy: see ALGORITHM

    kid = f"org{organisation_id}-{secrets.token_hex(8)}"
    pair = OKPKey.generate_key("Ed25519", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
    key = SigningKey(organisation_id=organisation_id, kid=kid, public_jwk=pair.as_dict(private=False),
                     private_jwk=json.dumps(pair.as_dict(private=True)))  # fmt: skip
    db.session.add(key)
    db.session.flush()
    return key


def sign(key: SigningKey, claims: dict, typ: str = "JWT") -> str:
    """The compact JWS of ``claims`` signed with ``key``; the header names the key (``kid``)."""
    from joserfc import jwt  # lazy: see ALGORITHM
    from joserfc.jwk import OKPKey

    private = OKPKey.import_key(json.loads(key.private_jwk))
    with _eddsa():
        return jwt.encode({"alg": ALGORITHM, "typ": typ, "kid": key.kid}, claims, private, algorithms=[ALGORITHM])


def published(organisation_id: int) -> dict:
    """The organisation's JWK set: every key it ever signed with, public halves only."""
    keys = db.session.scalars(
        select(SigningKey).where(SigningKey.organisation_id == organisation_id).order_by(SigningKey.id)
    ).all()
    return {"keys": [key.public_jwk for key in keys]}


def key_by_kid(kid: str) -> SigningKey | None:
    """The key named ``kid``, of any organisation, or None."""
    return db.session.scalars(select(SigningKey).where(SigningKey.kid == kid)).first()


class BadSignature(ValueError):
    """The JWT is malformed, or its signature does not match the key."""


def header_of(token: str) -> dict:
    """The JOSE header of a compact JWS, unverified. Raises ``BadSignature`` when it is malformed."""
    from joserfc.errors import JoseError  # lazy: see ALGORITHM
    from joserfc.jws import extract_compact

    try:
        return dict(extract_compact(token.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeEncodeError) as error:
        raise BadSignature(str(error)) from None


def verified_claims(token: str, public_jwk: dict) -> dict:
    """The claims of ``token`` after checking its signature against ``public_jwk`` (no time
    checks: the caller says "expired" in its own words). Raises ``BadSignature``."""
    from joserfc import jwt  # lazy: see ALGORITHM
    from joserfc.errors import JoseError
    from joserfc.jwk import OKPKey

    try:
        with _eddsa():
            return dict(jwt.decode(token, OKPKey.import_key(public_jwk), algorithms=[ALGORITHM]).claims)
    except (JoseError, ValueError, UnicodeEncodeError) as error:
        raise BadSignature(str(error)) from None
