"""Attendance on a phone, and what live sessions do to the learner's path."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    count_events,
    live_course_fixture,
    person_fixture,
    plan_of,
    register,
    schedule,
    soon,
    start_path,
    trainer_fixture,
)


def _in_half_an_hour() -> datetime:
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(second=0, microsecond=0, tzinfo=None)
    return now + timedelta(minutes=30)


def _trainer_client(app):
    client = app.test_client()
    sign_in(client, "trainer@example.com")
    return client


def _mark(client, session_id: int, marks: dict[int, str], **kwargs):
    page = client.get(f"/trainer/sessions/{session_id}/attendance").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), **{f"mark-{rid}": mark for rid, mark in marks.items()}}
    return client.post(f"/trainer/sessions/{session_id}/attendance", data=data, **kwargs)


def _registration_ids(client, session_id: int) -> list[int]:
    page = client.get(f"/trainer/sessions/{session_id}/attendance").get_data(as_text=True)
    return [int(n) for n in re.findall(r'id="registrant-(\d+)"', page)]


def _step(app, learner, ref):
    return next((s for s in plan_of(app, learner).steps if s.ref == ref), None)


def test_the_path_plans_the_live_step_on_a_real_date_or_its_alternative(app, live_course, trainer, person):
    client, learner = person()
    start_path(client, live_course)
    assert _step(app, learner, live_course["live"]) is None  # no dates yet: the self-paced alternative
    assert _step(app, learner, live_course["alt"]) is not None
    schedule(app, trainer, live_course["live"], soon(9))
    step = _step(app, learner, live_course["live"])
    assert step is not None and step.live_date == soon(9).date()
    assert _step(app, learner, live_course["alt"]) is None


def test_present_counts_as_done_and_absent_moves_the_step_to_the_next_date(app, live_course, trainer, person):
    (today_session,) = schedule(app, trainer, live_course["live"], _in_half_an_hour(), capacity=5)
    (later,) = schedule(app, trainer, live_course["live"], soon(14), capacity=5)
    ann, ann_id = person(email="ann@example.com")
    ben, ben_id = person(email="ben@example.com")
    for client in (ann, ben):
        start_path(client, live_course)
        register(client, today_session)
    tess = _trainer_client(app)
    page = tess.get(f"/trainer/sessions/{today_session}/attendance").get_data(as_text=True)
    assert "Who came?" in page and page.count('type="radio"') == 8
    ann_reg, ben_reg = _registration_ids(tess, today_session)  # by name: Person n order
    response = _mark(tess, today_session, {ann_reg: "present", ben_reg: "absent"}, follow_redirects=True)
    assert "Attendance saved: 2 changes." in response.get_data(as_text=True)

    ann_step = _step(app, ann_id, live_course["live"])
    assert ann_step.done
    ben_step = _step(app, ben_id, live_course["live"])
    assert not ben_step.done and ben_step.live_date == soon(14).date()  # the next date
    with committing(app):
        verbs = dict(db.session.execute(select(LearningEvent.actor_id, LearningEvent.verb).where(
            LearningEvent.object_id == live_course["live"])).all())  # fmt: skip
    assert verbs == {ann_id: "attended", ben_id: "missed"}
    assert later

    # A corrected mark voids the earlier event: Ann was in fact late, Ben excused.
    before = count_events(app, "voided")
    _mark(tess, today_session, {ann_reg: "late", ben_reg: "excused"})
    assert count_events(app, "voided") == before + 2
    assert _step(app, ann_id, live_course["live"]).done


def test_absent_without_another_date_falls_back_to_the_alternative(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], _in_half_an_hour())
    client, learner = person()
    start_path(client, live_course)
    register(client, session_id)
    tess = _trainer_client(app)
    (registration,) = _registration_ids(tess, session_id)
    _mark(tess, session_id, {registration: "absent"})
    assert _step(app, learner, live_course["live"]) is None
    assert _step(app, learner, live_course["alt"]) is not None


def test_attendance_opens_an_hour_before_the_start_and_takes_only_known_marks(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(3))
    client, _learner = person()
    register(client, session_id)
    tess = _trainer_client(app)
    (registration,) = _registration_ids(tess, session_id)
    page = tess.get(f"/trainer/sessions/{session_id}/attendance").get_data(as_text=True)
    # 18:00 in Berlin, and Tess is in Berlin: the form is not offered before 17:00
    assert "Attendance opens an hour before the start, at " in page and "5:00\u202fPM." in page
    assert 'type="radio"' not in page and "Save attendance" not in page
    # A save that arrives anyway (a page kept open, a second tab) keeps her ticks and says when.
    response = _mark(tess, session_id, {registration: "present"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Attendance can be taken from an hour before the start, from " in page and "5:00\u202fPM." in page
    assert f'name="mark-{registration}" value="present" checked' in page
    assert count_events(app, "attended") == 0
    (soon_session,) = schedule(app, trainer, live_course["live"], _in_half_an_hour(), place="Room 2")
    register(client, soon_session)
    (registration,) = _registration_ids(tess, soon_session)
    response = _mark(tess, soon_session, {registration: "asleep"}, follow_redirects=True)
    assert "Mark each person present, late, absent or excused." in response.get_data(as_text=True)
    assert count_events(app, "attended") == 0 and count_events(app, "missed") == 0


def test_a_learner_cannot_take_attendance(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], _in_half_an_hour())
    client, _learner = person()
    register(client, session_id)
    token = csrf_from(client.get("/sessions").get_data(as_text=True))
    response = client.post(
        f"/trainer/sessions/{session_id}/attendance", data={"csrf_token": token, "mark-1": "present"}
    )
    assert response.status_code == 403
    assert count_events(app, "attended") == 0
