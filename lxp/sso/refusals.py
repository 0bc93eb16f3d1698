"""Why company sign-in turned someone away, in words they can act on.

One exception for the protocol (``lxp.sso.oidc``) and for provisioning, raised before anything
is written; the reason names the message. SAML and SCIM raise the same.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lxp.core.errors import NotAllowed

REASONS = {
    "bad_state": _l(
        "This sign-in was not started in this browser, was used already or took too long. Please start again."
    ),
    "provider_said_no": _l("Your company's sign-in did not let you in. Please try again, or ask your administrator."),
    "provider_unreachable": _l("Your company's sign-in cannot be reached right now. Please try again in a moment."),
    "token_failed": _l("Your company's sign-in could not be completed. Please start again."),
    "bad_signature": _l("The answer from your company's sign-in was not signed by it, so it was refused."),
    "wrong_issuer": _l(
        "The answer came from another sign-in service than the one your organisation set up, so it was refused."
    ),
    "wrong_audience": _l(
        "The answer from your company's sign-in was meant for another application, so it was refused."
    ),
    "expired": _l("The answer from your company's sign-in has expired. Please sign in again."),
    "bad_nonce": _l(
        "The answer from your company's sign-in belongs to another sign-in attempt, so it was refused. Please start again."
    ),
    "bad_token": _l("The answer from your company's sign-in could not be read, so it was refused."),
    "no_email": _l(
        "Your company account did not tell lxp your e-mail address. Ask your administrator to check the e-mail claim."
    ),
    "email_unverified": _l("Your company account's e-mail address is not verified, so lxp cannot sign you in with it."),
    "domain_not_allowed": _l(
        "E-mail addresses at %(domain)s cannot sign in to %(organisation)s here. Ask your administrator."
    ),
    "other_organisation": _l(
        "This e-mail address belongs to an account of another organisation on lxp. Ask your administrator."
    ),
    "deactivated": _l("Your account is deactivated. Ask your administrator if you need it again."),
    "not_configured": _l("Company sign-in is not set up for this organisation."),
}


class Refused(NotAllowed):
    """Company sign-in refused; ``reason`` is a key of ``REASONS``, ``detail`` is for the log."""

    def __init__(self, reason: str, detail: str = "", **values):
        message = REASONS[reason] % values if values else REASONS[reason]
        super().__init__(message)
        self.reason = reason
        self.detail = detail
