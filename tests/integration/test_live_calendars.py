"""Calendar files and private feeds, parsed with icalendar as a calendar app would."""

import re
from datetime import UTC, datetime, time, timedelta

from icalendar import Calendar

from lxp.accounts.models import User
from lxp.extensions import db
from lxp.live import scheduling
from tests.conftest import committing, csrf_from, sign_in
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    next_dst_nights,
    person_fixture,
    register,
    schedule,
    soon,
    trainer_fixture,
)


def _events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def _feed_address(client) -> str:
    page = client.get("/calendar").get_data(as_text=True)
    response = client.post("/calendar", data={"csrf_token": csrf_from(page)})
    match = re.search(r'id="feed-address" type="text" readonly value="http://lxp\.test(/calendar/feed/[^"]+)"',
                      response.get_data(as_text=True))  # fmt: skip
    assert match, "no feed address on the page"
    return match.group(1)


def test_a_session_downloads_as_ics_with_its_zone(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(5, 18), video_url="https://meet.example/abc")
    client, _id = person()
    response = client.get(f"/sessions/{session_id}.ics")
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    (event,) = _events(response.data).values()
    start = event.decoded("dtstart")
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert (start.hour, start.minute, str(start.tzinfo)) == (18, 0, "Europe/Berlin")
    assert event.decoded("dtend") - start == timedelta(hours=1)
    assert str(event["summary"]) == "Role-play lab" and str(event["status"]) == "CONFIRMED"
    assert int(event["sequence"]) == 0 and str(event["location"]) == "Room 1"
    assert "Europe/Berlin" in [str(tz["tzid"]) for tz in Calendar.from_ical(response.data).walk("VTIMEZONE")]
    assert "meet.example" not in response.get_data(as_text=True)  # the video link is for registered people
    register(client, session_id)
    (event,) = _events(client.get(f"/sessions/{session_id}.ics").data).values()
    assert str(event["url"]) == "https://meet.example/abc"


def test_the_private_feed_follows_changes_and_cancellations(app, live_course, trainer, person):
    first, second = schedule(app, trainer, live_course["live"], soon(5), extra_days=[soon(12).date()])
    schedule(app, trainer, live_course["live"], soon(20))
    client, learner = person()
    register(client, first)
    register(client, second)
    address = _feed_address(client)
    anonymous = app.test_client()
    events = _events(anonymous.get(address).data)
    assert len(events) == 2  # only the sessions they hold a seat on
    uid = next(u for u, e in events.items() if e.decoded("dtstart").date() == soon(5).date())

    with committing(app):
        tess = db.session.get(User, trainer)
        scheduling.update_session(tess, first, scheduling.SessionDetails(
            dates=(soon(5).date(),), start_time=time(19, 30), timezone="Europe/Berlin", duration_minutes=60,
            place="Room 9", capacity=10))  # fmt: skip
        scheduling.cancel_session(tess, second)
    events = _events(anonymous.get(address).data)
    moved = events[uid]
    assert int(moved["sequence"]) == 1 and str(moved["location"]) == "Room 9"
    assert moved.decoded("dtstart").time() == time(19, 30) and str(moved["status"]) == "CONFIRMED"
    (cancelled,) = [e for u, e in events.items() if u != uid]
    assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) == 1

    # The trainer's feed has every session they teach, a colleague's has none of them.
    trainer_client = app.test_client()
    sign_in(trainer_client, "trainer@example.com")
    assert len(_events(anonymous.get(_feed_address(trainer_client)).data)) == 3
    colleague, _cid = person(("trainer",), email="co@example.com")
    assert _events(anonymous.get(_feed_address(colleague)).data) == {}


def test_a_reset_feed_address_replaces_the_old_one_and_bad_tokens_find_nothing(app, live_course, trainer, person):
    client, _id = person()
    old = _feed_address(client)
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 200
    page = client.get("/calendar").get_data(as_text=True)
    assert "You have a calendar address." in page and old.rsplit("/", 1)[1] not in page  # shown once only
    new = _feed_address(client)
    assert new != old
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    assert anonymous.get("/calendar/feed/not-a-token.ics").status_code == 404


def test_an_end_in_the_repeated_hour_is_written_in_utc(app, live_course, trainer, person):
    _forward, back = next_dst_nights()
    (session_id,) = schedule(app, trainer, live_course["live"], datetime.combine(back, time(1, 30)), minutes=90)
    client, _id = person(timezone="America/New_York")
    (event,) = _events(client.get(f"/sessions/{session_id}.ics").data).values()
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart").astimezone(UTC) == datetime.combine(back, time(1, 30)).replace(
        tzinfo=UTC) - timedelta(hours=2)  # fmt: skip
    # 01:30 summer time + 90 minutes is the second 02:00: written in UTC, so it cannot be misread.
    assert event.decoded("dtend") == datetime.combine(back, time(1, 0), tzinfo=UTC)
