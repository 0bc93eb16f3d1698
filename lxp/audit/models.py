"""One row per audited action; rows are only ever added (erasure scrubs a person's e-mail
from the details, nothing else changes them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class AuditEntry(db.Model):
    """Something security- or privacy-relevant that happened in an organisation.

    ``organisation_id`` is empty only for a failed sign-in with an e-mail no account has.
    ``actor_id`` is who acted (empty: the system, e.g. a retention run); ``subject_type`` and
    ``subject_id`` name what it was done to. ``details`` never holds a secret (``services.record``
    drops keys that look like one)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_organisation_at", "organisation_id", "at"),
        Index("ix_audit_entries_actor", "actor_id"),
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(48))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
