"""Stored files: what was uploaded, by whom, and what it is attached to.

The bytes live on disk under ``LXP_UPLOAD_DIR`` named by ``token`` (random), never by the
name the client sent; the row keeps that name only to offer it back on download.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class StoredFile(db.Model):
    """One uploaded file. ``kind`` and ``attached_id`` name what it belongs to (an evidence
    submission, a coaching message); who may see it is that kind's rule (``services.register_access``)."""

    __tablename__ = "stored_files"
    __table_args__ = (Index("ix_stored_files_attached", "kind", "attached_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the name on disk and in links
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    attached_id: Mapped[int | None] = mapped_column(Integer)  # None: uploaded, not attached yet
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
