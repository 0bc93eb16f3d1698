"""Company sign-in's periodic work (see ``lxp.scheduler``)."""

from __future__ import annotations

from lxp.sso import saml_services


def refresh_saml_metadata() -> None:
    """Fetch again the SAML metadata organisations publish at an address (daily each)."""
    saml_services.refresh_metadata()
