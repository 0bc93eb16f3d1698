"""On a 390 px phone: a trainer whose organisation requires two-step sign-in is sent to set it
up, scans (reads) the key, confirms with a code from the app, keeps the recovery codes, and
signs in again with a code; nothing on these pages is wider than the screen."""

import os
import re
import time

import pyotp
from playwright.sync_api import expect

from lxp.accounts.models import Organisation
from lxp.extensions import db
from tests.conftest import PASSWORD, committing

SHOT_DIR = os.environ.get("LXP_SCREENSHOTS")  # a folder to keep a screenshot of the set-up page in


def _fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert width <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


def test_a_trainer_sets_up_two_step_sign_in_on_a_phone_and_signs_in_with_a_code(app, phone, make_user, organisation):
    with committing(app):
        db.session.get(Organisation, organisation).two_step_for_trainers = True
    make_user(("trainer",), email="tara@example.com")
    phone.goto("/login")
    phone.get_by_label("E-mail").fill("tara@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_text("Your organisation requires two-step sign-in for your role.").first).to_be_visible()
    phone.goto("/desk")  # nothing else opens until it is set up
    expect(phone).to_have_url(re.compile(r"/me/two-step$"))

    phone.get_by_role("button", name="Set up two-step sign-in").click()
    qr = phone.locator("svg.qr-code")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 150  # whole, and big enough to scan
    if SHOT_DIR:
        phone.screenshot(path=f"{SHOT_DIR}/two-step-set-up.png", full_page=True)
    secret = phone.locator("[data-totp-secret]").inner_text().strip()
    _fits_the_screen(phone)
    totp = pyotp.TOTP(secret)
    phone.get_by_label("Code").fill(totp.now())
    phone.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = phone.locator("[data-recovery-codes] code")
    expect(codes).to_have_count(10)
    _fits_the_screen(phone)
    phone.get_by_role("link", name="I have kept them").click()
    expect(phone.get_by_text("On: sign-in asks for a code from your authenticator app.")).to_be_visible()

    phone.get_by_role("button", name="Sign out", exact=True).click()
    phone.get_by_label("E-mail").fill("tara@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_text("Enter the 6-digit code from your authenticator app.")).to_be_visible()
    _fits_the_screen(phone)
    phone.get_by_label("Code").fill(totp.at(time.time() + 30))  # the set-up's code is used up
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert phone.url.endswith("/desk")
