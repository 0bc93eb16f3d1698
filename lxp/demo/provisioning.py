"""Demo provisioning: two Northwind people and their group, made through the SCIM services as an
HR system would make them, so the admin's provisioning page shows whom SCIM brought. No token is
made (an admin makes one on /admin/provisioning and sees it once).

Idempotent: people SCIM already knows are left alone.
"""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.extensions import db
from lxp.scim import groups, users
from lxp.scim.models import ScimGroup, ScimUser
from lxp.scim.protocol import ENTERPRISE, GROUP, USER

PEOPLE = (
    ("lena.hofmann@northwind.example", "Lena", "Hofmann", "de-DE", "Europe/Berlin", "NW-2041", "Sales"),
    ("omar.haddad@northwind.example", "Omar", "Haddad", "en-GB", "Europe/London", "NW-2042", "Sales"),
)
GROUP_NAME = "Northwind Sales (HR)"


def seed_provisioning(organisation_slug: str) -> int:
    """Provision the demo people and their group; returns how many people were added."""
    organisation = db.session.execute(select(Organisation).where(Organisation.slug == organisation_slug)).scalar_one()
    added, ids = 0, []
    for email, given, family, language, zone, number, department in PEOPLE:
        row = db.session.scalar(select(ScimUser).where(ScimUser.organisation_id == organisation.id,
                                                       ScimUser.user_name == email))  # fmt: skip
        if row is None:
            user, row = users.create(organisation.id, {
                "schemas": [USER, ENTERPRISE], "userName": email, "externalId": number,
                "name": {"givenName": given, "familyName": family}, "displayName": f"{given} {family}",
                "emails": [{"value": email, "type": "work", "primary": True}], "preferredLanguage": language,
                "timezone": zone, "active": True, ENTERPRISE: {"employeeNumber": number, "department": department},
            })  # fmt: skip
            added += 1
        ids.append(str(row.user_id))
    exists = db.session.scalar(select(ScimGroup.id).where(ScimGroup.organisation_id == organisation.id,
                                                          ScimGroup.display_name == GROUP_NAME))  # fmt: skip
    if exists is None:
        groups.create(organisation.id, {"schemas": [GROUP], "displayName": GROUP_NAME,
                                        "members": [{"value": ident} for ident in ids]})  # fmt: skip
    return added
