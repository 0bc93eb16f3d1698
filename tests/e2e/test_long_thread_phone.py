"""A long thread on a phone: a weekly question 60 colleagues answered reads 50 replies a page
under the question, and the link to a post on the second page (as a mention's message carries
it) opens that page with the post on screen; a reply sent there lands beside it."""

import re

from playwright.sync_api import expect

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.extensions import db
from lxp.social import services as social
from tests.conftest import PASSWORD, committing


def test_a_link_to_a_post_opens_its_page_of_a_long_thread_with_the_post_on_screen(app, phone, make_user):
    lena = make_user(("learner",), email="lena@example.com", name="Lena Learner")
    mia = make_user(("learner",), email="mia@example.com", name="Mia Maier")
    with committing(app):
        lena_user, mia_user = db.session.get(User, lena), db.session.get(User, mia)
        cohort = Cohort(organisation_id=lena_user.organisation_id, name="Cohort A", members=[lena_user, mia_user])
        db.session.add(cohort)
        db.session.flush()
        thread = social.start_thread(mia_user, cohort, "Your best opener", "Which **opener** works for you?")
        replies = [social.reply(mia_user, thread, f"Answer number {n}.").id for n in range(60)]
        thread_id, linked = thread.id, replies[55]

    phone.goto("/login")
    phone.get_by_label("E-mail").fill("lena@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto(f"/spaces/posts/{linked}")
    expect(phone).to_have_url(re.compile(rf"/spaces/threads/{thread_id}\?page=2#post-{linked}$"))
    post = phone.locator(f"#post-{linked}")
    expect(post).to_contain_text("Answer number 55.")
    expect(post).to_be_in_viewport()
    expect(phone.locator("#post-" + str(replies[10]))).to_have_count(0)  # on the first page
    expect(phone.get_by_text("Which opener works for you?")).to_be_visible()  # the question heads every page
    expect(phone.get_by_text("Page 2 of 2").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_label("Your reply").fill("Mine is a question about their day.")
    phone.get_by_role("button", name="Reply").click()
    expect(phone).to_have_url(re.compile(rf"/spaces/threads/{thread_id}\?page=2#post-\d+$"))
    newest = phone.locator("ol.messages > li").last
    expect(newest).to_contain_text("Mine is a question about their day.")
    expect(newest).to_be_in_viewport()
    phone.get_by_role("link", name="Previous").first.click()
    expect(phone.get_by_text("Answer number 0.")).to_be_visible()
