"""The in-app channel: messages kept in the learner's inbox on lxp itself.

Always on (a learner can turn e-mail or push off, never the inbox), so every touchpoint has
somewhere to land. Each message says why it was sent. A message with a ``key`` is stored
once: sending it again (a retried job, a second scheduler) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, bindparam, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from lxp.channels import Channel, register
from lxp.core.paging import beyond, paginate
from lxp.core.statements import prepared
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

CATEGORIES = ("reminder", "nudge", "digest", "celebration", "review", "reply")


class InAppMessage(db.Model):
    __tablename__ = "in_app_messages"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_in_app_messages_user_key"),
        Index("ix_in_app_messages_user_unread", "user_id", "read_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(120))  # makes a resend harmless
    category: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    link: Mapped[str | None] = mapped_column(String(500))  # a path on lxp
    why: Mapped[str] = mapped_column(String(300), default="")  # "you asked for help on …"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class InAppNote:
    user_id: int
    category: str
    subject: str
    body: str = ""
    link: str | None = None
    why: str = ""
    key: str | None = None


@register
class InAppChannel(Channel):
    name, label, sent_label, order = "in_app", _l("Inbox on lxp"), _l("Inbox only"), 10
    message_type = InAppNote
    inbox = True
    # Stored in the database transaction; the outbox keeps an inbox copy of every message it
    # sends anyway, so sending "in the app" needs nothing more.
    remote = False

    def send(self, message: InAppNote) -> None:
        """Store the message in the current transaction (the caller commits); once per key."""
        post_many([message])


def post(message: InAppNote) -> None:
    """Put a message in the inbox, in the current transaction."""
    InAppChannel().send(message)


def post_many(messages: list[InAppNote]) -> int:
    """Put messages in the inbox in the current transaction, each key once (one query finds
    the keys already there, however many messages); returns how many were added. Raises
    ``ValueError`` for an unknown category, before anything is added."""
    for message in messages:
        if message.category not in CATEGORIES:
            raise ValueError(f"unknown category {message.category!r}")
    keyed = [m for m in messages if m.key is not None]
    seen = set()
    if keyed:
        seen = {(user_id, key) for user_id, key in db.session.execute(
            select(InAppMessage.user_id, InAppMessage.key)
            .where(InAppMessage.user_id.in_({m.user_id for m in keyed}), InAppMessage.key.in_({m.key for m in keyed}))
        )}  # fmt: skip
    added = 0
    for message in messages:
        if message.key is not None:
            if (message.user_id, message.key) in seen:
                continue
            seen.add((message.user_id, message.key))
        db.session.add(InAppMessage(user_id=message.user_id, key=message.key, category=message.category,
                                    subject=message.subject[:200], body=message.body, link=message.link,
                                    why=message.why[:300]))  # fmt: skip
        added += 1
    return added


@dataclass(frozen=True)
class InboxGlance:
    unread: int  # all unread messages
    replies: list[InAppMessage]  # the newest unread replies (coach, help requests, feedback)
    others: list[InAppMessage]  # the newest other unread messages


@prepared
def _unread_newest_first():
    return (
        select(InAppMessage, func.count().over().label("total"))
        .where(InAppMessage.user_id == bindparam("user_id"), InAppMessage.read_at.is_(None))
        .order_by(InAppMessage.created_at.desc(), InAppMessage.id.desc())
        .limit(bindparam("limit"))
    )


def glance(user_id: int, limit: int = 3) -> InboxGlance:
    """How many messages are unread, and the newest unread replies and others, in one query
    (for Today)."""
    rows = db.session.execute(_unread_newest_first(), {"user_id": user_id, "limit": 4 * limit}).all()
    messages = [row[0] for row in rows]
    return InboxGlance(
        rows[0][1] if rows else 0,
        [m for m in messages if m.category == "reply"][:limit],
        [m for m in messages if m.category != "reply"][:limit],
    )


def _leading_to(path: str):
    return (InAppMessage.link == path) | InAppMessage.link.startswith(path + "#", autoescape=True)


def unread_leading_to(user_id: int, path: str) -> int:
    """How many of the user's unread messages lead to ``path`` (the page offers to mark them read)."""
    return db.session.scalar(
        select(func.count()).select_from(InAppMessage)
        .where(InAppMessage.user_id == user_id, InAppMessage.read_at.is_(None), _leading_to(path))
    )  # fmt: skip


def mark_read_at(user_id: int, path: str) -> int:
    """Mark read the user's messages that lead to ``path`` (they have seen that page); returns how many."""
    result = db.session.execute(
        update(InAppMessage)
        .where(InAppMessage.user_id == user_id, InAppMessage.read_at.is_(None), _leading_to(path))
        .values(read_at=utcnow())
    )  # fmt: skip
    return result.rowcount


def _newest_first(user_id: int):
    return (
        select(InAppMessage)
        .where(InAppMessage.user_id == user_id)
        .order_by(InAppMessage.created_at.desc(), InAppMessage.id.desc())
    )


def messages_after(user_id: int, unread_only: bool, after: tuple[datetime, int] | None,
                   limit: int) -> list[InAppMessage]:  # fmt: skip
    """The user's messages newest first (unread ones only, if asked), ``limit`` of them and the
    first of the next if any, after the one whose (time, id) is ``after``: an API's cursor,
    read in SQL, so every message is reachable however many there are."""
    statement = _newest_first(user_id)
    if unread_only:
        statement = statement.where(InAppMessage.read_at.is_(None))
    if after is not None:
        statement = statement.where(beyond((InAppMessage.created_at, InAppMessage.id), after, descending=True))
    return list(db.session.execute(statement.limit(limit + 1)).scalars())


MESSAGES_PER_PAGE = 50


def messages_page(user_id: int, page: int):
    """A page of the user's messages, newest first: after a year of reminders, the older ones
    are still there to read."""
    return paginate(_newest_first(user_id), page, MESSAGES_PER_PAGE)


def message_of(user_id: int, message_id: int) -> InAppMessage | None:
    """The user's message as it is (reading it changes nothing); None when it is not theirs."""
    message = db.session.get(InAppMessage, message_id)
    return message if message is not None and message.user_id == user_id else None


def open_message(user_id: int, message_id: int) -> InAppMessage | None:
    """The user's message, marked read; None when it is not theirs (or does not exist)."""
    message = db.session.get(InAppMessage, message_id)
    if message is None or message.user_id != user_id:
        return None
    if message.read_at is None:
        message.read_at = utcnow()
        db.session.flush()
    return message


def mark_all_read(user_id: int) -> int:
    """Mark every unread message read; returns how many."""
    result = db.session.execute(
        update(InAppMessage)
        .where(InAppMessage.user_id == user_id, InAppMessage.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.flush()
    return result.rowcount
