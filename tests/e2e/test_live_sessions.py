"""A trainer schedules a live session on a desktop; a learner on a phone registers and adds it
to their calendar; the trainer marks them present, and the learner's path counts it done."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar
from playwright.sync_api import expect

from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.extensions import db
from lxp.paths import services as paths
from tests.conftest import PASSWORD, committing
from tests.integration.test_live_fixtures import live_course_fixture, plan_of  # noqa: F401  (fixture)


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_schedule_register_download_and_take_attendance(app, desktop, phone, make_user, live_course, tmp_path):
    make_user(("trainer",), email="tess@example.com", name="Tess Trainer", timezone="Europe/Berlin")
    learner_id = make_user(("learner",), email="lia@example.com", name="Lia Learner", timezone="America/New_York")
    with committing(app):
        learner = db.session.get(User, learner_id)
        paths.start_journey(learner, paths.JourneyChoice((live_course["goal"],), None, None, 120,
                                                         ("self_paced", "live")))  # fmt: skip
        unit_of_work.commit()  # the service's work, as the request would commit it
        db.session.remove()
    # In half an hour, Berlin time: attendance can be taken from an hour before the start.
    start = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=30)).replace(second=0, microsecond=0)

    _sign_in(desktop, "tess@example.com")
    desktop.get_by_role("link", name="Sessions").click()
    desktop.get_by_role("link", name="Schedule a session").click()
    desktop.get_by_label("Date", exact=True).fill(start.date().isoformat())
    desktop.get_by_label("Start time").fill(start.strftime("%H:%M"))
    expect(desktop.get_by_label("Time zone", exact=True)).to_have_value("Europe/Berlin")
    desktop.get_by_label("Duration in minutes").fill("45")
    desktop.get_by_label("Place").fill("Room 3, second floor")
    desktop.get_by_label("Seats").fill("6")
    desktop.get_by_role("button", name="Schedule", exact=True).click()
    expect(desktop.get_by_text("Scheduled 1 date.")).to_be_visible()
    expect(desktop.locator("table")).to_contain_text("0 / 6")

    _sign_in(phone, "lia@example.com")
    phone.goto("/sessions")
    card = phone.locator(".session-card").first
    expect(card).to_contain_text("Role-play lab")
    expect(phone.get_by_text("Times are shown in your time zone, America/New_York.")).to_be_visible()
    expect(card).to_contain_text("In Europe/Berlin:")  # her own time first, the session's zone beside it
    card.get_by_role("button", name="Register").click()
    expect(phone.get_by_text("You are registered. See you there!")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    card.get_by_role("heading", name="Role-play lab").get_by_role("link").click()  # its own page
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Add to calendar (.ics)").click()
    saved = Path(tmp_path) / "session.ics"
    download.value.save_as(saved)
    (event,) = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart").replace(tzinfo=None) == start.replace(tzinfo=None)
    assert str(event["location"]) == "Room 3, second floor"

    desktop.reload()
    expect(desktop.locator("table")).to_contain_text("1 / 6")
    desktop.get_by_role("link", name="Attendance").click()
    row = desktop.locator("li", has_text="Lia Learner")
    row.get_by_label("Present").check()
    desktop.get_by_role("button", name="Save attendance").click()
    expect(desktop.get_by_text("Attendance saved: 1 change.")).to_be_visible()
    step = next(s for s in plan_of(app, learner_id).steps if s.ref == live_course["live"])
    assert step.done
    assert re.search(r"/trainer/sessions/\d+/attendance$", desktop.url)
