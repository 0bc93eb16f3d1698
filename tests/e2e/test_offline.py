"""Offline on a phone: a cached block opens without a network, its completion is kept on the
phone and recorded once when the connection returns."""

import time

from playwright.sync_api import expect
from sqlalchemy import func, select

from lxp import demo
from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing

QUEUE_LENGTH = """() => new Promise(resolve => {
  const opening = indexedDB.open('lxp-offline');
  opening.onerror = () => resolve(-1);
  opening.onsuccess = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains('completions')) { resolve(0); return; }
    const counting = db.transaction('completions', 'readonly').objectStore('completions').count();
    counting.onsuccess = () => resolve(counting.result);
    counting.onerror = () => resolve(-1);
  };
})"""


def _wait_until(page, script, arg=None, timeout=10.0):
    """Poll ``script`` (which may return a promise; ``page.evaluate`` awaits it) until truthy.

    ``wait_for_function`` would take the promise object itself for a true value.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(script, arg):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _events_of(app, email, verbs=("completed",)):
    with committing(app):
        learner = db.session.execute(select(User).where(User.email == email)).scalar_one()
        count = db.session.scalar(select(func.count()).select_from(LearningEvent).where(
            LearningEvent.actor_id == learner.id, LearningEvent.verb.in_(verbs)))  # fmt: skip
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
        return count


def _onboard_demo_learner(app, page) -> str:
    """Load the demo, sign a demo learner in on ``page`` and choose a goal; returns their e-mail."""
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    email = "claire.dubois@northwind.example"
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Choose a goal").click()
    page.get_by_role("checkbox", name="Handle a complaint so the customer stays").check()
    page.get_by_role("button", name="Show my path").click()
    return email


def _first_open_lesson(page) -> tuple[str, str]:
    """The address and title of the first lesson still open on the learner's path. The demo path
    now opens with a SCORM unit, which has no "I have done this" button; a lesson has."""
    page.goto("/path")
    link = page.locator(".station:not(.done)", has_text="· Lesson ·").first.locator("a").first
    return link.get_attribute("href"), link.inner_text()


def _first_open_lesson_kept_for_offline(page) -> tuple[str, str]:
    """``_first_open_lesson``, once Today has had the service worker fetch it for offline reading."""
    next_href, next_title = _first_open_lesson(page)
    page.goto("/today")
    # Wait until the service worker controls the page and has fetched the next blocks.
    _wait_until(page, "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    _wait_until(page, "href => caches.open('lxp-pages-v1').then(c => c.match(href)).then(r => !!r)", next_href)
    return next_href, next_title


def test_a_cached_block_opens_offline_and_its_completion_is_recorded_once_back_online(app, phone):
    page, email = phone, _onboard_demo_learner(app, phone)
    next_href, next_title = _first_open_lesson_kept_for_offline(page)

    page.context.set_offline(True)
    page.goto(next_href)  # served by the service worker from its cache
    expect(page.locator(".block-title")).to_have_text(next_title)
    page.get_by_role("button", name="I have done this").click()
    expect(page.locator("[data-offline-saved]")).to_be_visible()
    assert page.evaluate(QUEUE_LENGTH) == 1
    assert _events_of(app, email) == 0

    page.context.set_offline(False)
    page.goto("/today")  # opening a page replays the queue
    _wait_until(page, f"() => ({QUEUE_LENGTH})().then(n => n === 0)")
    assert _events_of(app, email) == 1
    page.reload()  # Today was drawn before the replay; the lesson is done now, and nothing is sent twice
    expect(page.locator(".step-card .step-title", has_text=next_title)).to_have_count(0)
    assert page.evaluate(QUEUE_LENGTH) == 0
    assert _events_of(app, email) == 1


def test_a_quiz_resumes_where_it_was_left_and_an_offline_attempt_is_marked_once(app, phone):
    page, email = phone, _onboard_demo_learner(app, phone)
    quiz_href = page.locator(".station", has_text="Quiz").first.locator("a").first.get_attribute("href")

    page.goto(quiz_href)
    first_option = page.locator("fieldset.quiz-question").first.locator("input").first
    first_option.check()
    _wait_until(page, "() => true")  # let the change event go out
    deadline = time.monotonic() + 10
    while _events_of(app, email, ("answered",)) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _events_of(app, email, ("answered",)) == 1
    page.reload()  # the answer given is still there
    expect(page.locator("fieldset.quiz-question").first.locator("input").first).to_be_checked()

    _wait_until(page, "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    page.get_by_role("button", name="Check my answers").click()  # a question is still open
    expect(page.locator("[data-offline-incomplete]")).to_be_visible()
    for fieldset in page.locator("fieldset.quiz-question").all():
        fieldset.locator("input").first.check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator("[data-offline-saved]")).to_be_visible()
    assert page.evaluate(QUEUE_LENGTH) == 1
    assert _events_of(app, email, ("passed", "failed")) == 0

    page.context.set_offline(False)  # the connection returns: the queue goes out, the page says how it went
    expect(page.get_by_text("saved on your phone, are checked")).to_be_visible()
    _wait_until(page, f"() => ({QUEUE_LENGTH})().then(n => n === 0)")
    assert _events_of(app, email, ("passed", "failed")) == 1
    page.reload()
    assert _events_of(app, email, ("passed", "failed")) == 1


def test_a_notifications_tracked_link_opens_today_when_the_phone_is_offline(app, phone):
    page = phone
    _onboard_demo_learner(app, page)
    page.goto("/today")
    _wait_until(page, "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    _wait_until(page, "() => caches.open('lxp-pages-v1').then(c => c.match('/today')).then(r => !!r)")
    today = page.locator("h1").first.inner_text()
    page.context.set_offline(True)
    page.goto("/t/a-tapped-notification")  # what a tapped push opens; it cannot be counted offline
    expect(page.locator("h1").first).to_have_text(today)
    page.context.set_offline(False)


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_on_a_shared_phone_a_queued_completion_waits_for_its_owner_and_sign_out_clears_the_pages(app, phone):
    page, owner = phone, _onboard_demo_learner(app, phone)
    next_href, _title = _first_open_lesson_kept_for_offline(page)

    page.context.set_offline(True)
    page.goto(next_href)
    page.get_by_role("button", name="I have done this").click()
    expect(page.locator("[data-offline-saved]")).to_be_visible()
    page.context.clear_cookies()  # the session ended while the phone was offline
    page.context.set_offline(False)

    other = "marcus.johnson@northwind.example"  # the next person on the same phone
    before = _events_of(app, other)
    _sign_in(page, other)
    page.goto("/today")
    _wait_until(page, "() => true")
    time.sleep(1)  # give a replay the time it would need
    assert page.evaluate(QUEUE_LENGTH) == 1, "kept for its owner"
    assert _events_of(app, other) == before and _events_of(app, owner) == 0

    # Signing out (the form's submit event, as a tap sends it) forgets the pages kept for reading.
    page.locator("form.sign-out").first.evaluate("form => form.requestSubmit()")
    page.wait_for_url("**/login")
    _wait_until(page, "() => caches.has('lxp-pages-v1').then(kept => !kept)")

    _sign_in(page, owner)  # the owner is back: the completion goes out as theirs
    page.goto("/today")
    _wait_until(page, f"() => ({QUEUE_LENGTH})().then(n => n === 0)")
    assert _events_of(app, owner) == 1 and _events_of(app, other) == before
