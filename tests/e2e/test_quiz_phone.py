"""After "Check my answers" on a phone the result is in sight without scrolling, and a retry
starts afresh without the right answers shown (issue #19)."""

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from lxp import demo
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import committing

COURSE = json.loads((Path(__file__).parents[2] / "lxp/demo/courses/customer-conversations.json").read_text())
# Each quiz's questions, as the index of a wrong option of each.
WRONG = {item["key"]: [next(i for i, o in enumerate(q["options"]) if not o.get("correct")) for q in item["content"]["questions"]]
         for module in COURSE["course"]["modules"] for item in module["items"] if item["kind"] == "quiz"}  # fmt: skip


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/today$"))


def test_the_result_is_in_sight_and_a_retry_shows_no_right_answers(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()
        db.session.remove()
    _sign_in(phone, "marcus.johnson@northwind.example")
    phone.get_by_role("link", name="Choose a goal").click()
    phone.get_by_role("checkbox", name="Handle a complaint so the customer stays").check()
    phone.get_by_role("radio", name="Handle a complaint so the customer stays — Essentials in 2 weeks").check()
    phone.get_by_role("button", name="Show my path").click()
    expect(phone).to_have_url(re.compile(r"/path$"))
    quiz = phone.locator(".station a[href*='-quiz']").first.get_attribute("href")
    phone.goto(quiz)
    questions = phone.locator("fieldset.quiz-question")
    expect(questions).to_have_count(len(WRONG[quiz.rsplit(":", 1)[1]]))
    for fieldset, wrong in zip(questions.all(), WRONG[quiz.rsplit(":", 1)[1]], strict=True):
        fieldset.locator("input").nth(wrong).check()
    phone.get_by_role("button", name="Check my answers").click()

    result = phone.locator("#result")
    expect(result).to_contain_text("the pass mark is")
    expect(result).to_be_in_viewport()
    # Only the learner's own choices are marked; the right ones are not given away.
    expect(phone.locator("label.check.wrong")).to_have_count(questions.count())
    expect(phone.locator("label.check.right")).to_have_count(0)

    phone.get_by_role("link", name="Try again").click()
    expect(phone).to_have_url(re.compile(r"/learn/[^#]+$"))
    expect(phone.get_by_role("button", name="Check my answers")).to_be_visible()
    assert phone.locator("label.check.right, label.check.wrong, .verdict").count() == 0
    assert phone.locator("fieldset.quiz-question input:checked").count() == 0
