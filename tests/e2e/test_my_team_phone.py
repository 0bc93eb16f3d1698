"""The demo's store manager opens My team on a phone, in German: one newcomer overdue, one at
risk, one done; she confirms practice she saw at work, sends a word of encouragement and asks
one of them for more learning herself."""

import re

from playwright.sync_api import expect

from lxp import demo
from lxp.demo.assignments import MANAGER, seed_assignments
from lxp.demo.journeys import seed_journeys
from tests.conftest import committing


def _sign_in(page, email, password):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_manager_sees_her_team_and_confirms_practice_on_a_phone_in_german(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        seed_journeys()
        seed_assignments()

    _sign_in(phone, MANAGER, demo.DEMO_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/team$"))
    expect(phone.locator("h1")).to_have_text("Mein Team")
    members = phone.locator("section.team-member")
    expect(members.locator("h2")).to_have_text(["Felix Braun", "Jana Koch", "Tobias Wagner"])
    expect(members.nth(0)).to_contain_text("überfällig")
    expect(members.nth(1)).to_contain_text("gefährdet")
    expect(members.nth(2)).to_contain_text("erledigt")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    jana = members.nth(1)
    jana.get_by_text("Ich habe das im Job gesehen").first.click()
    jana.get_by_label("Was Sie gesehen haben (optional)").first.fill("Hat an der Kasse souverän nachgefasst.")
    jana.get_by_role("button", name="Praxis bestätigen").first.click()
    expect(phone.get_by_text("Bestätigt: Es zählt als im Job gezeigte Praxis.")).to_be_visible()

    phone.locator("section.team-member", has_text="Felix Braun").get_by_text("Felix Braun ermutigen").click()
    phone.get_by_label("Ein paar ermutigende Worte").first.fill("Du schaffst das, Felix!")
    phone.locator("section.team-member", has_text="Felix Braun").get_by_role("button", name="Senden").click()
    expect(phone.get_by_text("Gesendet.")).to_be_visible()


def test_the_manager_assigns_learning_to_her_report_on_a_phone_in_german(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        seed_journeys()
        seed_assignments()

    _sign_in(phone, MANAGER, demo.DEMO_PASSWORD)
    form = phone.locator("form", has=phone.get_by_role("button", name="Zuweisen", exact=True))
    form.get_by_label("Ziel").select_option(label="Lead people I rarely see in person")
    form.get_by_label("Jana Koch").check()
    form.get_by_label("Oder fällig innerhalb so vieler Tage").fill("20")
    form.get_by_role("button", name="Zuweisen", exact=True).click()
    expect(phone.get_by_text("„Lead people I rarely see in person“ ist zugewiesen.")).to_be_visible()
    jana = phone.locator("section.team-member", has_text="Jana Koch")
    expect(jana.locator("li[data-state]", has_text="Lead people I rarely see in person")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
