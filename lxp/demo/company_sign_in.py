"""Demo company sign-in: Northwind's settings filled in for a local Keycloak, but switched off, so
the demo people keep signing in with their password and an admin sees what to fill in.

Idempotent: settings that exist already are left alone.
"""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.extensions import db
from lxp.sso.models import CompanyDomain, CompanySignIn

# Keycloak's realm "northwind" on a developer's machine (``docker run -p 8080:8080 … start-dev``).
EXAMPLE_ISSUER = "http://127.0.0.1:8080/realms/northwind"


def seed_company_sign_in(organisation_slug: str) -> bool:
    """Fill in the organisation's company sign-in, switched off; True when it was added."""
    organisation = db.session.execute(select(Organisation).where(Organisation.slug == organisation_slug)).scalar_one()
    if db.session.get(CompanySignIn, organisation.id) is not None:
        return False
    settings = CompanySignIn(organisation_id=organisation.id, enabled=False, issuer=EXAMPLE_ISSUER,
                             client_id="lxp", email_claim="email", groups_claim="groups", department_claim="department",
                             role_mapping=[["northwind-trainers", "trainer"]], cohort_mapping=[], sso_only=False,
                             domain_rows=[CompanyDomain(domain="northwind.example")])  # fmt: skip
    settings.client_secret = "replace-with-the-secret-keycloak-shows"  # noqa: S105  (a placeholder)
    db.session.add(settings)
    db.session.flush()
    return True
