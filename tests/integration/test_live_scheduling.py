"""Trainers schedule live sessions, change and cancel them; registrants hear about it once;
the schedule page; the nights the clocks change; who may do what."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.errors import Conflict
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.live import scheduling
from lxp.live.models import LiveSession
from tests.conftest import committing, csrf_from, submit
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    count_events,
    live_course_fixture,
    next_dst_nights,
    person_fixture,
    plan_of,
    post_on,
    register,
    schedule,
    session_row,
    soon,
    start_path,
    statuses,
    trainer_fixture,
)


def _form(live_course, when: datetime, **fields):
    data = {"item": live_course["live"], "day": when.date().isoformat(), "start_time": when.strftime("%H:%M"),
            "timezone": "Europe/Berlin", "duration_minutes": "90", "place": "Room 4", "video_url": "",
            "capacity": "8", "deadline_hours": "2", "promotion": "immediate", "claim_hours": "24"}  # fmt: skip
    data.update(fields)
    return data


def _sessions(app):
    with committing(app):
        rows = db.session.execute(select(LiveSession).order_by(LiveSession.starts_at)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_trainer_schedules_a_series_in_their_zone_and_sees_it_by_week(app, live_course, person):
    client, trainer_id = person(("trainer",), timezone="Europe/Berlin")
    page = client.get("/trainer/sessions/new").get_data(as_text=True)
    assert "Role-play lab" in page and 'selected value="Europe/Berlin"' in page  # the trainer's zone by default
    first = soon(10, 9)
    response = submit(client, "/trainer/sessions/new", _form(live_course, first, **{
        "extra_dates-0": (first + timedelta(days=7)).date().isoformat(), "promotion": "claim", "claim_hours": "12"}))  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    sessions = _sessions(app)
    assert len(sessions) == 2 and sessions[0].series_id and sessions[0].series_id == sessions[1].series_id
    berlin = sessions[0].starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert (berlin.hour, berlin.minute) == (9, 0) and sessions[0].timezone == "Europe/Berlin"
    assert sessions[0].ends_at - sessions[0].starts_at == timedelta(minutes=90)
    assert sessions[0].registration_deadline == sessions[0].starts_at - timedelta(hours=2)
    assert sessions[0].claim_hours == 12 and sessions[0].capacity == 8
    schedule_page = client.get("/trainer/sessions").get_data(as_text=True)
    assert schedule_page.count("Week of") == 2 and "0 / 8" in schedule_page and "9:00\u202fAM" in schedule_page


def test_bad_scheduling_input_is_refused_with_a_message(app, live_course, person):
    client, _id = person(("trainer",), timezone="Europe/Berlin")

    def refused(message, **fields):
        response = submit(client, "/trainer/sessions/new", _form(live_course, soon(5), **fields),
                          form_page="/trainer/sessions/new")  # fmt: skip
        assert response.status_code == 400 and message in response.get_data(as_text=True), message

    refused("Give a place, a video link, or both.", place="")
    refused("Give the video link as a full web address starting with https://.", video_url="zoom meeting 123")
    refused("has passed. Choose a time in the future.", day=(utcnow() - timedelta(days=1)).date().isoformat())
    refused("Choose a live session from a published course.", item=f"{live_course['course']}:listen-lesson")
    assert _sessions(app) == []


def test_the_night_clocks_go_forward_a_missing_time_is_refused(app, live_course, person):
    forward, _back = next_dst_nights()
    client, _id = person(("trainer",), timezone="Europe/Berlin")
    response = submit(client, "/trainer/sessions/new",
                      _form(live_course, datetime.combine(forward, time(2, 30)), deadline_hours="0"))  # fmt: skip
    assert response.status_code == 400
    assert (f"2:30\u202fAM does not exist on {forward.strftime('%b %-d, %Y')} in Europe/Berlin: the clocks go "
            "forward that night."
            in response.get_data(as_text=True))  # fmt: skip
    assert _sessions(app) == []


def test_the_night_clocks_go_back_a_repeated_time_is_the_first_and_every_viewer_sees_their_own(app, live_course,
                                                                                               person):  # fmt: skip
    _forward, back = next_dst_nights()
    client, _id = person(("trainer",), timezone="Europe/Berlin")
    response = submit(client, "/trainer/sessions/new",
                      _form(live_course, datetime.combine(back, time(2, 30)), duration_minutes="60"),
                      follow_redirects=True)  # fmt: skip
    assert "the session starts at the first one (still summer time)" in response.get_data(as_text=True)
    (session,) = _sessions(app)
    # 02:30 summer time (UTC+2) is 00:30 UTC; an hour later it is 02:30 again, in winter time.
    assert session.starts_at == datetime.combine(back, time(0, 30), tzinfo=UTC)
    assert session.ends_at == datetime.combine(back, time(1, 30), tzinfo=UTC)
    seen = {}
    for zone in ("Europe/Berlin", "Europe/Moscow", "America/New_York"):
        viewer, _vid = person(timezone=zone, email=f"viewer-{zone.replace('/', '-').lower()}@example.com")
        page = viewer.get(f"/sessions/{session.id}").get_data(as_text=True)
        seen[zone] = re.search(r'<span class="step-meta">(.*?) \u2013 (.*?)</span>', page).groups()
    # the clocks change during the Berlin session, so both times name their offset
    assert seen["Europe/Berlin"][0].endswith("2:30\u202fAM +0200")
    assert seen["Europe/Berlin"][1] == "2:30\u202fAM +0100"  # the second 02:30, an hour later
    assert seen["Europe/Moscow"][0].endswith("3:30\u202fAM") and seen["Europe/Moscow"][1] == "4:30\u202fAM"
    # New York is still on summer time that night: 00:30 UTC is 20:30 the evening before.
    assert (back - timedelta(days=1)).strftime("%b %-d") in seen["America/New_York"][0]
    assert seen["America/New_York"][0].endswith("8:30\u202fPM") and seen["America/New_York"][1] == "9:30\u202fPM"
    assert all(":00\u202f" not in f"{start} {end}" for start, end in seen.values())  # no seconds


def test_edits_tell_registrants_once_after_they_settle(app, live_course, trainer, person, mailbox):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(8))
    learners = [
        person(email=f"l{n}@example.com", locale="de" if n == 0 else None, timezone="Europe/Berlin") for n in range(2)
    ]
    for client, _id in learners:
        register(client, session_id)
    mailbox.messages.clear()  # the confirmations of the seats
    with committing(app):
        tess = db.session.get(User, trainer)
        base = scheduling.SessionDetails(dates=(soon(8).date(),), start_time=time(19, 0), timezone="Europe/Berlin",
                                   duration_minutes=60, place="Room 1", capacity=10)  # fmt: skip
        scheduling.update_session(tess, session_id, base)
        scheduling.update_session(tess, session_id, scheduling.SessionDetails(**{**base.__dict__, "place": "Room 7"}))
        assert scheduling.send_pending_session_updates(utcnow()) == 0  # the trainer may still be editing
        assert mailbox.messages == []
        assert scheduling.send_pending_session_updates(utcnow() + timedelta(minutes=6)) == 2
        assert scheduling.send_pending_session_updates(utcnow() + timedelta(minutes=12)) == 0
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == ["l0@example.com", "l1@example.com"]
    english = mailbox.to("l1@example.com")[0]
    assert english["Subject"] == "Changed: Role-play lab"
    assert "Where: Room 7" in mailbox.text_of(english)
    assert ", 7:00\u202fPM to 8:00\u202fPM (Europe/Berlin)" in mailbox.text_of(english)  # no seconds
    german = mailbox.to("l0@example.com")[0]
    assert "Raum" not in german["Subject"]  # her locale, her zone, her date format, no seconds:
    assert re.search(r"Wann: \d\d\.\d\d\.\d{4}, 19:00 bis 20:00 \(Europe/Berlin\)", mailbox.text_of(german))
    assert session_row(app, session_id).sequence == 2
    with committing(app):
        updates = db.session.execute(select(LearningEvent).where(LearningEvent.verb == "updated")).scalars().all()
        assert len(updates) == 2 and updates[1].context["changes"]["place"] == ["Room 1", "Room 7"]


def test_capacity_below_the_seats_taken_is_refused_with_the_number(app, live_course, person):
    client, trainer_id = person(("trainer",), timezone="Europe/Berlin")
    (session_id,) = schedule(app, trainer_id, live_course["live"], soon(), capacity=5)
    for n in range(3):
        register(person(email=f"s{n}@example.com")[0], session_id)
    page = f"/trainer/sessions/{session_id}/edit"
    form = client.get(page).get_data(as_text=True)
    data = {"day": soon().date().isoformat(), "start_time": "18:00", "timezone": "Europe/Berlin",
            "duration_minutes": "60", "place": "Room 1", "capacity": "2", "deadline_hours": "0",
            "promotion": "immediate", "claim_hours": "24", "csrf_token": csrf_from(form)}  # fmt: skip
    response = client.post(page, data=data)
    assert response.status_code == 400
    assert "3 people already hold a seat: the capacity cannot be lower than that." in response.get_data(as_text=True)
    assert session_row(app, session_id).capacity == 5 and session_row(app, session_id).sequence == 0


def test_a_trainer_cannot_change_another_trainers_session_nor_another_organisations(app, live_course, trainer,
                                                                                    person, other_organisation):  # fmt: skip
    (session_id,) = schedule(app, trainer, live_course["live"], soon())
    colleague, _cid = person(("trainer",))
    response = colleague.get(f"/trainer/sessions/{session_id}/edit")
    assert response.status_code == 403
    assert "Only the trainers of this session can change it" in response.get_data(as_text=True)
    token = csrf_from(colleague.get("/trainer/sessions").get_data(as_text=True))
    assert colleague.post(f"/trainer/sessions/{session_id}/cancel", data={"csrf_token": token}).status_code == 403
    assert colleague.post(f"/trainer/sessions/{session_id}/edit", data={"csrf_token": token, "capacity": "1"}
                          ).status_code == 403  # fmt: skip
    stranger, _sid = person(("trainer",), organisation_id=other_organisation)
    assert stranger.get(f"/trainer/sessions/{session_id}/edit").status_code == 404
    assert stranger.get(f"/sessions/{session_id}.ics").status_code == 404
    row = session_row(app, session_id)
    assert row.status == "scheduled" and row.capacity == 10 and row.sequence == 0


def test_cancelling_tells_everyone_and_moves_their_paths_to_the_alternative(app, live_course, trainer, person,
                                                                           mailbox):  # fmt: skip
    (session_id,) = schedule(app, trainer, live_course["live"], soon(3), capacity=1)
    client, learner = person(email="keen@example.com")
    start_path(client, live_course)
    register(client, session_id)
    waiting, _wid = person(email="waiting@example.com")
    register(waiting, session_id)
    mailbox.messages.clear()  # the confirmation of the seat
    step = next(s for s in plan_of(app, learner).steps if s.ref == live_course["live"])
    assert step.live_date == soon(3).date()
    with committing(app):
        scheduling.cancel_session(db.session.get(User, trainer), session_id)
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == ["keen@example.com", "waiting@example.com"]
    assert mailbox.messages[0]["Subject"] == "Cancelled: Role-play lab"
    refs = [s.ref for s in plan_of(app, learner).steps]
    assert live_course["live"] not in refs and live_course["alt"] in refs
    page = client.get("/sessions").get_data(as_text=True)
    assert "Cancelled" in page
    assert count_events(app, "cancelled") == 1
    with app.app_context(), pytest.raises(Conflict, match="cancelled already"):
        scheduling.cancel_session(db.session.get(User, trainer), session_id)
    assert statuses(app, session_id) == {learner: "registered", _wid: "waitlisted"}


def test_the_schedule_warns_of_overlapping_sessions(app, live_course, person):
    client, trainer_id = person(("trainer",), timezone="Europe/Berlin")
    schedule(app, trainer_id, live_course["live"], soon(4, 10), minutes=90)
    schedule(app, trainer_id, live_course["live"], soon(4, 11), minutes=60, place="Room 2")
    schedule(app, trainer_id, live_course["live"], soon(4, 15), minutes=60, place="Room 3")
    page = client.get("/trainer/sessions").get_data(as_text=True)
    assert page.count("Overlap: ") == 1 and "10:00" in page and "11:00" in page


def test_pages_of_the_live_sessions_check_roles(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], soon())
    learner, _lid = person()
    assert learner.get("/trainer/sessions").status_code == 403
    assert learner.get(f"/trainer/sessions/{session_id}/attendance").status_code == 403
    token = csrf_from(learner.get("/sessions").get_data(as_text=True))
    assert learner.post(f"/trainer/sessions/{session_id}/attendance", data={"csrf_token": token}).status_code == 403
