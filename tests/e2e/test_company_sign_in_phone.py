"""Company sign-in on a phone (issue #17's "done when"): a learner whose organisation signs in
through its OpenID provider gets in from the sign-in page without ever seeing a password field
at lxp: the first time by their e-mail and one tap, afterwards by one tap on "Sign in with your
company account". The provider is the real one of oidc_fixtures.py; the person is signed in
there already, as at work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lxp.accounts.models import User
from lxp.extensions import db
from lxp.sso import settings as sso_settings
from tests.conftest import committing
from tests.integration.oidc_fixtures import openid_provider  # noqa: F401


@pytest.fixture
def company(app, live_server, make_user, openid_provider, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "SSO_ALLOW_PRIVATE", True)
    monkeypatch.setitem(app.config, "BASE_URL", live_server)  # the provider sends the browser back here
    admin_id = make_user(("admin",), email="admin@acme.example")
    client_id, secret = openid_provider.register_client(base_url=live_server)
    with committing(app):
        sso_settings.save_settings(db.session.get(User, admin_id), sso_settings.SettingsInput(
            enabled=True, issuer=openid_provider.issuer, client_id=client_id, client_secret=secret,
            email_claim="email", allowed_domains="acme.example", groups_claim="groups", role_mapping="",
            cohort_mapping="", sso_only=True, break_glass_user_id=admin_id))  # fmt: skip


def test_a_learner_signs_in_on_a_phone_with_one_tap_and_never_sees_a_password_field(
    phone,
    live_server,
    company,
    openid_provider,  # noqa: F811
):
    openid_provider.add_person("lena@acme.example", name="Lena Fischer", signed_in=True)
    pages: list[tuple[str, str]] = []  # every page of lxp the phone showed: address and HTML

    def keep(response):
        if response.request.resource_type == "document" and response.url.startswith(live_server) and response.ok:
            pages.append((response.url, response.text()))

    phone.on("response", keep)

    phone.goto("/login")
    phone.get_by_label("E-mail").fill("lena@acme.example")
    phone.get_by_role("button", name="Continue").tap()
    expect(phone).to_have_url(re.compile(r"/today$"))
    expect(phone.get_by_role("heading", level=1)).to_be_visible()

    phone.get_by_role("button", name="Sign out").tap()
    # The provider ends its session too (RP-initiated logout), then sends the phone back.
    phone.get_by_role("button", name="Yes, sign me out").tap()
    expect(phone).to_have_url(re.compile(r"/login"))
    phone.get_by_role("link", name="Sign in with your company account").tap()  # the one tap
    expect(phone).to_have_url(re.compile(r"/today$"))

    seen = [url for url, _html in pages]
    assert any(url.endswith("/today") for url in seen) and any("/login" in url for url in seen)
    with_password = [url for url, html in pages if 'type="password"' in html]
    assert with_password == [], f"lxp showed a password field at {with_password}"
