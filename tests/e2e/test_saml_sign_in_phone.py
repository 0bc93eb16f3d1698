"""SAML company sign-in on a phone: a learner whose organisation signs in through a SAML
identity provider taps "Continue" after their e-mail, the provider (pysaml2's IdP, played for
the browser by routing its address) posts its signed answer back to lxp's ACS from its own
site, and the learner lands on Today without ever seeing a password field at lxp; afterwards
one tap on "Sign in with your company account" does it again."""

from __future__ import annotations

import html
import re

import pytest
import requests
from playwright.sync_api import expect

from lxp.accounts.models import User
from lxp.extensions import db
from lxp.sso import settings as sso_settings
from tests.conftest import committing
from tests.integration.saml_fixtures import (  # noqa: F401
    EMAIL_ATTRIBUTE,
    NAME_ATTRIBUTE,
    saml_idp,
    saml_idp_keys,
)


@pytest.fixture
def company(app, live_server, make_user, saml_idp, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "BASE_URL", live_server)  # lxp's entity id and ACS are on the live server
    admin_id = make_user(("admin",), email="admin@acme.example")
    with committing(app):
        sso_settings.save_settings(db.session.get(User, admin_id), sso_settings.SettingsInput(
            enabled=True, issuer="", client_id="", client_secret="", email_claim="email",
            allowed_domains="acme.example", groups_claim="groups", role_mapping="", cohort_mapping="",
            sso_only=True, break_glass_user_id=admin_id, protocol="saml", saml_metadata=saml_idp.metadata(),
            saml_email_attribute=EMAIL_ATTRIBUTE, saml_name_attribute=NAME_ATTRIBUTE))  # fmt: skip


def test_a_learner_signs_in_through_saml_on_a_phone_and_never_sees_a_password_field(
    phone,
    live_server,
    company,
    saml_idp,  # noqa: F811
):
    saml_idp.add_person("lena@acme.example", name="Lena Fischer")
    sp_metadata = requests.get(f"{live_server}/sso/acme/saml/metadata", timeout=10).text

    def idp(route):  # the person is signed in at work already: the IdP answers at once
        answer = saml_idp.answer(sp_metadata, route.request.url, "lena@acme.example")
        fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in answer.items())
        route.fulfill(content_type="text/html", body=(
            f'<form method="post" action="{live_server}/sso/acme/saml/acs">{fields}</form>'
            "<script>document.forms[0].submit()</script>"))  # fmt: skip

    phone.route(re.compile(r"^https://idp\.acme\.example/"), idp)
    pages: list[tuple[str, str]] = []

    def keep(response):
        if response.request.resource_type == "document" and response.url.startswith(live_server) and response.ok:
            pages.append((response.url, response.text()))

    phone.on("response", keep)

    phone.goto("/login")
    phone.get_by_label("E-mail").fill("lena@acme.example")
    phone.get_by_role("button", name="Continue").tap()
    expect(phone).to_have_url(re.compile(r"/today$"))
    expect(phone.get_by_role("heading", level=1)).to_be_visible()

    phone.get_by_role("button", name="Sign out", exact=True).tap()
    expect(phone).to_have_url(re.compile(r"/login"))
    phone.get_by_role("link", name="Sign in with your company account").tap()  # the one tap
    expect(phone).to_have_url(re.compile(r"/today$"))

    with_password = [url for url, page in pages if 'type="password"' in page]
    assert any(url.endswith("/today") for url, _ in pages) and with_password == [], with_password
