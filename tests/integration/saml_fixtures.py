"""A real SAML identity provider for the tests: pysaml2's IdP (``saml2.server.Server``, on the
``xmlsec1`` binary), a different implementation from lxp's service provider (python3-saml),
run in-process. It reads lxp's SP metadata from lxp's own metadata address, answers the
AuthnRequest lxp's start page redirects to, and signs its assertions with its own key;
``forge`` makes it answer the way a broken or hostile provider would.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

ENTITY_ID = "https://idp.acme.example/saml"
SSO_URL = "https://idp.acme.example/saml/sso"
# What the attributes are called in its assertions (pysaml2 names e-mail and name by its
# attribute map; the groups as Entra ID names them): lxp's admin page is told these names.
EMAIL_ATTRIBUTE = "urn:mace:dir:attribute-def:email"
NAME_ATTRIBUTE = "urn:mace:dir:attribute-def:name"
GROUPS_ATTRIBUTE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
DEPARTMENT_ATTRIBUTE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department"
XMLSEC = shutil.which("xmlsec1")


def _key_pair(folder: Path, name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))  # fmt: skip
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))  # fmt: skip
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def _config(key_file: str, cert_file: str, sp_metadata: list[str]) -> IdPConfig:
    config = IdPConfig()
    config.load({
        "entityid": ENTITY_ID,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
            "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_BASIC}},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "want_authn_requests_signed": False,
        }},
        "key_file": key_file,
        "cert_file": cert_file,
        "xmlsec_binary": XMLSEC,
        "metadata": {"inline": sp_metadata},
    })  # fmt: skip
    return config


@dataclass
class Person:
    email: str
    subject: str
    name: str | None = None
    groups: list[str] = field(default_factory=list)
    locale: str | None = None
    department: str | None = None


@dataclass
class IdentityProvider:
    folder: Path
    key_file: str
    cert_file: str
    people: dict[str, Person] = field(default_factory=dict)

    def metadata(self) -> str:
        """The IdP's metadata, as an admin would paste it into lxp."""
        return create_metadata_string(None, config=_config(self.key_file, self.cert_file, []), sign=False).decode()

    def add_person(self, email: str, *, name: str | None = None, groups=(), locale: str | None = None,
                   subject: str | None = None, department: str | None = None) -> str:  # fmt: skip
        subject = subject or f"staff-{len(self.people) + 1:04d}"
        self.people[email] = Person(email, subject, name, list(groups), locale, department)
        return subject

    def answer(self, client, redirect_url: str, email: str, *, slug: str = "acme", forge: str | None = None) -> dict:
        """Play the IdP for ``email`` at ``redirect_url`` (where lxp sent the browser; ``client``
        reads lxp's SP metadata, or is that metadata): the form
        fields the browser then posts to lxp's ACS. ``forge``: ``unsigned``, ``other_key``,
        ``audience`` (meant for another SP), ``recipient`` (for another ACS address),
        ``unsolicited`` (answers no request), ``unknown_request`` (answers a request lxp never sent)."""
        query = parse_qs(urlsplit(redirect_url).query)
        assert redirect_url.startswith(SSO_URL), redirect_url
        # ``client`` is lxp's metadata, read already, in the browser test
        sp_xml = client if isinstance(client, str) else client.get(f"/sso/{slug}/saml/metadata").get_data(as_text=True)
        sp_entity = _entity_id(sp_xml)
        other_sp = "https://elsewhere.example/saml/metadata"
        key_file, cert_file = (self.key_file, self.cert_file) if forge != "other_key" else _key_pair(self.folder, "eve")
        server = Server(config=_config(key_file, cert_file, [sp_xml, sp_xml.replace(sp_entity, other_sp)]))
        request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        acs = request.message.assertion_consumer_service_url
        person = self.people[email.lower()]
        identity = {"email": [person.email]}
        if person.name:
            identity["name"] = [person.name]
        if person.groups:
            identity[GROUPS_ATTRIBUTE] = list(person.groups)
        if person.locale:
            identity["locale"] = [person.locale]
        if person.department:
            identity[DEPARTMENT_ATTRIBUTE] = [person.department]
        response = server.create_authn_response(
            identity,
            in_response_to={"unsolicited": None, "unknown_request": "_a-request-lxp-never-sent"}.get(
                forge, request.message.id
            ),
            destination="https://elsewhere.example/acs" if forge == "recipient" else acs,
            sp_entity_id=other_sp if forge == "audience" else sp_entity,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=person.subject),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_assertion=forge != "unsigned",
            sign_response=False,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return {"SAMLResponse": base64.b64encode(str(response).encode()).decode(),
                "RelayState": query.get("RelayState", [""])[0]}  # fmt: skip


def _entity_id(xml: str) -> str:
    start = xml.index('entityID="') + len('entityID="')
    return xml[start : xml.index('"', start)]


@pytest.fixture(scope="session")
def saml_idp_keys(tmp_path_factory):
    if XMLSEC is None:
        pytest.skip("xmlsec1 is missing (apt-get install xmlsec1; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("saml-idp")
    return folder, *_key_pair(folder, "idp")


@pytest.fixture
def saml_idp(saml_idp_keys) -> IdentityProvider:
    folder, key_file, cert_file = saml_idp_keys
    return IdentityProvider(folder, key_file, cert_file)


__all__ = ["IdentityProvider", "saml_idp", "saml_idp_keys"]
