"""A Russian learner chooses the demo's Russian goal on a phone and never sees English on their
path (issue #19): the goal page, the path, Today, every step and its pulse, all in Russian."""

import re

from playwright.sync_api import expect

from lxp import demo
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import committing

# Latin words of three letters or more in what the page shows (lxp's and her own name aside).
ENGLISH = """() => (document.querySelector('main').innerText.match(/[A-Za-z]{3,}/g) || [])
  .filter(word => !['lxp', 'Anna', 'Ivanova'].includes(word))"""


def test_a_russian_learner_chooses_a_russian_goal_and_never_sees_english(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()
        db.session.remove()
    page = phone
    page.goto("/login")
    page.get_by_label("E-mail").fill("anna.ivanova@northwind.example")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.goto("/path/goals")
    goals = page.locator("fieldset").first.locator("label")
    expect(goals.first).to_contain_text("Разобрать жалобу так, чтобы клиент остался")
    expect(goals.first.locator(".lang-mark")).to_have_count(0)
    for label in goals.all()[1:]:  # the others say which language they are in
        expect(label.locator(".lang-mark")).to_have_count(1)
    page.get_by_role("checkbox", name="Разобрать жалобу так, чтобы клиент остался").check()
    page.get_by_role("radio", name="Разобрать жалобу так, чтобы клиент остался — Основы за 2 недели").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/path$"))

    steps = page.locator(".station a[href^='/learn/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(steps) >= 5, steps
    seen = {}
    for address in ["/path", "/today", *steps, *(f"{step}/pulse" for step in steps)]:
        page.goto(address)
        english = page.evaluate(ENGLISH)
        if english:
            seen[address] = english
    assert not seen, f"English on Anna's path: {seen}"
