"""What the sign-in pages ask of company sign-in (an organisation's own identity provider).

``lxp.sso`` builds on accounts, so accounts cannot import it: it registers itself here with
``register``, as live sessions tell the planner their dates. Without a registration (a bare
accounts package) there is no company sign-in: passwords only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# The e-mail typed on the company sign-in step, for the password step to show again.
EMAIL_KEY = "lxp_login_email"
# In the session of a person signed in through an OpenID provider: what signing out there needs.
SIGNED_IN_KEY = "lxp_sso_signed_in"


@dataclass(frozen=True)
class RememberedCompany:
    """The organisation this browser last signed in with through its provider: the sign-in page
    offers it as one button."""

    name: str
    start_url: str


class CompanySignIn(Protocol):
    def offered(self) -> bool:
        """Whether any organisation on the installation signs people in through its provider."""

    def remembered(self) -> RememberedCompany | None:
        """The organisation this browser signed in with last, when it still offers company sign-in."""

    def refuses_password(self, user) -> str | None:
        """Why ``user`` may not sign in with a password (their organisation is SSO-only and they
        are not its break-glass admin), or None when they may."""

    def start_url(self, user) -> str:
        """The absolute address that takes ``user`` straight to their organisation's provider
        (for an invitation mail)."""

    def provider_sign_out(self, signed_in: dict) -> str | None:
        """The provider's address that ends the person's session there too and comes back to
        the sign-in page (``signed_in`` is what ``SIGNED_IN_KEY`` held), or None when it offers
        none."""


_registered: list[CompanySignIn] = []


def register(implementation: CompanySignIn) -> CompanySignIn:
    """Plug company sign-in in; a second registration replaces the first."""
    _registered[:] = [implementation]
    return implementation


def offered() -> bool:
    return bool(_registered) and _registered[0].offered()


def remembered() -> RememberedCompany | None:
    return _registered[0].remembered() if _registered else None


def refuses_password(user) -> str | None:
    return _registered[0].refuses_password(user) if _registered else None


def start_url(user) -> str | None:
    return _registered[0].start_url(user) if _registered else None


def provider_sign_out(signed_in) -> str | None:
    if not _registered or not isinstance(signed_in, dict):
        return None
    return _registered[0].provider_sign_out(signed_in)
