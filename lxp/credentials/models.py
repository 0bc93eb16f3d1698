"""Credentials: an organisation's signing keys and the Open Badges 3.0 credentials it issued.

A ``SigningKey`` is an Ed25519 key pair per organisation; the private half is stored
encrypted (``core.crypto``), the public half is published as a JWK set. A ``Credential`` is
one signed OpenBadgeCredential for one learner and one goal, kept as the VC-JWT that was
handed out, so what the public page checks is exactly what the learner downloaded.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.crypto import EncryptedText
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class SigningKey(db.Model):
    """An organisation's Ed25519 key. ``kid`` names it in a JWT's header and in the JWK set;
    a retired key stays published, so credentials it signed keep verifying."""

    __tablename__ = "credential_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    private_jwk: Mapped[str] = mapped_column(EncryptedText)  # the JWK's JSON, encrypted at rest
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Credential(db.Model):
    """One issued credential. ``sequence`` counts a learner's credentials for one goal (a
    recertification is the next one), so a second issue of the same one cannot be stored.
    ``status_index`` is its bit in the organisation's revocation status list."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("learner_id", "goal_id", "sequence"),
        UniqueConstraint("organisation_id", "status_index"),
        Index("ix_credentials_organisation_issued", "organisation_id", "issued_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str] = mapped_column(String(16), default="goal")  # goal, assignment
    achievement_name: Mapped[str] = mapped_column(String(200))
    learner_name: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_index: Mapped[int] = mapped_column(Integer)
    kid: Mapped[str] = mapped_column(String(64))
    jwt: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    learner = relationship("User", foreign_keys=[learner_id])
    goal = relationship("Goal")
