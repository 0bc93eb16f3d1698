"""Company sign-in with SAML 2.0: lxp's service provider for an organisation, starting a
sign-in (the AuthnRequest, remembered server-side) and finishing it from the provider's posted
answer (checked by ``lxp.sso.saml``, then the same provisioning as OpenID Connect).

An answer is taken only for a request lxp issued to that organisation, with the RelayState
that request carried, once: finishing deletes the request, and the assertion's id is kept until
its NotOnOrAfter so that the same assertion is refused a second time. Unsolicited answers
(IdP-initiated sign-in) are refused.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from lxp.accounts import services as accounts
from lxp.accounts.models import Organisation, User
from lxp.audit import services as audit
from lxp.core.errors import Invalid
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.sso import provisioning, saml
from lxp.sso.models import CompanySignIn, SamlAssertionSeen, SamlRequest
from lxp.sso.refusals import Refused

log = logging.getLogger(__name__)

REQUEST_SECONDS = 600  # how long a started sign-in may take at the provider
_ATTRIBUTE = re.compile(r"[A-Za-z0-9_:./\-]{1,200}")


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def metadata_url(slug: str) -> str:
    """lxp's entity id at the organisation's provider: the address of its SP metadata."""
    return _base() + url_for("sso_saml.metadata", slug=slug)


def acs_url(slug: str) -> str:
    return _base() + url_for("sso_saml.acs", slug=slug)


def service_provider(organisation: Organisation, idp_metadata: str = "") -> saml.ServiceProvider:
    return saml.ServiceProvider(entity_id=metadata_url(organisation.slug), acs_url=acs_url(organisation.slug),
                                idp_metadata=idp_metadata, clock_skew=current_app.config["SAML_CLOCK_SKEW"])  # fmt: skip


def start(settings: CompanySignIn) -> str:
    """Where to send the browser: the provider with a fresh AuthnRequest, whose id is kept
    (with the RelayState it carries) until the answer or ``REQUEST_SECONDS``. Flushes. Raises
    ``Refused("provider_unreachable")`` for unusable provider metadata."""
    relay_state = secrets.token_urlsafe(32)
    url, request_id = saml.start(service_provider(settings.organisation, settings.saml_metadata), relay_state)
    now = utcnow()
    db.session.execute(delete(SamlRequest).where(SamlRequest.expires_at < now))
    db.session.add(SamlRequest(id=request_id, organisation_id=settings.organisation_id, relay_state=relay_state,
                               expires_at=now + timedelta(seconds=REQUEST_SECONDS)))  # fmt: skip
    db.session.flush()
    return url


def _first(attributes: dict[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in attributes.get(name) or () if v and v.strip()]
    return values[0] if values else None


def person_from_assertion(settings: CompanySignIn, assertion: saml.Assertion) -> provisioning.ProvidedPerson:
    """The person the assertion names, read with the organisation's attribute names; the e-mail
    falls back to the NameID when that is an address. Raises ``Refused("no_email")``."""
    attributes = assertion.attributes
    raw_email = _first(attributes, settings.saml_email_attribute) or (
        assertion.name_id if "@" in assertion.name_id else None
    )
    if raw_email is None:
        raise Refused("no_email", f"attribute {settings.saml_email_attribute!r} missing")
    try:
        email = accounts.normalise_email(raw_email)
    except Invalid:
        raise Refused("no_email", f"attribute {settings.saml_email_attribute!r} is no address: {raw_email!r}") from None
    groups = tuple(v for v in attributes.get(settings.saml_groups_attribute) or () if v)
    department = _first(attributes, settings.saml_department_attribute) if settings.saml_department_attribute else None
    return provisioning.ProvidedPerson(issuer=assertion.idp_entity_id, subject=assertion.name_id, email=email,
                                       name=_first(attributes, settings.saml_name_attribute),
                                       locale=_first(attributes, settings.saml_locale_attribute), groups=groups,
                                       department=department[:120] if department else None)  # fmt: skip


def finish(settings: CompanySignIn | None, form: dict) -> User:
    """Finish a sign-in from the provider's posted answer (``SAMLResponse``, ``RelayState``):
    the request it answers must be ours, this organisation's, unexpired and carry the same
    RelayState; the assertion is checked, must be new, and names a person provisioning lets in.
    Flushes. Raises ``Refused`` (logged with the organisation and the detail)."""
    if settings is None or not settings.enabled or settings.protocol != "saml":
        raise Refused("not_configured", "no SAML sign-in switched on here")
    try:
        user = _finish(settings, form)
    except Refused as refused:
        log.warning("SAML sign-in refused for %s: %s (%s)", settings.organisation.slug, refused.reason, refused.detail)
        raise
    accounts.record_login(user)
    return user


def _finish(settings: CompanySignIn, form: dict) -> User:
    saml_response = form.get("SAMLResponse") or ""
    if not saml_response:
        raise Refused("bad_token", "no SAMLResponse")
    sp = service_provider(settings.organisation, settings.saml_metadata)
    request_id = saml.in_response_to(sp, saml_response)
    pending = db.session.get(SamlRequest, request_id) if request_id else None
    if (
        pending is None
        or pending.organisation_id != settings.organisation_id
        or pending.expires_at <= utcnow()
        or not hmac.compare_digest(pending.relay_state, str(form.get("RelayState") or ""))
    ):
        raise Refused("bad_state", f"unsolicited or unknown InResponseTo {request_id!r}")
    assertion = saml.check(sp, saml_response, pending.id)
    now = utcnow()
    db.session.execute(delete(SamlAssertionSeen).where(SamlAssertionSeen.not_on_or_after < now))
    if db.session.get(SamlAssertionSeen, assertion.assertion_id) is not None:
        raise Refused("bad_state", f"assertion {assertion.assertion_id} replayed")
    person = person_from_assertion(settings, assertion)
    user = provisioning.provision(settings, person)
    db.session.delete(pending)
    db.session.add(SamlAssertionSeen(assertion_id=assertion.assertion_id, organisation_id=settings.organisation_id,
                                     not_on_or_after=max(assertion.not_on_or_after, now)))  # fmt: skip
    db.session.flush()
    return user


def _attribute(value: str, field: str, default: str) -> str:
    name = (value or "").strip() or default
    if not _ATTRIBUTE.fullmatch(name):
        raise Invalid(_l("Use the attribute's name: letters, digits and _ : . / - only."), field=field)
    return name


def apply_settings(settings: CompanySignIn, given, *, allow_private: bool) -> None:
    """Check and set the SAML part of the admin's settings (``given`` is a ``SettingsInput``):
    the provider's metadata pasted, else fetched from its address (public addresses only unless
    ``allow_private``), else the stored one; switched on, metadata is required. Raises
    ``Invalid`` naming the field."""
    pasted = (given.saml_metadata or "").strip()
    url = (given.saml_metadata_url or "").strip()
    if len(url) > 500:
        raise Invalid(_l("Use at most 500 characters."), field="saml_metadata_url")
    metadata, field = settings.saml_metadata or "", "saml_metadata"
    if pasted:
        metadata = pasted
    elif url:
        try:
            metadata = saml.fetch_idp_metadata(url, allow_private)
        except ValueError as error:
            raise Invalid(_l("lxp could not read the provider's metadata at this address (%(detail)s).",
                             detail=str(error)), field="saml_metadata_url") from None  # fmt: skip
        field = "saml_metadata_url"
    if metadata:
        try:
            saml.read_idp_metadata(metadata)
        except ValueError as error:
            raise Invalid(_l("This is not usable SAML metadata of an identity provider (%(detail)s).",
                             detail=str(error)), field=field) from None  # fmt: skip
    elif given.enabled:
        raise Invalid(_l("Paste the provider's SAML metadata or give the address it is published at."),
                      field="saml_metadata")  # fmt: skip
    if url and field == "saml_metadata_url":  # fetched just now
        settings.saml_metadata_fetched_at, settings.saml_metadata_error = utcnow(), ""
    elif not url:
        settings.saml_metadata_fetched_at, settings.saml_metadata_error = None, ""
    settings.saml_metadata, settings.saml_metadata_url = metadata, url
    settings.saml_email_attribute = _attribute(given.saml_email_attribute, "saml_email_attribute", "email")
    settings.saml_name_attribute = _attribute(given.saml_name_attribute, "saml_name_attribute", "name")
    settings.saml_groups_attribute = _attribute(given.saml_groups_attribute, "saml_groups_attribute", "groups")
    settings.saml_locale_attribute = _attribute(given.saml_locale_attribute, "saml_locale_attribute", "locale")
    department = (given.saml_department_attribute or "").strip()
    settings.saml_department_attribute = _attribute(department, "saml_department_attribute", "") if department else ""


def audit_change(admin: User, settings: CompanySignIn) -> None:
    """Note on the audit trail who saved the organisation's company sign-in, and how it now
    stands (never the client secret or the metadata itself)."""
    details = {"enabled": settings.enabled, "protocol": settings.protocol, "sso_only": settings.sso_only,
               "domains": settings.domains, "break_glass_user_id": settings.break_glass_user_id,
               "provider": settings.issuer if settings.protocol == "oidc" else _idp_entity_id(settings)}  # fmt: skip
    audit.record("company_sign_in_changed", organisation_id=settings.organisation_id, actor_id=admin.id,
                 subject_type="organisation", subject_id=settings.organisation_id, details=details)  # fmt: skip


def _idp_entity_id(settings: CompanySignIn) -> str | None:
    try:
        return saml.read_idp_metadata(settings.saml_metadata)["entityId"] if settings.saml_metadata else None
    except ValueError:
        return None


# --- keeping metadata from an address fresh (the scheduler's ``sso.refresh_saml_metadata``) ---

REFRESH_EVERY = timedelta(hours=24)


def refresh_metadata(now: datetime | None = None) -> int:
    """Fetch again the metadata of every SAML organisation that gave an address, once it is
    ``REFRESH_EVERY`` old: the provider rolls its signing certificate there. A fetch that fails,
    or brings something that is no usable IdP metadata, keeps the last good copy and notes why
    (shown on the admin page, logged); one organisation's failure stops no other. Returns how
    many were refreshed."""
    now = now or utcnow()
    allow_private = current_app.config.get("SSO_ALLOW_PRIVATE", False)
    due = db.session.scalars(select(CompanySignIn).where(
        CompanySignIn.protocol == "saml", CompanySignIn.saml_metadata_url != "",
        or_(CompanySignIn.saml_metadata_fetched_at.is_(None), CompanySignIn.saml_metadata_fetched_at <= now - REFRESH_EVERY),
    ).order_by(CompanySignIn.organisation_id)).all()  # fmt: skip
    refreshed = 0
    for settings in due:
        try:
            metadata = saml.fetch_idp_metadata(settings.saml_metadata_url, allow_private)
            saml.read_idp_metadata(metadata)
        except ValueError as error:
            settings.saml_metadata_error = str(error)[:500] or "unreadable"
            log.warning("SAML metadata of organisation %s not refreshed from %s: %s", settings.organisation_id,
                        settings.saml_metadata_url, error)  # fmt: skip
            continue
        settings.saml_metadata, settings.saml_metadata_error = metadata, ""
        settings.saml_metadata_fetched_at = now
        refreshed += 1
    db.session.flush()
    return refreshed
