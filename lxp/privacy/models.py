"""An organisation's retention settings, and who has been warned before a retention erasure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class RetentionPolicy(db.Model):
    """How long the organisation keeps what it no longer needs; empty means "keep".

    ``inactive_months``: an account without a sign-in for that long (counted from its creation
    when it never signed in) is warned by e-mail, then erased ``WARNING_DAYS`` later unless the
    person signs in. ``event_months``: learning events older than that are deleted once the
    journey map's rollups hold them; completions and the figures stay (``retention``)."""

    __tablename__ = "retention_policies"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    inactive_months: Mapped[int | None] = mapped_column()
    event_months: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetentionWarning(db.Model):
    """The warning e-mail before a retention erasure; a sign-in after it cancels the erasure."""

    __tablename__ = "retention_warnings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    warned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
