"""An organisation's company sign-in: its provider, the e-mail domains routed to it, and which
provider identity is which person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db


class CompanySignIn(db.Model):
    """One organisation's OpenID Connect settings (at most one row per organisation).

    ``role_mapping`` and ``cohort_mapping`` are lists of ``[group, role]`` and
    ``[group, cohort id]`` pairs; ``department_claim`` / ``saml_department_attribute`` name where
    the person's department comes from (empty: nowhere). ``break_glass_user_id`` names the one admin who may still sign
    in with a password when ``sso_only`` is on (for the day the provider is down).
    """

    __tablename__ = "company_sign_in"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    issuer: Mapped[str] = mapped_column(String(500), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    # Read and written through ``client_secret`` only, so encrypting it at rest changes one place.
    client_secret_stored: Mapped[str] = mapped_column("client_secret", Text, default="")
    email_claim: Mapped[str] = mapped_column(String(100), default="email")
    groups_claim: Mapped[str] = mapped_column(String(100), default="groups")
    role_mapping: Mapped[list] = mapped_column(JSON, default=list)
    cohort_mapping: Mapped[list] = mapped_column(JSON, default=list)
    sso_only: Mapped[bool] = mapped_column(default=False)
    break_glass_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # "oidc" or "saml"; SAML's provider is its metadata (pasted, or fetched from the address).
    protocol: Mapped[str] = mapped_column(String(10), default="oidc", server_default="oidc")
    saml_metadata_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    saml_metadata: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Metadata from an address is fetched again daily (``saml_services.refresh_metadata``): when
    # it last worked, and why the last try failed ("" when it did not; the last good copy stays).
    saml_metadata_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    saml_metadata_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    saml_email_attribute: Mapped[str] = mapped_column(String(200), default="email", server_default="email")
    saml_name_attribute: Mapped[str] = mapped_column(String(200), default="name", server_default="name")
    saml_groups_attribute: Mapped[str] = mapped_column(String(200), default="groups", server_default="groups")
    saml_locale_attribute: Mapped[str] = mapped_column(String(200), default="locale", server_default="locale")
    # The claim (OIDC) or attribute (SAML) naming the person's department; its value puts them in
    # the organisation unit of that name at every sign-in, so what the unit is assigned reaches
    # them. Empty: none is read, and units stay as an admin or SCIM set them.
    department_claim: Mapped[str] = mapped_column(String(100), default="", server_default="")
    saml_department_attribute: Mapped[str] = mapped_column(String(200), default="", server_default="")

    organisation = relationship("Organisation")
    domain_rows: Mapped[list[CompanyDomain]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CompanyDomain.domain"
    )

    @property
    def client_secret(self) -> str:
        return self.client_secret_stored or ""

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_stored = value or ""

    @property
    def domains(self) -> list[str]:
        return [row.domain for row in self.domain_rows]


class CompanyDomain(db.Model):
    """An e-mail domain whose people sign in through one organisation's provider; a domain
    belongs to one organisation on the installation."""

    __tablename__ = "company_sign_in_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("company_sign_in.organisation_id", ondelete="CASCADE"), index=True
    )


class ProviderIdentity(db.Model):
    """A person as their organisation's provider knows them: the issuer and its subject
    identifier (``sub``), which never changes even when the e-mail does."""

    __tablename__ = "provider_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_provider_identities_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SamlRequest(db.Model):
    """An AuthnRequest lxp sent to an organisation's SAML provider, until its answer comes back
    (single use: the answer deletes it) or it expires. ``relay_state`` is the random value the
    answer must carry back with it."""

    __tablename__ = "saml_requests"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    relay_state: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SamlAssertionSeen(db.Model):
    """An assertion lxp accepted, remembered until its NotOnOrAfter so that it works once."""

    __tablename__ = "saml_assertions_seen"

    assertion_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    not_on_or_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
