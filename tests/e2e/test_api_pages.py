"""The API's pages in a real browser: the reference page renders under the strict CSP with
nothing from the internet, and a person makes a token on their profile, copies it once and
uses it from a program."""

import json
import urllib.request

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import PASSWORD, committing


def test_the_reference_page_loads_nothing_from_elsewhere_and_breaks_no_csp_rule(desktop, live_server):
    problems, requests = [], []
    desktop.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    desktop.on("request", lambda request: requests.append(request.url))
    desktop.goto("/api/docs")
    assert desktop.get_by_role("heading", name="lxp API v1").is_visible()
    assert desktop.locator("h3", has_text="GET /api/v1/today").count() == 1
    assert problems == []
    assert all(url.startswith(live_server) for url in requests), requests


def test_a_token_made_on_the_phone_is_shown_once_and_works_from_a_program(app, phone, make_user, live_server):
    user_id = make_user(("learner",), name="Lena")
    with committing(app):
        email = db.session.execute(select(User.email).where(User.id == user_id)).scalar_one()
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    phone.goto("/login")
    phone.get_by_label("E-mail").fill(email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto("/me")
    phone.get_by_role("link", name="Manage access tokens").click()
    phone.get_by_label("Name").fill("My script")
    phone.get_by_role("button", name="Make token").click()
    secret = phone.locator("[data-token-secret]").inner_text()
    assert secret.startswith("lxp_pat_")

    request = urllib.request.Request(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own test server)
        assert json.loads(response.read())["display_name"] == "Lena"

    phone.goto(f"{live_server}/me/tokens")  # the secret was in the answer to the form only
    assert phone.locator("[data-token-secret]").count() == 0
    phone.get_by_role("button", name="Revoke").click()
    expect(phone.get_by_text("is revoked")).to_be_visible()
