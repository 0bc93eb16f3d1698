"""A demo learner on a phone switches the profile language and sees the navigation follow."""

import re

from playwright.sync_api import expect

from lxp import demo
from tests.conftest import committing

NAVIGATION = {
    "en": ["Today", "Path", "Coach", "Inbox", "Me"],
    "de": ["Heute", "Lernpfad", "Coach", "Postfach", "Ich"],
    "ru": ["Сегодня", "Путь", "Коуч", "Входящие", "Я"],
}


def _sign_in(page, email, password):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _choose_language(page, code):
    page.locator("nav.bottom-nav a").last.click()  # "Me", whatever it is called now
    page.locator("#locale").select_option(code)
    page.locator("form[action='/me'] button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def _assert_navigation(page, labels):
    nav = page.locator("nav.bottom-nav")
    expect(nav.locator(".label")).to_have_text(labels)
    # One-handed use on 360 px: five targets side by side, each large enough, none off-screen.
    tops = set()
    for link in nav.locator("a").all():
        box = link.bounding_box()
        assert box["width"] >= 48 and box["height"] >= 48
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        tops.add(round(box["y"]))
    assert len(tops) == 1, "the navigation is one row"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_demo_learner_switches_to_german_then_russian(app, phone, tmp_path):
    with committing(app):
        demo.seed()
    learner = next(p for p in demo.PEOPLE if p.roles == ("learner",) and p.locale == "en")

    _sign_in(phone, learner.email, demo.DEMO_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/today$"))
    _assert_navigation(phone, NAVIGATION["en"])

    _choose_language(phone, "de")
    expect(phone.get_by_text("Ihr Profil ist gespeichert.")).to_be_visible()
    _assert_navigation(phone, NAVIGATION["de"])
    phone.locator("nav.bottom-nav a").first.click()
    expect(phone.locator("h1")).to_contain_text("Hallo")

    _choose_language(phone, "ru")
    _assert_navigation(phone, NAVIGATION["ru"])
    phone.screenshot(path=str(tmp_path / "profile-ru.png"), full_page=True)
    if screenshots := __import__("os").environ.get("LXP_SCREENSHOTS"):
        phone.screenshot(path=f"{screenshots}/profile-ru.png", full_page=True)
