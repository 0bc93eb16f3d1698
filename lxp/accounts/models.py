"""Organisations, users and their roles."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.auth import ROLES
from lxp.core.crypto import EncryptedText
from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class Organisation(db.Model):
    """A company using lxp; every person and (later) all content belongs to one."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Admins and trainers without two-step sign-in are sent to set it up (``accounts.two_step``).
    two_step_for_admins: Mapped[bool] = mapped_column(default=False)
    two_step_for_trainers: Mapped[bool] = mapped_column(default=False)
    # Set afresh whenever one of its competencies changes: the key of the per-process cache of
    # their names (``authoring.competency_names``). None until the first change after 0035.
    competency_stamp: Mapped[str | None] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)


# The password hash of someone who only ever signed in through their company's provider: no
# password matches it (it is no hash), and it is not empty, so they do not look invited.
NO_PASSWORD = "!company-sign-in"  # noqa: S105  (a marker no password matches, not a secret)


class User(UserMixin, db.Model):
    """A person who signs in. ``email`` is stored lower-cased, so uniqueness ignores case.

    ``password_hash`` is empty while an invitation is pending. ``auth_version`` goes up when
    the password changes or the account is deactivated, which ends every session and
    remember-me cookie issued before, and makes e-mailed tokens single-use.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)
    auth_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-step sign-in (TOTP, ``accounts.two_step``): the secret, encrypted at rest, is set when
    # set-up starts and counts once confirmed with a code; the last time step accepted is never
    # accepted again (a code seen over a shoulder cannot be replayed).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    organisation: Mapped[Organisation] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_any_role(self, roles) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def two_step_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def invitation_pending(self) -> bool:
        return self.password_hash is None

    @property
    def has_password(self) -> bool:
        """Whether the person chose a password (not invited only, not company sign-in only)."""
        return bool(self.password_hash) and self.password_hash != NO_PASSWORD

    # The signed-in session this object was loaded for or signed in with (``accounts.sessions``);
    # not a column: set per request.
    session_key = None

    def get_id(self) -> str:
        # Flask-Login stores this in the session and the remember cookie; the version part
        # makes both stop working when auth_version changes, the session part names the row
        # of ``user_sessions`` that must still be open (so one device can be signed out).
        base = f"{self.id}.{self.auth_version}"
        return f"{base}.{self.session_key}" if self.session_key else base

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    """One role held by one user; a person can hold several."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {tuple(ROLES)!r}", name="known_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class RecoveryCode(db.Model):
    """One of a person's one-time codes for two-step sign-in without the phone: only its
    SHA-256 is kept (the codes are random, 50 bits each, so a slow hash adds nothing)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """One signed-in browser of a person, from sign-in until it is signed out or runs out: what
    the profile lists ("where you are signed in") and what "sign out this one" ends. The id is
    random and travels in the session and remember-me cookies (signed), so a cookie of an ended
    session no longer signs in. ``user_agent`` is kept only to name the device."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    remembered: Mapped[bool] = mapped_column(default=False)
    # The account's auth_version the browser is signed in under: an older one has ended.
    auth_version: Mapped[int] = mapped_column(default=1)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
