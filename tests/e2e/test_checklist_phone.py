"""A learner on a phone works through a checklist, a kind added as one module and one
template: ticking some points is not enough, ticking the rest (or "done") completes it."""

import json
import re

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import PASSWORD, committing
from tests.integration.test_item_kinds import checklist_document


def test_a_learner_ticks_a_checklist_on_a_phone(app, phone, make_user):
    author = make_user(("admin", "reviewer"), email="author@example.com")
    make_user(("learner",), email="lena@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, checklist_document())
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal_title = db.session.execute(select(Goal.title)).scalar_one()
        ref = f"{version.course_id}:before-the-call"
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    page = phone
    page.goto("/login")
    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Choose a goal").click()
    page.get_by_role("checkbox", name=goal_title).check()
    page.get_by_role("button", name="Show my path").click()
    expect(page).to_have_url(re.compile(r"/path$"))
    expect(page.locator(".station").filter(has_text="Before the call")).to_be_visible()

    page.goto(f"/learn/{ref}")
    expect(page.locator(".block-kind")).to_contain_text("Checklist")
    page.get_by_label("Headset charged").check()
    page.get_by_role("button", name="I have done this").click()
    expect(page.get_by_text("Tick every point")).to_be_visible()  # refused, and the page says why
    expect(page.get_by_label("Headset charged")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("Customer file open").check()
    page.get_by_label("Done, although some points did not apply").check()
    page.get_by_role("button", name="I have done this").click()
    expect(page).to_have_url(re.compile(r"/pulse$"))
    expect(page.get_by_text("Done. Minutes well spent.")).to_be_visible()
    with committing(app):
        from lxp.events import LearningEvent

        result = db.session.execute(select(LearningEvent.result).where(LearningEvent.verb == "completed")).scalar_one()
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    assert result["response"] == {"ticked": [0, 1], "done": True} and json.dumps(result)
