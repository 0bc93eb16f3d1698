"""Who gets in through company sign-in, and as whom: one service for every way an organisation's
directory vouches for a person (OpenID Connect today; SAML and SCIM call the same later).

``provision(settings, person)`` finds the person by the provider's identity, else by e-mail in
the organisation (linking the two), else makes their account just in time (a learner, with the
language and time zone the provider names when lxp knows them); then applies the group mappings
(roles and cohorts), every time they come in, and puts them in the organisation unit their
department names (when the organisation reads one; ``accounts.joining`` hands that to the units). It refuses, before writing anything, an e-mail of
a domain the organisation does not allow, an account of another organisation and a deactivated
person.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from lxp.accounts import joining
from lxp.accounts import services as accounts
from lxp.accounts.models import NO_PASSWORD, User, UserRole
from lxp.cohorts import services as cohorts
from lxp.core.auth import ROLES
from lxp.core.errors import Invalid
from lxp.core.time import is_valid_timezone, utcnow
from lxp.extensions import db
from lxp.sso.models import CompanySignIn, ProviderIdentity
from lxp.sso.refusals import Refused

DEFAULT_ROLE = "learner"


@dataclass(frozen=True)
class ProvidedPerson:
    """A person as a provider describes them, already read out of its claims or attributes."""

    issuer: str  # who vouches: the OpenID issuer, the SAML IdP's entity id, "scim:<organisation>"
    subject: str  # their stable id there
    email: str
    name: str | None = None
    locale: str | None = None
    zoneinfo: str | None = None
    groups: tuple[str, ...] = ()
    department: str | None = None  # the organisation unit they belong to, by name


def _claim_text(claims: dict, name: str) -> str | None:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def person_from_claims(settings: CompanySignIn, issuer: str, claims: dict) -> ProvidedPerson:
    """Read an OpenID Connect person out of validated claims with the organisation's claim names.
    Raises ``Refused`` (``no_email``, ``email_unverified``)."""
    raw_email = _claim_text(claims, settings.email_claim or "email")
    if raw_email is None:
        raise Refused("no_email", f"claim {settings.email_claim!r} missing")
    if claims.get("email_verified") is False:  # absent (Entra ID sends none) is not "false"
        raise Refused("email_unverified", raw_email)
    try:
        email = accounts.normalise_email(raw_email)
    except Invalid:
        raise Refused("no_email", f"claim {settings.email_claim!r} is no address: {raw_email!r}") from None
    groups = claims.get(settings.groups_claim or "groups") or ()
    if isinstance(groups, str):
        groups = (groups,)
    name = _claim_text(claims, "name") or " ".join(
        part for part in (_claim_text(claims, "given_name"), _claim_text(claims, "family_name")) if part
    )
    department = _claim_text(claims, settings.department_claim) if settings.department_claim else None
    return ProvidedPerson(issuer=issuer, subject=str(claims["sub"]), email=email, name=name or None,
                          locale=_claim_text(claims, "locale"), zoneinfo=_claim_text(claims, "zoneinfo"),
                          groups=tuple(str(g) for g in groups if isinstance(g, str | int)),
                          department=department[:120] if department else None)  # fmt: skip


def supported_locale(locale: str | None) -> str | None:
    """lxp's language for a BCP 47 tag (``de-AT`` → ``de``), or None when lxp has none for it."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].strip().lower()
    return language if language in current_app.config["LOCALES"] else None


def _valid_zone(zone: str | None) -> str:
    return zone if zone and is_valid_timezone(zone) else current_app.config["DEFAULT_TIMEZONE"]


def _domain_of(email: str) -> str:
    return email.rpartition("@")[2]


def _find(settings: CompanySignIn, person: ProvidedPerson) -> tuple[User | None, ProviderIdentity | None]:
    identity = db.session.execute(
        select(ProviderIdentity).where(
            ProviderIdentity.issuer == person.issuer, ProviderIdentity.subject == person.subject
        )  # fmt: skip
    ).scalar_one_or_none()
    if identity is not None:
        return db.session.get(User, identity.user_id), identity
    return accounts.find_user_by_email(person.email), None


def provision(settings: CompanySignIn, person: ProvidedPerson) -> User:
    """The person's account, made or found, with the mappings applied; flushes, never commits.

    Raises ``Refused``: ``domain_not_allowed`` (the e-mail's domain is not one of the
    organisation's), ``other_organisation`` (the identity or the e-mail is another
    organisation's), ``deactivated``."""
    domain = _domain_of(person.email)
    if domain not in settings.domains:
        raise Refused("domain_not_allowed", person.email, domain=domain, organisation=settings.organisation.name)
    user, identity = _find(settings, person)
    if user is not None and user.organisation_id != settings.organisation_id:
        raise Refused("other_organisation", f"{person.email} is user {user.id} of organisation {user.organisation_id}")
    if user is not None and not user.active:
        raise Refused("deactivated", f"user {user.id}")
    if user is None:
        user = _create(settings, person)
    elif user.invitation_pending:  # invited, and came in through the provider: no longer invited
        user.password_hash = NO_PASSWORD
    if identity is None:
        identity = ProviderIdentity(user_id=user.id, issuer=person.issuer, subject=person.subject)
        db.session.add(identity)
    identity.last_seen_at = utcnow()
    apply_mappings(settings, user, person.groups)
    db.session.flush()
    # A new cohort, role or department (unit) may bring assigned learning.
    joining.person_changed(user, department=person.department)
    return user


def _create(settings: CompanySignIn, person: ProvidedPerson) -> User:
    name = (person.name or person.email.partition("@")[0])[:120]
    user = User(organisation_id=settings.organisation_id, email=person.email, display_name=name,
                password_hash=NO_PASSWORD, locale=supported_locale(person.locale), timezone=_valid_zone(person.zoneinfo),
                role_rows=[UserRole(role=DEFAULT_ROLE)])  # fmt: skip
    db.session.add(user)
    db.session.flush()
    return user


def apply_mappings(settings: CompanySignIn, user: User, groups) -> None:
    """Roles and cohorts from the person's groups. A role or cohort that some group maps to is
    managed by the mapping: the person holds it exactly while in such a group. Others (what an
    admin gave by hand) stay. Nobody is left without a role (they keep ``learner``), and the
    break-glass admin keeps the admin role whatever the groups say."""
    present = set(groups)
    managed_roles = {role for _group, role in settings.role_mapping if role in ROLES}
    wanted_roles = {role for group, role in settings.role_mapping if group in present and role in ROLES}
    roles = (user.roles - managed_roles) | wanted_roles
    if user.id == settings.break_glass_user_id and user.has_role("admin"):
        roles.add("admin")
    if not roles:
        roles = {DEFAULT_ROLE}
    if roles != user.roles:
        user.role_rows = [row for row in user.role_rows if row.role in roles] + [
            UserRole(role=role) for role in sorted(roles - user.roles)
        ]
        db.session.flush()
    managed_cohorts = {int(cohort_id) for _group, cohort_id in settings.cohort_mapping}
    wanted_cohorts = {int(cohort_id) for group, cohort_id in settings.cohort_mapping if group in present}
    cohorts.sync_memberships(user, wanted_cohorts, managed_cohorts)
