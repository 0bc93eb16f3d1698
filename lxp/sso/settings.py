"""An organisation's company sign-in settings, as its admins set them: read, check, save."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.accounts.models import User, UserRole
from lxp.cohorts.models import Cohort
from lxp.core.auth import ROLES
from lxp.core.errors import Conflict, Invalid
from lxp.extensions import db
from lxp.sso import oidc, saml_services
from lxp.sso.models import CompanyDomain, CompanySignIn
from lxp.sso.refusals import Refused

_DOMAIN = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_CLAIM = re.compile(r"[A-Za-z0-9_:./\-]{1,100}")


@dataclass(frozen=True)
class SettingsInput:
    """What the admin typed, as text; ``client_secret`` empty keeps the stored one."""

    enabled: bool
    issuer: str
    client_id: str
    client_secret: str
    email_claim: str
    allowed_domains: str
    groups_claim: str
    role_mapping: str
    cohort_mapping: str
    sso_only: bool
    break_glass_user_id: int | None
    protocol: str = "oidc"  # or "saml"; the SAML fields below matter only then
    saml_metadata: str = ""  # pasted XML; empty with a URL fetches it, empty without keeps the stored one
    saml_metadata_url: str = ""
    saml_email_attribute: str = "email"
    saml_name_attribute: str = "name"
    saml_groups_attribute: str = "groups"
    saml_locale_attribute: str = "locale"
    department_claim: str = ""  # empty: no department is read
    saml_department_attribute: str = ""


def settings_of(organisation_id: int) -> CompanySignIn | None:
    return db.session.get(CompanySignIn, organisation_id)


def redirect_uri() -> str:
    """The address to register at the provider (one for every organisation)."""
    return current_app.config["BASE_URL"].rstrip("/") + "/sso/callback"


def client_for(settings: CompanySignIn) -> oidc.Client:
    return oidc.Client(issuer=settings.issuer, client_id=settings.client_id, client_secret=settings.client_secret,
                       redirect_uri=redirect_uri(), allow_private=current_app.config["SSO_ALLOW_PRIVATE"])  # fmt: skip


def parse_domains(text: str) -> list[str]:
    """The domains in ``text`` (separated by commas, spaces or lines; a leading @ allowed),
    lower-cased and sorted. Raises ``Invalid`` naming one that is no domain."""
    found = set()
    for word in re.split(r"[\s,;]+", text or ""):
        domain = word.strip().lstrip("@").rstrip(".").lower()
        if not domain:
            continue
        if not _DOMAIN.fullmatch(domain):
            raise Invalid(
                _l("%(domain)s is not an e-mail domain like example.com.", domain=word), field="allowed_domains"
            )
        found.add(domain)
    return sorted(found)


def _pairs(text: str, field: str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        group, equals, target = line.rpartition("=")
        if not equals or not group.strip() or not target.strip():
            raise Invalid(_l("Line %(number)d: write “group = what it gives”.", number=number), field=field)
        pairs.append((group.strip(), target.strip()))
    return pairs


def parse_role_mapping(text: str) -> list[list[str]]:
    """``group = role`` lines. Raises ``Invalid`` for a malformed line or an unknown role."""
    mapping = []
    for group, role in _pairs(text, "role_mapping"):
        if role.lower() not in ROLES:
            raise Invalid(_l("Unknown role: %(role)s. Use learner, trainer, admin or reviewer.", role=role),
                          field="role_mapping")  # fmt: skip
        mapping.append([group, role.lower()])
    return mapping


def parse_cohort_mapping(organisation_id: int, text: str) -> list[list]:
    """``group = cohort name`` lines, the cohort stored by id. Raises ``Invalid`` for a malformed
    line or a cohort the organisation does not have."""
    mapping = []
    for group, name in _pairs(text, "cohort_mapping"):
        cohort_id = db.session.execute(
            select(Cohort.id).where(Cohort.organisation_id == organisation_id, Cohort.name == " ".join(name.split()))
        ).scalar_one_or_none()
        if cohort_id is None:
            raise Invalid(
                _l("There is no cohort called “%(name)s”; create it first.", name=name), field="cohort_mapping"
            )
        mapping.append([group, cohort_id])
    return mapping


def role_mapping_text(settings: CompanySignIn | None) -> str:
    return "\n".join(f"{group} = {role}" for group, role in (settings.role_mapping if settings else []))


def cohort_mapping_text(settings: CompanySignIn | None) -> str:
    if not settings or not settings.cohort_mapping:
        return ""
    names = dict(
        db.session.execute(
            select(Cohort.id, Cohort.name).where(Cohort.organisation_id == settings.organisation_id)
        ).all()
    )
    return "\n".join(
        f"{group} = {names[cohort_id]}" for group, cohort_id in settings.cohort_mapping if cohort_id in names
    )


def break_glass_choices(organisation_id: int) -> list[User]:
    """The organisation's active admins, who may be its break-glass admin."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation_id, User.active, UserRole.role == "admin")
        .order_by(User.display_name, User.id)
    ))  # fmt: skip


def _check_issuer(issuer: str) -> str:
    issuer = (issuer or "").strip()
    parts = urlsplit(issuer)
    allowed = ("https", "http") if current_app.config["SSO_ALLOW_PRIVATE"] else ("https",)
    if parts.scheme not in allowed or not parts.hostname or parts.query or parts.fragment or len(issuer) > 500:
        raise Invalid(_l("Enter the provider's issuer: an https:// address without ? or #, as its documentation gives it."),
                      field="issuer")  # fmt: skip
    return issuer


def _check_claim(name: str, field: str, default: str) -> str:
    name = (name or "").strip() or default
    if not _CLAIM.fullmatch(name):
        raise Invalid(_l("Use the claim's name: letters, digits and _ : . / - only."), field=field)
    return name


def save_settings(admin: User, given: SettingsInput) -> CompanySignIn:
    """Check and save the admin's organisation's settings. Switching company sign-in on needs an
    issuer, a client id and secret and at least one domain, and lxp reads the provider's
    discovery document to be sure; SSO-only needs a break-glass admin (an active admin of the
    organisation). Raises ``Invalid`` naming the field, ``Conflict`` for a domain another
    organisation signs in with; nothing is saved then."""
    organisation_id = admin.organisation_id
    settings = settings_of(organisation_id)
    if settings is None:
        settings = CompanySignIn(organisation_id=organisation_id, role_mapping=[], cohort_mapping=[])
        db.session.add(settings)
    domains = parse_domains(given.allowed_domains)
    taken = db.session.execute(
        select(CompanyDomain.domain).where(CompanyDomain.domain.in_(domains), CompanyDomain.organisation_id != organisation_id)
    ).scalars().first()  # fmt: skip
    if taken is not None:
        raise Conflict(_l("%(domain)s already signs in with another organisation's provider.", domain=taken),
                       field="allowed_domains")  # fmt: skip
    if given.protocol not in ("oidc", "saml"):
        raise Invalid(_l("Choose OpenID Connect or SAML 2.0."), field="protocol")
    oidc_on = given.enabled and given.protocol == "oidc"
    issuer = (given.issuer or "").strip()
    if issuer or oidc_on:
        issuer = _check_issuer(issuer)
    client_id = (given.client_id or "").strip()
    if len(client_id) > 255:
        raise Invalid(_l("Use at most 255 characters."), field="client_id")
    secret = (
        given.client_secret.strip() if given.client_secret and given.client_secret.strip() else settings.client_secret
    )
    break_glass = None
    if given.break_glass_user_id:
        break_glass = next((u for u in break_glass_choices(organisation_id) if u.id == given.break_glass_user_id), None)
        if break_glass is None:
            raise Invalid(_l("Choose an active admin of your organisation."), field="break_glass_user_id")
    if oidc_on:
        if not client_id:
            raise Invalid(_l("Enter the client id the provider gave lxp."), field="client_id")
        if not secret:
            raise Invalid(_l("Enter the client secret the provider gave lxp."), field="client_secret")
        if not domains:
            raise Invalid(
                _l("Enter at least one e-mail domain whose people sign in this way."), field="allowed_domains"
            )
    if given.enabled and not domains:
        raise Invalid(_l("Enter at least one e-mail domain whose people sign in this way."), field="allowed_domains")
    if given.protocol == "saml":
        saml_services.apply_settings(settings, given, allow_private=current_app.config["SSO_ALLOW_PRIVATE"])
    if given.sso_only and break_glass is None:
        raise Invalid(_l("Choose a break-glass admin: the one person who can still sign in with a password if the provider is down."),
                      field="break_glass_user_id")  # fmt: skip
    settings.enabled, settings.protocol = given.enabled, given.protocol
    settings.issuer, settings.client_id, settings.client_secret = issuer, client_id, secret
    settings.email_claim = _check_claim(given.email_claim, "email_claim", "email")
    settings.groups_claim = _check_claim(given.groups_claim, "groups_claim", "groups")
    department = (given.department_claim or "").strip()
    settings.department_claim = _check_claim(department, "department_claim", "") if department else ""
    settings.role_mapping = parse_role_mapping(given.role_mapping)
    settings.cohort_mapping = parse_cohort_mapping(organisation_id, given.cohort_mapping)
    settings.sso_only = given.sso_only
    settings.break_glass_user_id = break_glass.id if break_glass else None
    settings.domain_rows = [row for row in settings.domain_rows if row.domain in domains] + [
        CompanyDomain(domain=domain) for domain in domains if domain not in settings.domains
    ]
    db.session.flush()
    saml_services.audit_change(admin, settings)
    if oidc_on:
        try:
            oidc.discover(client_for(settings), fresh=True)
        except Refused as refused:
            raise Invalid(_l("lxp could not read the provider's settings at this issuer (%(detail)s).",
                             detail=refused.detail), field="issuer") from None  # fmt: skip
    return settings
