"""The demo admin writes a small course, publishes it, and previews a lesson on a phone."""

import re

from playwright.sync_api import expect

from lxp import demo
from lxp.accounts.models import User
from lxp.authoring.models import Competency
from lxp.extensions import db
from tests.conftest import committing


def _sign_in(page, email, password):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_creates_publishes_and_previews_a_course(app, desktop, browser, live_server):
    with committing(app):
        demo.seed()
        organisation_id = db.session.execute(db.select(User.organisation_id)).scalars().first()
        db.session.add(Competency(organisation_id=organisation_id, code="follow-up", name="Following up"))
        db.session.commit()
    page = desktop
    _sign_in(page, "admin@northwind.example", demo.DEMO_PASSWORD)

    page.get_by_role("link", name="Courses").click()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Title").fill("Following up after a complaint")
    page.get_by_role("button", name="Start the course").click()

    page.get_by_label("What the course is").fill("How to close the loop with a customer after a complaint.")
    page.get_by_label("Expected total time (minutes)").fill("10")
    page.get_by_label("Self-paced").fill("100")
    page.get_by_role("button", name="Save the concept").click()
    expect(page.get_by_text("Concept saved.")).to_be_visible()

    page.get_by_role("link", name="Add an outcome").click()
    page.get_by_label("What people can do afterwards").fill("I can follow up so the customer knows what happens next")
    page.get_by_label("Following up (follow-up)").check()
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Add a module").click()
    page.get_by_label("Title").fill("Closing the loop")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Add an item").click()
    page.get_by_role("link", name=re.compile("^Lesson")).click()
    page.get_by_label("Title").fill("The follow-up call")
    page.get_by_label("Estimated minutes").fill("6")
    page.get_by_label("Text (Markdown)").fill("## Within 48 hours\n\nCall back, say what changed, ask if it helped.")
    page.locator("fieldset", has_text="Teaches").get_by_label("Following up (follow-up)").check()
    page.get_by_role("button", name="Save the item").click()

    page.get_by_role("link", name="Add an item").click()
    page.get_by_role("link", name=re.compile("^Quiz")).click()
    page.get_by_label("Title").fill("Check: following up")
    page.get_by_label("Estimated minutes").fill("4")
    page.locator("fieldset", has_text="Assesses").get_by_label("Following up (follow-up)").check()
    page.locator("#questions-0-prompt").fill("When do you call back?")
    page.locator("#questions-0-options-0-text").fill("Within 48 hours, with what changed")
    page.locator("#questions-0-options-0-correct").check()
    page.locator("#questions-0-options-1-text").fill("Only if the customer complains again")
    page.get_by_role("button", name="Save the item").click()

    expect(page.get_by_text("Every outcome is taught and assessed")).to_be_visible()
    page.get_by_role("button", name="Send for review").click()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Published. New enrolments get this version")).to_be_visible()
    expect(page.locator(".status-card .badge")).to_have_text("Published")
    lesson_href = page.get_by_role("link", name="The follow-up call").get_attribute("href")

    # The preview on a phone, in a second browser context sharing the admin's cookies.
    from tests.e2e.conftest import PHONE

    phone_context = browser.new_context(**PHONE, base_url=live_server, storage_state=page.context.storage_state())
    phone = phone_context.new_page()
    phone.goto(lesson_href)
    frame = phone.locator(".phone-frame")
    expect(frame.get_by_role("heading", name="The follow-up call")).to_be_visible()
    expect(frame.get_by_role("heading", name="Within 48 hours")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone_context.close()
