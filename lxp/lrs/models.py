"""An organisation's connection to an external Learning Record Store, and how far it got."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.crypto import EncryptedText
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class LrsConnection(db.Model):
    """Where to send statements (endpoint, Basic credentials) and the high-water mark.

    ``sent_until_at``/``sent_until_id`` is the (stored time, id) of the last statement the LRS
    accepted: forwarding resumes after it, so a restart never sends an accepted statement
    again. The password is kept because the LRS needs it back (HTTP Basic): encrypted at rest
    (``core.crypto``), and never shown again on the settings page.
    """

    __tablename__ = "lrs_connections"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(200))
    password: Mapped[str] = mapped_column(EncryptedText)
    enabled: Mapped[bool] = mapped_column(default=True)
    batch_size: Mapped[int] = mapped_column(default=100)
    sent_until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_until_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sent_count: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LrsConflict(db.Model):
    """A statement the LRS already holds in a different form under the same id (it answered
    409). Forwarding records it and goes on; the admin's page lists it. ``differs`` names the
    statement properties that differ (``verb, context``); both versions are kept to compare."""

    __tablename__ = "lrs_conflicts"
    __table_args__ = (UniqueConstraint("organisation_id", "statement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    differs: Mapped[str] = mapped_column(String(200))
    ours: Mapped[str] = mapped_column(Text)
    theirs: Mapped[str] = mapped_column(Text)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
