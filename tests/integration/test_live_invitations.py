"""Calendar invitations in the session mails, read as calendar clients read them: registering
adds the session (METHOD:REQUEST), a move updates it (same UID, higher SEQUENCE), a cancellation
removes it (METHOD:CANCEL). Each invitation is parsed by two independent parsers, icalendar and
vobject, and its UID and SEQUENCE are those of the private feed."""

from __future__ import annotations

import re
from datetime import time, timedelta

import vobject
from icalendar import Calendar

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.live import scheduling
from tests.conftest import committing, csrf_from
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    post_on,
    register,
    schedule,
    soon,
    trainer_fixture,
)


def _invitation(message) -> tuple[str, bytes]:
    """(the METHOD parameter of the text/calendar part, the .ics attachment) of one mail."""
    [calendar_part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    [attachment] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert calendar_part.get_content().encode() == attachment.get_content()
    return calendar_part.get_param("method"), attachment.get_content()


def _read_both(ics: bytes) -> dict[str, object]:
    """What a calendar client acts on, read by icalendar and by vobject; both must agree."""
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    calendar = Calendar.from_ical(ics)
    other = vobject.readOne(ics.decode("utf-8"))
    seen = {
        "method": str(calendar["method"]),
        "uid": str(event["uid"]),
        "sequence": int(event["sequence"]),
        "status": str(event["status"]),
        "start": event.decoded("dtstart"),
        "organizer": str(event["organizer"]).lower(),
        "attendee": str(event["attendee"]).lower(),
        "partstat": event["attendee"].params["PARTSTAT"],
        "rsvp": event["attendee"].params["RSVP"],
        "url": str(event["url"]),
    }
    assert {
        "method": other.method.value,
        "uid": other.vevent.uid.value,
        "sequence": int(other.vevent.sequence.value),
        "status": other.vevent.status.value,
        "start": other.vevent.dtstart.value,
        "organizer": other.vevent.organizer.value.lower(),
        "attendee": other.vevent.attendee.value.lower(),
        "partstat": other.vevent.attendee.params["PARTSTAT"][0],
        "rsvp": other.vevent.attendee.params["RSVP"][0],
        "url": other.vevent.url.value,
    } == seen
    return seen


def _feed(app, client) -> dict[str, object]:
    page = client.get("/calendar").get_data(as_text=True)
    response = client.post("/calendar", data={"csrf_token": csrf_from(page)})
    address = re.search(r'value="http://lxp\.test(/calendar/feed/[^"]+)"', response.get_data(as_text=True)).group(1)
    body = app.test_client().get(address).data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body and b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    feed = vobject.readOne(body.decode("utf-8"))
    assert feed.contents["refresh-interval"][0].value == "PT1H"
    return {event.uid.value: int(event.sequence.value) for event in feed.vevent_list}


def test_register_move_cancel_add_update_and_remove_the_calendar_entry(app, live_course, trainer, person, mailbox):
    (session_id,) = schedule(
        app, trainer, live_course["live"], soon(6), video_url="https://meet.exämple.com/räume-1?für=alle"
    )
    client, _learner = person(email="lea@example.com", name="Lea Lernt", locale="de")
    waiting, _waiting_id = person(email="wait@example.com")
    register(client, session_id)

    (mail,) = mailbox.to("lea@example.com")
    assert str(mail["Subject"]) == "Sie sind angemeldet: Role-play lab"
    method, ics = _invitation(mail)
    added = _read_both(ics)
    assert method == added["method"] == "REQUEST" and added["status"] == "CONFIRMED"
    assert added["organizer"] == "mailto:trainer@example.com" and added["attendee"] == "mailto:lea@example.com"
    assert (added["partstat"], added["rsvp"]) == ("ACCEPTED", "FALSE")
    assert added["url"] == "https://meet.xn--exmple-cua.com/r%C3%A4ume-1?f%C3%BCr=alle" and added["url"].isascii()
    assert _feed(app, client) == {added["uid"]: added["sequence"]} == {added["uid"]: 0}

    mailbox.messages.clear()
    with committing(app):
        scheduling.update_session(db.session.get(User, trainer), session_id, scheduling.SessionDetails(
            dates=(soon(6).date(),), start_time=time(19, 30), timezone="Europe/Berlin", duration_minutes=60,
            place="Room 9", video_url="https://meet.exämple.com/räume-1?für=alle", capacity=10))  # fmt: skip
    with committing(app):
        scheduling.send_pending_session_updates(utcnow() + timedelta(minutes=scheduling.UPDATE_QUIET_MINUTES))
    (mail,) = mailbox.to("lea@example.com")
    method, ics = _invitation(mail)
    moved = _read_both(ics)
    assert method == moved["method"] == "REQUEST"
    assert moved["uid"] == added["uid"] and moved["sequence"] == added["sequence"] + 1
    assert moved["start"].time() == time(19, 30)
    assert _feed(app, client) == {moved["uid"]: moved["sequence"]}

    register(waiting, session_id)
    mailbox.messages.clear()
    with committing(app):
        scheduling.cancel_session(db.session.get(User, trainer), session_id)
    (mail,) = mailbox.to("lea@example.com")
    method, ics = _invitation(mail)
    removed = _read_both(ics)
    assert method == removed["method"] == "CANCEL" and removed["status"] == "CANCELLED"
    assert removed["uid"] == added["uid"] and removed["sequence"] == moved["sequence"] + 1
    assert _feed(app, client) == {removed["uid"]: removed["sequence"]}
    assert "meet.xn--exmple-cua.com" not in ics.decode()  # no video link on a cancelled session


def test_a_waitlist_place_is_not_put_in_the_calendar(app, live_course, trainer, person, mailbox):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(6), capacity=1)
    first, _first_id = person(email="first@example.com")
    second, _second_id = person(email="second@example.com")
    register(first, session_id)
    register(second, session_id)
    assert [m["X-Envelope-To"] for m in mailbox.messages] == ["first@example.com"]
    mailbox.messages.clear()
    with committing(app):
        scheduling.cancel_session(db.session.get(User, trainer), session_id)
    by_person = {m["X-Envelope-To"]: m for m in mailbox.messages}
    assert _invitation(by_person["first@example.com"])[0] == "CANCEL"
    assert not [p for p in by_person["second@example.com"].walk() if p.get_content_type() == "text/calendar"]


def test_giving_up_a_seat_takes_it_out_of_the_calendar_and_taking_it_again_puts_it_back(
    app, live_course, trainer, person, mailbox
):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(6))
    client, _id = person(email="lea@example.com", locale="ru")
    register(client, session_id)
    added = _read_both(_invitation(mailbox.to("lea@example.com")[-1])[1])
    post_on(client, f"/sessions/{session_id}", f"/sessions/{session_id}/cancel-registration")
    mail = mailbox.to("lea@example.com")[-1]
    assert str(mail["Subject"]) == "Место освобождено: Role-play lab"
    method, ics = _invitation(mail)
    removed = _read_both(ics)
    assert method == removed["method"] == "CANCEL" and removed["status"] == "CANCELLED"
    assert (removed["uid"], removed["sequence"]) == (added["uid"], added["sequence"])
    register(client, session_id)
    method, ics = _invitation(mailbox.to("lea@example.com")[-1])
    again = _read_both(ics)
    assert method == "REQUEST" and (again["uid"], again["sequence"]) == (added["uid"], added["sequence"])
    stamps = [Calendar.from_ical(i).walk("VEVENT")[0].decoded("dtstamp") for i in (ics, _invitation(mail)[1])]
    assert stamps[0] >= stamps[1]  # the newer message of the same SEQUENCE, as iTIP orders them
    assert len(mailbox.to("lea@example.com")) == 3
