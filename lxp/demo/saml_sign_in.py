"""Demo SAML set-up: Northwind's company sign-in also carries an Entra ID SAML application's
metadata and Entra's attribute names, with OpenID Connect still chosen and everything switched
off, so an admin sees what a SAML set-up looks like on /admin/sign-in and the demo people keep
signing in with their password.

The example tenant's certificate is made here (its key is thrown away: nothing can sign for it).
Idempotent: metadata that exists already is left alone.
"""

from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.extensions import db
from lxp.sso.models import CompanySignIn

EXAMPLE_TENANT = "7f3c0d52-5a3e-4b1c-9d0e-2f4a6b8c0d1e"  # made up
EXAMPLE_ENTITY_ID = f"https://sts.windows.net/{EXAMPLE_TENANT}/"
_ENTRA = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


def _certificate() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Microsoft Azure Federated SSO Certificate")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=3 * 365)).sign(key, hashes.SHA256()))  # fmt: skip
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def example_metadata() -> str:
    """IdP metadata shaped like Entra ID's Federation Metadata XML, for a made-up tenant."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{EXAMPLE_ENTITY_ID}">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">
        <X509Data><X509Certificate>{_certificate()}</X509Certificate></X509Data>
      </KeyInfo>
    </KeyDescriptor>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
                         Location="https://login.microsoftonline.com/{EXAMPLE_TENANT}/saml2"/>
  </IDPSSODescriptor>
</EntityDescriptor>
"""


def seed_saml_example(organisation_slug: str) -> bool:
    """Fill in the organisation's SAML metadata and Entra's attribute names when its company
    sign-in has none yet; True when it did."""
    organisation = db.session.execute(select(Organisation).where(Organisation.slug == organisation_slug)).scalar_one()
    settings = db.session.get(CompanySignIn, organisation.id)
    if settings is None or settings.saml_metadata:
        return False
    settings.saml_metadata = example_metadata()
    settings.saml_email_attribute = _ENTRA + "emailaddress"
    settings.saml_name_attribute = "http://schemas.microsoft.com/identity/claims/displayname"
    settings.saml_groups_attribute = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
    db.session.flush()
    return True
