"""Tables, row actions, date inputs, checkboxes, "I'm stuck" and the mood faces on a 360 px phone
(issue #19): what the demo's trainer, admin and learner see, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.integration.test_every_page import demo, signed_in  # noqa: F401  (the module's seeded demo)

# Each cell's column name, as the phone shows it before the value.
CELL_LABELS = """table => [...table.querySelectorAll('tbody tr')].filter(tr => !tr.querySelector('[colspan]')).map(tr =>
  [...tr.querySelectorAll('td')].filter(td => td.textContent.trim())
    .map(td => getComputedStyle(td, '::before').content.replace(/^"|"$/g, '')))"""


def _phone_of(app, browser, live_server, demo, email, locale="en-GB"):  # noqa: F811
    client = signed_in(app, demo.people[email])
    context = browser.new_context(**PHONE, base_url=live_server, locale=locale, service_workers="block")
    context.add_cookies([{"name": "session", "value": client.get_cookie("session").value, "url": live_server}])
    return context, context.new_page()


def test_a_trainer_reads_each_session_as_a_labelled_card(app, browser, live_server, demo):  # noqa: F811
    context, page = _phone_of(app, browser, live_server, demo, "trainer.newyork@northwind.example")
    try:
        page.goto("/trainer/sessions")
        table = page.locator("table").first
        expect(table).to_be_visible()
        assert page.evaluate("getComputedStyle(document.querySelector('table thead')).display") == "none"
        rows = table.evaluate(CELL_LABELS)
        assert rows, "the trainer has sessions this week"
        for labels in rows:
            assert labels[:4] == ["When: ", "Session: ", "Seats taken: ", "Waiting: "], labels
        # The actions of a row are at least 24 px tall (WCAG 2.2 target size).
        for action in page.locator("td.row-actions a").all()[:6]:
            assert action.bounding_box()["height"] >= 24, action.inner_text()
        # The form's date and time fields look like its other fields.
        page.goto("/trainer/sessions/new")
        heights = page.evaluate("""() => ['input[type=date]', 'input[type=time]', 'select', 'input[type=number]']
          .map(s => document.querySelector('main ' + s)).filter(Boolean).map(el => el.getBoundingClientRect().height)""")
        assert len(heights) >= 3 and min(heights) >= 44, heights
    finally:
        context.close()


def test_an_admin_reads_courses_and_touchpoints_as_labelled_cards(app, browser, live_server, demo):  # noqa: F811
    context, page = _phone_of(app, browser, live_server, demo, "admin@northwind.example")
    try:
        page.goto("/admin/courses")
        rows = page.locator("table").first.evaluate(CELL_LABELS)
        assert rows and all(labels[0] == "Title: " and "Language: " in labels for labels in rows), rows
        course = page.locator("table a[href^='/admin/courses/']").first.get_attribute("href")
        page.goto(course + "/touchpoints")
        rows = page.locator("table").first.evaluate(CELL_LABELS)
        assert rows and all(labels[:2] == ["Touchpoint: ", "When: "] for labels in rows), rows
    finally:
        context.close()


def test_checkboxes_keep_their_size_beside_a_label_that_wraps(app, browser, live_server, demo):  # noqa: F811
    context, page = _phone_of(app, browser, live_server, demo, "admin@northwind.example")
    try:
        page.set_viewport_size({"width": 320, "height": 640})
        page.goto("/admin/two-step")
        boxes = page.locator("main label.check input[type=checkbox]").all()
        assert boxes, "the two-step requirement has checkboxes"
        for box in boxes:
            size = box.bounding_box()
            assert size["width"] >= 19 and size["height"] >= 19, size
    finally:
        context.close()


def test_a_learner_sees_i_am_stuck_as_a_button_and_five_different_faces(app, browser, live_server, demo):  # noqa: F811
    context, page = _phone_of(app, browser, live_server, demo, "marcus.johnson@northwind.example")
    try:
        page.goto("/path")
        page.locator("a[href^='/learn/']").first.click()
        stuck = page.locator("summary#stuck-title")
        expect(stuck).to_be_visible()
        look = stuck.evaluate("el => { const s = getComputedStyle(el); return [s.borderTopStyle, s.borderTopWidth]; }")
        assert look[0] == "solid" and look[1] != "0px", look
        assert stuck.bounding_box()["height"] >= 44
        stuck.click()
        expect(page.get_by_role("button", name="Ask for help")).to_be_visible()

        page.goto(page.url.split("#")[0] + "/pulse")
        faces = page.locator("label.face svg")
        expect(faces).to_have_count(5)
        looks = faces.evaluate_all("svgs => svgs.map(s => getComputedStyle(s).color + ' ' + s.innerHTML)")
        colours = {look.split(")")[0] for look in looks}
        assert len(colours) == 5, "each face has its own colour"
        assert len(set(looks)) == 5
    finally:
        context.close()
