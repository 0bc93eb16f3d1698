"""What SCIM provisioning keeps beside lxp's own tables: the organisation's bearer tokens, the
directory's view of a person (external id, enterprise fields) and its groups with their members.

A SCIM Group is kept as the directory sent it (name, external id, members, whatever their roles)
and its effect is a cohort: see ``lxp.scim.groups``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class ScimToken(db.Model):
    """One bearer token an organisation's directory uses; only the SHA-256 of the secret is kept."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")


class ScimUser(db.Model):
    """The directory's side of a person: present once SCIM has written them. ``provisioned`` says
    SCIM made the account (rather than finding one an admin had invited)."""

    __tablename__ = "scim_users"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id", name="uq_scim_users_external_id"),
        UniqueConstraint("organisation_id", "user_name", name="uq_scim_users_user_name"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # The directory's login name (Entra's UPN, Okta's login); lxp's own is the e-mail address.
    user_name: Mapped[str] = mapped_column(String(254))
    external_id: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(120))
    family_name: Mapped[str | None] = mapped_column(String(120))
    employee_number: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(120))
    # What the directory sent that lxp keeps only to give back (name, emails, language tags,
    # time zone): lxp itself uses what it understands of them.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    provisioned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # DELETE deactivates the account and hides it from SCIM; the account and its history stay.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


scim_group_members = Table(
    "scim_group_members",
    db.metadata,
    Column("group_id", ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ScimGroup(db.Model):
    """A group of the organisation's directory and the cohort it fills."""

    __tablename__ = "scim_groups"
    __table_args__ = (UniqueConstraint("organisation_id", "display_name", name="uq_scim_groups_display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    external_id: Mapped[str | None] = mapped_column(String(255))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members = relationship("User", secondary=scim_group_members, order_by="User.id")
