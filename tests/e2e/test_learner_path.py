"""A demo learner on a phone picks a goal and a package, sees why each step is there, and
works through the first steps; Today follows."""

import re

from playwright.sync_api import expect

from lxp import demo
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import committing


def test_learner_onboards_and_works_through_the_first_steps(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    learner = next(p for p in demo.PEOPLE if p.email == "marcus.johnson@northwind.example")
    page = phone
    page.goto("/login")
    page.get_by_label("E-mail").fill(learner.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Choose a goal").click()
    page.get_by_role("checkbox", name="Handle a complaint so the customer stays").check()
    page.get_by_role("radio", name="Handle a complaint so the customer stays \u2014 Essentials in 2 weeks").check()
    page.get_by_label("Minutes a week you can give").fill("90")
    page.get_by_role("button", name="Show my path").click()

    expect(page).to_have_url(re.compile(r"/path$"))
    expect(page.get_by_text("Your path is ready.")).to_be_visible()
    first_station = page.locator(".station").first
    expect(first_station.locator(".reasons")).to_contain_text("Part of your package")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.locator("nav.bottom-nav a").first.click()  # Today
    next_step = page.locator(".step-card.primary")
    first_title = next_step.locator(".step-title").inner_text()
    next_step.click()
    page.get_by_role("button", name="I have done this").click()
    expect(page.get_by_text("Done. Minutes well spent.")).to_be_visible()
    # One tap on how it felt, then Today has moved on.
    page.locator("label.face-4").click()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you. This helps us make the programme better.")).to_be_visible()
    expect(page.locator(".step-card.primary .step-title")).not_to_have_text(first_title)

    # Work down the path until the first quiz, answering it.
    for _ in range(6):
        page.locator(".step-card.primary").click()
        # Wait for the block itself: count() below does not wait, and read on Today it is 0.
        expect(page).to_have_url(re.compile(r"/learn/"))
        expect(page.locator(".block-title")).to_be_visible()
        if page.get_by_role("button", name="Check my answers").count():
            for fieldset in page.locator("fieldset.quiz-question").all():
                fieldset.locator("input").first.check()
            page.get_by_role("button", name="Check my answers").click()
            expect(page.locator(".result")).to_be_visible()
            expect(page.locator(".verdict").first).to_be_visible()
            break
        page.get_by_role("button", name="I have done this").click()
        page.get_by_role("link", name="Not now").click()
    else:
        raise AssertionError("no quiz among the first steps of the package")


def test_the_same_flow_in_german(app, phone):
    from flask_babel import force_locale, gettext

    def de(text):
        with app.test_request_context(), force_locale("de"):
            return gettext(text)

    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    page = phone
    page.goto("/login")
    page.get_by_label("E-mail").fill("lena.fischer@northwind.example")  # the login page follows the browser: en-GB
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")  # Lena's profile says German

    page.get_by_role("link", name=de("Choose a goal")).click()
    # Her language first, unmarked; a goal in another language says which, with its description.
    goals = page.locator("fieldset").first.locator("label")
    expect(goals.first).to_contain_text("Eine Reklamation so lösen")
    expect(goals.first.locator(".lang-mark")).to_have_count(0)
    english = goals.filter(has_text="Handle a complaint so the customer stays")
    expect(english.locator(".lang-mark")).to_have_text("English")
    expect(english).to_have_attribute("lang", "en")
    expect(goals.first.locator(".choice-about")).to_contain_text("zuhören")
    # Each package's whole name is readable on the phone (it wraps; no select cuts it off).
    package = page.get_by_role(
        "radio", name="Eine Reklamation so lösen, dass die Kundschaft bleibt — Grundlagen in 2 Wochen"
    )
    box = page.locator("label", has=package).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.get_by_role("checkbox", name="Eine Reklamation so lösen, dass die Kundschaft bleibt").check()
    page.get_by_label(de("Minutes a week you can give")).fill("60")
    page.get_by_role("button", name=de("Show my path")).click()
    expect(page.get_by_text(de("Your path is ready."))).to_be_visible()
    expect(page.locator(".station .reasons").first).to_contain_text("Kundschaft bleibt")

    page.locator("nav.bottom-nav a").first.click()
    page.locator(".step-card.primary").click()
    expect(page.locator(".block-title")).to_be_visible()
    page.get_by_role("button", name=de("I have done this")).click()
    expect(page.get_by_text(de("Done. Minutes well spent."))).to_be_visible()
    page.locator("label.face-5").click()
    page.get_by_role("button", name=de("Send")).click()
    expect(page.get_by_text(de("Thank you. This helps us make the programme better."))).to_be_visible()
