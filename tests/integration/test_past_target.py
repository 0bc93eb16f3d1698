"""Issue #13: a learner whose target date has passed keeps a working path.

Past the target with nothing left, the planner used to fail: the learner's last completion was
rolled back, Today, the path page and the API answered 500, and a trainer scheduling a new
date of the course's live session got a 500 too (scheduling plans the course's learners again).
"""

import re
from datetime import date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.live.models import LiveSession
from lxp.paths import services as paths
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    trainer_fixture,
)


def _start(client, live_course, target: date):
    response = submit(client, "/path/goals", {
        "goals": [str(live_course["goal"])], "package": "", "weekly_minutes": "120", "target_date": target.isoformat(),
        "modalities": ["self_paced", "live", "coaching", "on_the_job"]})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)


def _do(client, ref: str) -> None:
    """Do the step as the block page offers it and see it done: a lesson completed leads on to
    its "how did it feel?" question; a quiz answered rightly shows that it passed."""
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="([^"]+)"', page).group(1)
    quiz = 'name="q1"' in page
    response = client.post(f"/learn/{ref}", data={"csrf_token": csrf_from(page), "event_id": event_id,
                                                  "started_at": "0", **({"q1": "0"} if quiz else {})})  # fmt: skip
    if quiz:
        assert response.status_code == 200 and '<p class="result ok"' in response.get_data(as_text=True), ref
    else:
        assert response.status_code == 302 and response.headers["Location"] == f"/learn/{ref}/pulse", ref


def _open_refs(app, learner_id: int) -> list[str]:
    with committing(app):
        journey = paths.open_journey(db.session.get(User, learner_id))
        return [s.ref for s in paths.current_plan(journey).open_steps]


def _completed(app, learner_id: int) -> set[str]:
    with committing(app):
        return set(db.session.execute(select(LearningEvent.object_id).where(
            LearningEvent.actor_id == learner_id, LearningEvent.verb.in_(("completed", "passed")))).scalars())  # fmt: skip


def _schedule_form(live_course, when: datetime) -> dict:
    return {"item": live_course["live"], "day": when.date().isoformat(), "start_time": when.strftime("%H:%M"),
            "timezone": "Europe/Berlin", "duration_minutes": "60", "place": "Room 4", "video_url": "",
            "capacity": "8", "deadline_hours": "2", "promotion": "immediate", "claim_hours": "24"}  # fmt: skip


def test_past_the_target_the_last_step_completes_and_every_page_says_the_path_is_finished(
    app, live_course, person, trainer
):
    client, learner = person(email="late@example.com")
    target = date.today() + timedelta(days=3)
    _start(client, live_course, target)
    steps = _open_refs(app, learner)
    assert len(steps) >= 2 and live_course["alt"] in steps  # the live lab has no date: its alternative stands in
    for ref in steps[:-1]:
        _do(client, ref)
    (last,) = _open_refs(app, learner)

    with time_machine.travel(datetime.combine(target + timedelta(days=12), time(10)), tick=True):
        assert sign_in(client, "late@example.com").status_code == 302  # the session idled out meanwhile
        _do(client, last)
        assert last in _completed(app, learner)  # not rolled back
        assert _open_refs(app, learner) == []

        today = client.get("/today")
        assert today.status_code == 200
        assert "You have done every step of your path." in today.get_data(as_text=True)
        path = client.get("/path")
        assert path.status_code == 200
        page = path.get_data(as_text=True)
        assert "You have finished your path: every step is done." in page and "you finish on" not in page
        api = client.get("/api/v1/path")
        assert api.status_code == 200, api.get_data(as_text=True)
        feasibility = api.get_json()["feasibility"]
        assert feasibility["status"] == "finished" and feasibility["finished"] and feasibility["reachable"]
        assert feasibility["target_passed"] and feasibility["weekly_minutes_needed"] is None
        assert feasibility["text"] == "You have finished your path: every step is done."
        assert client.get("/api/v1/today").status_code == 200

        # A trainer schedules a new date of the course's live session: the course's learners are
        # planned again, this one included.
        trainer_client = app.test_client()
        with committing(app):
            trainer_email = db.session.get(User, trainer).email
        assert sign_in(trainer_client, trainer_email).status_code == 302
        when = datetime.combine(date.today() + timedelta(days=5), time(9))
        response = submit(trainer_client, "/trainer/sessions/new", _schedule_form(live_course, when))
        assert response.status_code == 302, response.get_data(as_text=True)
        with committing(app):
            assert db.session.execute(select(LiveSession.item_key)).scalars().all() == ["roleplay-live"]
        assert client.get("/path").status_code == 200


def test_a_trainer_schedules_a_new_date_for_a_course_whose_learner_finished_before_the_target_passed(
    app, live_course, person, trainer
):
    client, learner = person(email="early@example.com")
    target = date.today() + timedelta(days=2)
    _start(client, live_course, target)
    for ref in _open_refs(app, learner):
        _do(client, ref)
    assert _open_refs(app, learner) == []
    trainer_client, _ = person(("trainer",), email="tess@example.com", timezone="Europe/Berlin")
    with time_machine.travel(datetime.combine(target + timedelta(days=20), time(10)), tick=True):
        assert sign_in(trainer_client, "tess@example.com").status_code == 302
        when = datetime.combine(date.today() + timedelta(days=5), time(9))
        response = submit(trainer_client, "/trainer/sessions/new", _schedule_form(live_course, when))
        assert response.status_code == 302, response.get_data(as_text=True)
        with committing(app):
            journey = paths.open_journey(db.session.get(User, learner))
            assert journey.plan["feasibility"]["finished"] is True  # planned again, and said so


def test_past_the_target_with_work_left_the_path_says_it_is_late_and_that_minutes_will_not_help(
    app, live_course, person
):
    client, learner = person(email="behind@example.com", locale="de")
    target = date.today() + timedelta(days=2)
    _start(client, live_course, target)

    with time_machine.travel(datetime.combine(target + timedelta(days=9), time(10)), tick=True):
        assert sign_in(client, "behind@example.com").status_code == 302
        page = client.get("/path").get_data(as_text=True)
        assert "ist vorbei; in Ihrem Tempo sind Sie am" in page and "Wählen Sie ein neues Zieldatum." in page
        today = client.get("/today").get_data(as_text=True)
        assert 'data-outlook="late"' in today and "ist vorbei" in today
        feasibility = client.get("/api/v1/path").get_json()["feasibility"]
        assert feasibility["status"] == "late" and not feasibility["reachable"] and feasibility["target_passed"]
        assert feasibility["late_by_days"] >= 9 and feasibility["weekly_minutes_needed"] is None
        assert "ist vorbei" in feasibility["text"]
        _do(client, _open_refs(app, learner)[0])  # learning goes on
        assert client.get("/path").status_code == 200


def test_a_path_paused_past_its_target_still_opens(app, live_course, person):
    client, learner = person(email="paused@example.com")
    target = date.today() + timedelta(days=2)
    _start(client, live_course, target)
    for ref in _open_refs(app, learner):
        _do(client, ref)
    submit(client, "/path/pause", {}, form_page="/path")
    with time_machine.travel(datetime.combine(target + timedelta(days=30), time(10)), tick=True):
        assert sign_in(client, "paused@example.com").status_code == 302
        assert client.get("/today").status_code == 200
        page = client.get("/path").get_data(as_text=True)
        assert "You have finished your path" in page and "Resume my path" in page
        assert submit(client, "/path/pause", {"resume": "1"}, form_page="/path").status_code == 302
        assert "You have finished your path" in client.get("/path").get_data(as_text=True)
