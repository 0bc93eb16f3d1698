"""Company sign-in's rules: which organisation an e-mail signs in with, starting and finishing
the OpenID Connect sign-in, and what the password sign-in asks of it (registered with
``lxp.accounts.company_sign_in``, which accounts' pages read).

The pending sign-in (state, nonce, PKCE verifier, organisation) lives in the browser's signed
session between the two legs; finishing it removes it, so an answer works once.
"""

from __future__ import annotations

import logging

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from lxp.accounts import company_sign_in
from lxp.accounts import services as accounts
from lxp.accounts.models import Organisation, User
from lxp.channels import external_url
from lxp.core.errors import Invalid
from lxp.extensions import db
from lxp.sso import oidc, provisioning, saml_services
from lxp.sso.models import CompanyDomain, CompanySignIn
from lxp.sso.refusals import Refused
from lxp.sso.settings import client_for, settings_of

log = logging.getLogger(__name__)

PENDING_KEY = "lxp_sso_pending"
REMEMBER_COOKIE = "lxp_company"  # the slug of the organisation this browser signed in with last
REMEMBER_SECONDS = 400 * 24 * 3600


def any_enabled() -> bool:
    """Whether any organisation on the installation has company sign-in switched on."""
    return bool(db.session.execute(select(exists().where(CompanySignIn.enabled))).scalar())


def for_email(email: str) -> CompanySignIn | None:
    """The switched-on company sign-in that the e-mail's domain routes to, or None. Raises
    ``Invalid`` when it is no e-mail address."""
    domain = accounts.normalise_email(email).rpartition("@")[2]
    row = db.session.get(CompanyDomain, domain)
    settings = settings_of(row.organisation_id) if row is not None else None
    return settings if settings is not None and settings.enabled else None


def for_slug(slug: str) -> CompanySignIn | None:
    """The switched-on company sign-in of the organisation with this slug, or None."""
    organisation = db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()
    settings = settings_of(organisation.id) if organisation is not None else None
    return settings if settings is not None and settings.enabled else None


def start(settings: CompanySignIn, login_hint: str | None = None) -> tuple[str, dict]:
    """Where to send the browser, and the pending sign-in to keep in its session. Raises
    ``Refused("provider_unreachable")`` when the provider's discovery cannot be read."""
    if settings.protocol == "saml":
        return saml_services.start(settings), {"organisation_id": settings.organisation_id}
    try:
        url, pending = oidc.start(client_for(settings), login_hint)
    except Refused as refused:
        log.warning("company sign-in of %s cannot start: %s", settings.organisation.slug, refused.detail)
        raise
    return url, {**pending.as_dict(), "organisation_id": settings.organisation_id}


def finish(pending: dict | None, answer: dict) -> tuple[User, dict]:
    """Finish a sign-in from the provider's answer: check it, then find, link or make the
    person's account and apply the group mappings, and note the sign-in. Flushes. Returns the
    person and what signing out needs later (``SIGNED_IN_KEY``, kept in the session). Raises
    ``Refused`` with the reason (logged with the organisation and the detail)."""
    settings = settings_of(int(pending["organisation_id"])) if pending and pending.get("organisation_id") else None
    if settings is None or not settings.enabled:
        raise Refused("bad_state", "no pending sign-in of an organisation with company sign-in on")
    try:
        claims, id_token = oidc.finish(client_for(settings), oidc.Pending.from_dict(pending), answer)
        person = provisioning.person_from_claims(settings, settings.issuer, claims)
        user = provisioning.provision(settings, person)
    except Refused as refused:
        log.warning(
            "company sign-in refused for %s: %s (%s)", settings.organisation.slug, refused.reason, refused.detail
        )
        raise
    accounts.record_login(user)
    return user, {"organisation_id": settings.organisation_id, "id_token": id_token}


class _PasswordSignIn:
    """What accounts' sign-in pages ask of company sign-in."""

    def offered(self) -> bool:
        return any_enabled()

    def remembered(self) -> company_sign_in.RememberedCompany | None:
        slug = request.cookies.get(REMEMBER_COOKIE)
        settings = for_slug(slug) if slug else None
        if settings is None:
            return None
        return company_sign_in.RememberedCompany(settings.organisation.name, url_for("sso.start", slug=slug))

    def refuses_password(self, user: User) -> str | None:
        settings = settings_of(user.organisation_id)
        if settings is None or not settings.enabled or not settings.sso_only or user.id == settings.break_glass_user_id:
            return None
        return _l("%(organisation)s signs you in with your company account, not with a password.",
                  organisation=settings.organisation.name)  # fmt: skip

    def start_url(self, user: User) -> str:
        return external_url("sso.start", slug=user.organisation.slug)

    def provider_sign_out(self, signed_in: dict) -> str | None:
        try:
            settings = settings_of(int(signed_in.get("organisation_id") or 0))
        except (TypeError, ValueError):
            return None
        if settings is None or not settings.enabled or settings.protocol != "oidc":
            return None
        return oidc.end_session_url(client_for(settings), signed_in.get("id_token"), post_logout_redirect_uri())


def post_logout_redirect_uri() -> str:
    """Where the provider sends the browser back after signing out there (registered with it)."""
    return external_url("accounts.login")


company_sign_in.register(_PasswordSignIn())


def check_email(email: str) -> str:
    """The normalised e-mail; raises ``Invalid`` when it is none."""
    try:
        return accounts.normalise_email(email)
    except Invalid:
        raise Invalid(_l("Enter a valid e-mail address."), field="email") from None
