"""A trainer over the API changes a session's details, hands a help request to a colleague, and
marks a coaching checkpoint held: the same services and ownership rules as the desk pages."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.coaching import threads
from lxp.coaching.models import CoachAssignment
from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem
from tests.integration.api.test_api_live_coaching_tasks import journey, trainer_api
from tests.integration.test_coaching import _with_checkpoint
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    schedule,
    soon,
    trainer_fixture,
)


def test_a_trainer_changes_their_session_and_registrants_keep_their_seats(app, live_course, trainer, make_user,
                                                                          api_as):  # fmt: skip
    (session_id,) = schedule(app, trainer, live_course["live"], soon(5), capacity=3)
    learners = [api_as("learner") for _ in range(2)]
    for learner in learners:
        journey(learner, live_course["goal"])
        assert learner.post(f"/api/v1/sessions/{session_id}/registration").status_code == 201
    desk = trainer_api(app, trainer)
    changed = desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"place": "Room 7", "capacity": 2,
                                                                         "start_time": "17:00:00"})  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert (body["place"], body["capacity"], body["taken"]) == ("Room 7", 2, 2)
    local = datetime.fromisoformat(body["starts_at"]).astimezone(ZoneInfo(body["timezone"]))
    assert (local.date(), local.hour, local.minute) == (soon(5).date(), 17, 0), "the same day, an hour earlier"
    seen = learners[0].get(f"/api/v1/sessions/{session_id}").get_json()
    assert seen["place"] == "Room 7" and seen["my_status"] == "registered"
    refused = is_problem(desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"capacity": 1}), 400)
    assert refused["errors"][0]["field"] == "capacity"
    is_problem(desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"capacity": "9"}), 422)
    is_problem(desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"room": "9"}), 422)
    for far in ("9999-12-31", "0001-01-01"):  # would overflow on the way to UTC
        body = is_problem(desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"date": far,
                                                                                     "timezone": "Etc/GMT+12"}), 422)  # fmt: skip
        assert body["errors"][0]["field"] == "date"
    is_problem(desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"timezone": "Mars/Olympus"}), 400)
    other = trainer_api(app, make_user(("trainer",), email="other-trainer@example.com"))
    is_problem(other.patch(f"/api/v1/trainer/sessions/{session_id}", json={"place": "Elsewhere"}), 403)
    is_problem(learners[0].patch(f"/api/v1/trainer/sessions/{session_id}", json={"place": "Elsewhere"}), 403)
    is_problem(desk.patch("/api/v1/trainer/sessions/999999", json={"place": "Elsewhere"}), 404)
    assert learners[0].get(f"/api/v1/sessions/{session_id}").get_json()["place"] == "Room 7"
    assert desk.delete(f"/api/v1/trainer/sessions/{session_id}").status_code == 200
    is_problem(desk.patch(f"/api/v1/trainer/sessions/{session_id}", json={"place": "Room 8"}), 409)


def test_a_trainer_hands_a_help_request_to_a_colleague_who_is_told(app, live_course, trainer, make_user, api_as,
                                                                   mailbox):  # fmt: skip
    expert_id = make_user(("trainer",), email="expert@example.com", name="Eva Expert")
    learner = api_as("learner", name="Lena Learner")
    journey(learner, live_course["goal"])
    lesson = f"{live_course['course']}:listen-lesson"
    request_id = learner.post("/api/v1/help-requests", json={"item_ref": lesson, "note": "lost"}).get_json()["id"]
    desk = trainer_api(app, trainer)
    body = is_problem(desk.post(f"/api/v1/trainer/help-requests/{request_id}/hand-over", json={"trainer_id": trainer}),
                      400)  # fmt: skip
    assert body["errors"][0]["field"] == "trainer_id" and body["errors"][0]["message"]
    is_problem(desk.post(f"/api/v1/trainer/help-requests/{request_id}/hand-over",
                         json={"trainer_id": learner.user_id}), 400)  # fmt: skip
    is_problem(desk.post(f"/api/v1/trainer/help-requests/{request_id}/hand-over", json={"trainer_id": "x"}), 422)
    is_problem(learner.post(f"/api/v1/trainer/help-requests/{request_id}/hand-over",
                            json={"trainer_id": expert_id}), 403)  # fmt: skip
    mailbox.messages.clear()
    handed = desk.post(f"/api/v1/trainer/help-requests/{request_id}/hand-over",
                       json={"trainer_id": expert_id, "note": "You know this one"})  # fmt: skip
    assert handed.status_code == 200 and handed.get_json()["id"] == request_id
    [mail] = mailbox.to("expert@example.com")
    assert "You know this one" in mailbox.text_of(mail)
    expert = trainer_api(app, expert_id)
    assert [r["id"] for r in expert.get("/api/v1/trainer/help-requests").get_json()["items"]] == [request_id]
    is_problem(desk.post(f"/api/v1/trainer/help-requests/{request_id}/answer", json={"answer": "Hi"}), 404)


def test_a_coach_marks_a_checkpoint_held_and_it_is_done_on_the_path(app, make_user, api_as):
    ids = _with_checkpoint(app, make_user)
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = api_as("learner")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.user_id, coach_id=coach_id))
        db.session.commit()
    body = {"goal_ids": [ids["goal"]], "package_id": ids["package"], "weekly_minutes": 120,
            "modalities": ["self_paced", "live", "coaching", "on_the_job"]}  # fmt: skip
    assert learner.put("/api/v1/journey", json=body).status_code == 200
    coach = trainer_api(app, coach_id)
    with committing(app):
        talk = threads.open_thread(db.session.get(User, learner.user_id), ids["talk"]).id
        general = threads.open_thread(db.session.get(User, learner.user_id)).id
    stranger = trainer_api(app, make_user(("trainer",), email="stranger@example.com"))
    is_problem(stranger.post(f"/api/v1/trainer/coaching-threads/{talk}/checkpoint-held"), 404)
    is_problem(learner.post(f"/api/v1/trainer/coaching-threads/{talk}/checkpoint-held"), 403)
    is_problem(coach.post(f"/api/v1/trainer/coaching-threads/{general}/checkpoint-held"), 400)
    held = coach.post(f"/api/v1/trainer/coaching-threads/{talk}/checkpoint-held")
    assert held.status_code == 200 and held.get_json() == {"thread_id": talk, "learner_id": learner.user_id,
                                                           "item_ref": ids["talk"], "held": True}  # fmt: skip
    step = next(s for s in learner.get("/api/v1/path").get_json()["steps"] if s["ref"] == ids["talk"])
    assert step["done"] is True
    assert coach.post(f"/api/v1/trainer/coaching-threads/{talk}/checkpoint-held").status_code == 200
    with committing(app):
        completions = select(func.count()).select_from(LearningEvent).where(
            LearningEvent.verb == "completed", LearningEvent.object_id == ids["talk"])  # fmt: skip
        assert db.session.scalar(completions) == 1, "held twice is held once"
