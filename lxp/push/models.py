"""A browser's push subscription, as ``PushManager.subscribe()`` returns it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

MAX_ENDPOINT_LENGTH = 1000  # push services hand out a few hundred characters


class PushSubscription(db.Model):
    """One browser (one phone) that agreed to receive a person's notifications.

    The endpoint is the push service's address for that browser and is unique: when another
    person subscribes on the same browser, the subscription becomes theirs.
    """

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(MAX_ENDPOINT_LENGTH), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))  # the browser's P-256 public key, base64url
    auth: Mapped[str] = mapped_column(String(50))  # the 16-byte auth secret, base64url
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
