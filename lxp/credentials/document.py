"""The credential documents, built from plain data: no database, no Flask.

- ``open_badge``: an Open Badges 3.0 ``OpenBadgeCredential`` (W3C Verifiable Credentials
  Data Model 2.0: ``validFrom``/``validUntil``, with ``issuanceDate``/``expirationDate``
  beside them for verifiers on the 3.0.0/3.0.1 schema) whose achievement's criteria are the
  course concept's outcomes, with its ``credentialStatus`` pointing at the issuer's
  revocation list;
- ``jwt_claims``: the VC-JWT claims around it, as Open Badges 3.0 section 8.2 describes
  (``iss``, ``sub``, ``jti``, ``nbf``, ``iat``, ``exp`` and the credential under ``vc``);
- ``encode_status_list`` / ``bit_is_set``: a W3C Bitstring Status List (GZIP, then multibase
  base64url without padding; bit 0 is the first byte's most significant bit).
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from datetime import UTC, datetime

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
# The W3C recommendation's minimum: 16 KB of bits, so one revocation tells little about whom.
STATUS_LIST_BITS = 131_072


@dataclass(frozen=True)
class Issuer:
    id: str  # the issuer's profile address
    name: str
    url: str


@dataclass(frozen=True)
class Achievement:
    id: str
    name: str
    description: str
    outcomes: tuple[str, ...]  # can-do statements: the criteria
    competencies: tuple[tuple[str, str], ...] = ()  # (code, name) the learner showed


@dataclass(frozen=True)
class Award:
    credential_id: str  # urn:uuid:…
    learner_id: str  # an address naming the learner at the issuer, e.g. …/learners/<uuid>
    learner_name: str
    issued_at: datetime
    valid_until: datetime | None
    status_list: str  # the status list credential's address
    status_index: int


def timestamp(moment: datetime) -> str:
    """An XML Schema dateTime in UTC with a ``Z``, whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def criteria_narrative(outcomes: tuple[str, ...]) -> str:
    """The criteria as Markdown: what the learner showed they can do, one outcome a line."""
    if not outcomes:
        return "Showed every competency the goal asks for."
    return "Showed they can:\n\n" + "\n".join(f"- {statement}" for statement in outcomes)


def open_badge(issuer: Issuer, achievement: Achievement, award: Award) -> dict:
    """The OpenBadgeCredential for ``award`` of ``achievement`` by ``issuer``."""
    subject = {
        "id": award.learner_id,
        "type": ["AchievementSubject"],
        "name": award.learner_name,
        # Open Badges 3.0 names the earner through an IdentityObject; "name" above is for wallets.
        "identifier": [{"type": "IdentityObject", "identityHash": award.learner_name, "identityType": "name",
                        "hashed": False}],
        "achievement": {
            "id": achievement.id,
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": achievement.name,
            "description": achievement.description or achievement.name,
            "criteria": {"narrative": criteria_narrative(achievement.outcomes)},
            **({"alignment": [{"type": ["Alignment"], "targetName": name, "targetCode": code,
                               "targetUrl": f"{achievement.id}#{code}", "targetType": "ceasn:Competency"}
                              for code, name in achievement.competencies]} if achievement.competencies else {}),
        },
    }  # fmt: skip
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url},
        "validFrom": timestamp(award.issued_at),
        # The 3.0.0/3.0.1 schema (still what many wallets check) asks for the VC 1.1 names too.
        "issuanceDate": timestamp(award.issued_at),
        "awardedDate": timestamp(award.issued_at),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": {
            "id": f"{award.status_list}#{award.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(award.status_index),
            "statusListCredential": award.status_list,
        },
    }
    if award.valid_until is not None:
        credential["validUntil"] = credential["expirationDate"] = timestamp(award.valid_until)
    return credential


def jwt_claims(credential: dict, issued_at: datetime, valid_until: datetime | None) -> dict:
    """The VC-JWT payload: the registered claims mirror the credential's own fields."""
    claims = {
        "iss": credential["issuer"]["id"],
        "sub": credential["credentialSubject"]["id"],
        "jti": credential["id"],
        "nbf": int(issued_at.timestamp()),
        "iat": int(issued_at.timestamp()),
        "vc": credential,
    }
    if valid_until is not None:
        claims["exp"] = int(valid_until.timestamp())
    return claims


def status_list_credential(issuer: Issuer, list_id: str, encoded: str, now: datetime) -> dict:
    """The BitstringStatusListCredential the issuer publishes for revocation."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.id,
        "validFrom": timestamp(now),
        "credentialSubject": {"id": f"{list_id}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded},
    }  # fmt: skip


def encode_status_list(revoked: set[int] | frozenset[int], size: int = STATUS_LIST_BITS) -> str:
    """The ``encodedList`` with the bits of ``revoked`` set. Raises ``ValueError`` for an index
    outside the list."""
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list always gives the same bytes
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def bit_is_set(encoded: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` is set. Raises ``ValueError`` for a list
    that is not multibase base64url GZIP, or an index outside it."""
    if not encoded.startswith("u"):
        raise ValueError("the list is not multibase base64url")
    raw = encoded[1:]
    try:
        bits = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"the list does not decode: {error}") from None
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
