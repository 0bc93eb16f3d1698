"""Stored content packages and learners' attempts at them.

A package is stored once per organisation by the SHA-256 of its zip: uploading the same zip to
another course (or the next version of a course) reuses it. Items name their package by that
hash in their content, so a course version, its export and its import all refer to the same
bytes. An attempt is one learner's run of one item's unit: the last CMI snapshot the unit
committed, with what lxp read from it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class ContentPackage(db.Model):
    """One uploaded SCORM or cmi5 zip, unpacked under ``<upload dir>/packages/<sha256>/``."""

    __tablename__ = "content_packages"
    __table_args__ = (UniqueConstraint("organisation_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    standard: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)  # of the zip, in bytes
    file_count: Mapped[int] = mapped_column(Integer)
    units: Mapped[list] = mapped_column(JSON, default=list)  # identifier, title, launch, pass_mark, move_on
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PackageAttempt(db.Model):
    """A learner's attempt at one item's unit. ``seq`` orders the commits: one at or below it
    is a replay (or older than what is stored) and changes nothing."""

    __tablename__ = "package_attempts"
    __table_args__ = (UniqueConstraint("learner_id", "item_ref", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_ref: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer, default=1)
    package_sha256: Mapped[str] = mapped_column(String(64))
    standard: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(db.BigInteger, default=0)
    cmi: Mapped[dict] = mapped_column(JSON, default=dict)
    completed: Mapped[bool] = mapped_column(default=False)
    success: Mapped[bool | None] = mapped_column()
    score: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str] = mapped_column(String(1000), default="")
    total_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sessions: Mapped[int] = mapped_column(Integer, default=0)  # terminated sessions
    ended: Mapped[bool] = mapped_column(default=False)  # terminated without suspending: a new launch starts afresh
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PackageStatement(db.Model):
    """A statement a cmi5 AU sent in one of the attempt's sessions, kept as the AU sent it (with
    the id and the time lxp stored it), so the AU can read its registration back. Kept as long
    as the attempt: a learner's erasure deletes both."""

    __tablename__ = "package_statements"
    __table_args__ = (UniqueConstraint("attempt_id", "statement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("package_attempts.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    verb: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict] = mapped_column(JSON)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LearnerPreferences(db.Model):
    """A learner's ``cmi5LearnerPreferences`` agent profile as an AU last wrote it (cmi5 11.0):
    the next launch of any AU reads it back. Without it the AU reads the learner's language."""

    __tablename__ = "package_learner_preferences"

    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
