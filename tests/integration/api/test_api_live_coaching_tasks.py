"""Live sessions, coaching conversations, help requests and on-the-job tasks over the API,
for learners and for trainers, with the same ownership rules as the pages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from lxp.coaching.models import CoachAssignment
from lxp.extensions import db
from lxp.workplace.models import TaskSubmission
from tests.conftest import committing
from tests.integration.api.conftest import ApiClient, is_problem, make_token, new_id
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    schedule,
    soon,
    trainer_fixture,
)
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    task_course_fixture,
    upload_dir_fixture,
)


def journey(api, goal_id):
    body = {
        "goal_ids": [goal_id],
        "weekly_minutes": 120,
        "modalities": ["self_paced", "live", "coaching", "on_the_job"],
    }
    assert api.put("/api/v1/journey", json=body).status_code == 200


def trainer_api(app, trainer_id) -> ApiClient:
    return ApiClient(app, make_token(app, trainer_id), trainer_id)


def test_a_learner_registers_for_a_session_and_gives_the_seat_back(app, live_course, trainer, api_as):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(5), capacity=1)
    api = api_as("learner")
    journey(api, live_course["goal"])
    listed = api.get("/api/v1/sessions").get_json()["items"]
    assert [s["id"] for s in listed] == [session_id] and listed[0]["my_status"] is None
    taken = api.post(f"/api/v1/sessions/{session_id}/registration")
    assert taken.status_code == 201 and taken.get_json()["status"] == "registered"
    is_problem(api.post(f"/api/v1/sessions/{session_id}/registration"), 409)
    second = api_as("learner")
    journey(second, live_course["goal"])
    assert second.post(f"/api/v1/sessions/{session_id}/registration").get_json()["status"] == "waitlisted"
    assert api.delete(f"/api/v1/sessions/{session_id}/registration").status_code == 204
    assert second.get(f"/api/v1/sessions/{session_id}").get_json()["my_status"] in ("registered", "offered")
    is_problem(api.delete(f"/api/v1/sessions/{session_id}/registration"), 409)
    is_problem(api.get("/api/v1/sessions/999999"), 404)


def test_an_overlapping_registration_is_refused_with_409_unless_confirmed(app, live_course, trainer, api_as):
    (first,) = schedule(app, trainer, live_course["live"], soon(5), place="Room 1")  # 18:00-19:00 Berlin
    (second,) = schedule(app, trainer, live_course["live"], soon(5).replace(minute=30), place="Room 2")
    api = api_as("learner", timezone="Europe/Berlin")
    journey(api, live_course["goal"])
    assert api.post(f"/api/v1/sessions/{first}/registration").status_code == 201
    refused = is_problem(api.post(f"/api/v1/sessions/{second}/registration", json={}), 409)
    assert refused["detail"].startswith("This session overlaps with \u201cRole-play lab\u201d (")
    assert "6:00\u202fPM \u2013 7:00\u202fPM), where you already hold a seat." in refused["detail"]
    assert refused["errors"][0]["field"] == "confirm_overlap"
    assert api.get(f"/api/v1/sessions/{second}").get_json()["my_status"] is None  # nothing taken
    taken = api.post(f"/api/v1/sessions/{second}/registration", json={"confirm_overlap": True})
    assert taken.status_code == 201 and taken.get_json()["status"] == "registered"
    spec = api.get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/v1/sessions/{session_id}/registration"]["post"]["requestBody"]
    assert body.get("required") is not True  # a plain POST still registers


def test_the_trainer_sees_their_sessions_and_takes_attendance(app, live_course, trainer, make_user, api_as):
    start = datetime.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None, second=0, microsecond=0) + timedelta(
        minutes=30
    )
    (session_id,) = schedule(app, trainer, live_course["live"], start)
    learner = api_as("learner", name="Lea")
    journey(learner, live_course["goal"])
    learner.post(f"/api/v1/sessions/{session_id}/registration")
    desk = trainer_api(app, trainer)
    assert [s["id"] for s in desk.get("/api/v1/trainer/sessions").get_json()["items"]] == [session_id]
    sheet = desk.get(f"/api/v1/trainer/sessions/{session_id}/attendance").get_json()
    (attendee,) = sheet["attendees"]
    assert attendee["name"] == "Lea" and attendee["attendance"] is None
    marks = {"marks": [{"registration_id": attendee["registration_id"], "attendance": "present"}]}
    marked = desk.put(f"/api/v1/trainer/sessions/{session_id}/attendance", json=marks).get_json()
    assert marked["attendees"][0]["attendance"] == "present"
    body = is_problem(desk.put(f"/api/v1/trainer/sessions/{session_id}/attendance",
                               json={"marks": [{"registration_id": attendee["registration_id"],
                                                "attendance": "asleep"}]}), 422)  # fmt: skip
    assert body["errors"][0]["field"] == "marks.0.attendance"
    other = trainer_api(app, make_user(("trainer",), email="other-trainer@example.com"))
    assert other.get("/api/v1/trainer/sessions").get_json()["items"] == []
    is_problem(other.get(f"/api/v1/trainer/sessions/{session_id}/attendance"), 403)
    is_problem(learner.get("/api/v1/trainer/sessions"), 403)


def test_a_learner_and_their_coach_talk_in_a_thread_nobody_else_can_read(app, live_course, make_user, api_as):
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = api_as("learner")
    journey(learner, live_course["goal"])
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.user_id, coach_id=coach_id))
        db.session.commit()
    thread = learner.post("/api/v1/coaching/threads", json={}).get_json()
    written = learner.post(f"/api/v1/coaching/threads/{thread['id']}/messages", json={"body": "How do I start?"})
    assert written.status_code == 201
    coach = trainer_api(app, coach_id)
    (row,) = coach.get("/api/v1/coaching/threads").get_json()["items"]
    assert row["id"] == thread["id"] and row["unread"] is True
    reply = coach.post(f"/api/v1/coaching/threads/{thread['id']}/messages", json={"body": "With a question."})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    messages = learner.get(f"/api/v1/coaching/threads/{thread['id']}").get_json()["messages"]
    assert [m["body"] for m in messages] == ["How do I start?", "With a question."]
    unread = lambda: learner.get("/api/v1/coaching/threads").get_json()["items"][0]["unread"]  # noqa: E731
    assert unread() is True  # reading the thread changed nothing
    assert learner.post(f"/api/v1/coaching/threads/{thread['id']}/read").status_code == 204
    assert unread() is False
    is_problem(coach.post(f"/api/v1/coaching/threads/{thread['id'] + 1000}/read"), 404)
    reacted = learner.post(f"/api/v1/coaching/messages/{messages[1]['id']}/reaction", json={"helped": True})
    assert reacted.get_json()["helped"] is True
    is_problem(learner.post(f"/api/v1/coaching/messages/{messages[0]['id']}/reaction", json={"helped": True}), 400)
    stranger = trainer_api(app, make_user(("trainer",), email="stranger@example.com"))
    is_problem(stranger.get(f"/api/v1/coaching/threads/{thread['id']}"), 404)
    is_problem(stranger.post(f"/api/v1/coaching/threads/{thread['id']}/messages", json={"body": "hi"}), 404)
    is_problem(learner.post(f"/api/v1/coaching/threads/{thread['id']}/messages", json={"body": ""}), 422)
    assert len(learner.get(f"/api/v1/coaching/threads/{thread['id']}").get_json()["messages"]) == 2


def test_help_requests_from_learner_to_trainer(app, live_course, trainer, api_as):
    learner = api_as("learner")
    journey(learner, live_course["goal"])
    lesson = f"{live_course['course']}:listen-lesson"
    asked = learner.post("/api/v1/help-requests", json={"item_ref": lesson, "note": "lost"})
    assert asked.status_code == 201
    assert learner.post("/api/v1/help-requests", json={"item_ref": lesson}).status_code == 200  # the same one
    desk = trainer_api(app, trainer)
    (queued,) = desk.get("/api/v1/trainer/help-requests").get_json()["items"]
    answered = desk.post(f"/api/v1/trainer/help-requests/{queued['id']}/answer", json={"answer": "Re-read step 2."})
    assert answered.get_json()["status"] == "resolved"
    mine = learner.get("/api/v1/help-requests").get_json()["items"]
    assert mine[0]["answer"] == "Re-read step 2."
    assert learner.post(f"/api/v1/help-requests/{queued['id']}/resolved").get_json()["status"] == "resolved"
    assert (
        learner.post(f"/api/v1/help-requests/{queued['id']}/helped", json={"helped": True, "mood": 4}).status_code
        == 200
    )
    is_problem(learner.post(f"/api/v1/help-requests/{queued['id']}/helped", json={"helped": False}), 409)
    is_problem(api_as("learner").post(f"/api/v1/help-requests/{queued['id']}/resolved"), 404)
    is_problem(desk.post("/api/v1/help-requests", json={"item_ref": lesson}), 403)


def test_task_evidence_is_sent_once_and_reviewed_by_the_coach_only(app, task_course, make_user, api_as):
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = api_as("learner")
    on_path(app, learner.user_id, task_course["goal"], coach_id)
    task = task_course["task"]
    assert learner.get(f"/api/v1/tasks/{task}").get_json()["tries"] == []
    draft = learner.put(f"/api/v1/tasks/{task}/draft", json={"account": "I named the feeling."})
    assert draft.get_json()["status"] == "draft"
    submission = {"id": new_id(), "account": "I named the feeling.", "links": ["https://example.com/call"]}
    sent = learner.post(f"/api/v1/tasks/{task}/submission", json=submission).get_json()
    again = learner.post(f"/api/v1/tasks/{task}/submission", json=submission).get_json()
    assert sent["status"] == "submitted" and again["id"] == sent["id"]
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(TaskSubmission)) == 1
    is_problem(learner.post(f"/api/v1/tasks/{task}/submission", json={**submission, "links": "x"}), 422)

    coach = trainer_api(app, coach_id)
    (waiting,) = coach.get("/api/v1/trainer/reviews").get_json()["items"]
    stranger = trainer_api(app, make_user(("trainer",), email="stranger@example.com"))
    verdict = {"id": new_id(), "outcome": "accepted", "ratings": [4, 3], "comment": "Well done."}
    is_problem(stranger.post(f"/api/v1/trainer/reviews/{waiting['id']}", json=verdict), 403)
    reviewed = coach.post(f"/api/v1/trainer/reviews/{waiting['id']}", json=verdict)
    assert reviewed.status_code == 201 and reviewed.get_json()["review"]["outcome"] == "accepted"
    assert learner.get(f"/api/v1/tasks/{task}").get_json()["accepted"] is True
    is_problem(learner.delete(f"/api/v1/tasks/{task}/submission"), 409)


def test_a_trainer_schedules_a_series_and_cancels_one_date(app, live_course, trainer, make_user, api_as):
    desk = trainer_api(app, trainer)
    first, second = soon(6).date(), soon(13).date()
    body = {"item_ref": live_course["live"], "dates": [first.isoformat(), second.isoformat()], "start_time": "18:00",
            "timezone": "Europe/Berlin", "duration_minutes": 60, "place": "Room 2", "capacity": 8}  # fmt: skip
    made = desk.post("/api/v1/trainer/sessions", json=body)
    assert made.status_code == 201
    sessions = made.get_json()["sessions"]
    assert [s["place"] for s in sessions] == ["Room 2", "Room 2"] and sessions[0]["title"] == "Role-play lab"
    learner = api_as("learner")
    journey(learner, live_course["goal"])
    assert {s["id"] for s in learner.get("/api/v1/sessions").get_json()["items"]} == {s["id"] for s in sessions}

    refused = is_problem(desk.post("/api/v1/trainer/sessions", json={**body, "place": "", "video_url": None}), 400)
    assert refused["detail"]
    is_problem(desk.post("/api/v1/trainer/sessions", json={**body, "item_ref": f"{live_course['course']}:nope"}), 404)
    is_problem(desk.post("/api/v1/trainer/sessions", json={**body, "dates": ["someday"]}), 422)
    other = trainer_api(app, make_user(("trainer",), email="other-trainer@example.com"))
    is_problem(other.delete(f"/api/v1/trainer/sessions/{sessions[0]['id']}"), 403)
    cancelled = desk.delete(f"/api/v1/trainer/sessions/{sessions[0]['id']}")
    assert cancelled.get_json()["status"] == "cancelled"
    is_problem(desk.delete(f"/api/v1/trainer/sessions/{sessions[0]['id']}"), 409)
    assert len(desk.get("/api/v1/trainer/sessions").get_json()["items"]) == 2


def test_photos_are_added_to_the_draft_checked_by_their_content(app, task_course, make_user, api_as):
    from io import BytesIO

    from tests.integration.test_workplace_fixtures import png

    learner = api_as("learner")
    on_path(app, learner.user_id, task_course["goal"], make_user(("trainer",), email="coach@example.com"))
    task = task_course["task"]
    learner.put(f"/api/v1/tasks/{task}/draft", json={"account": "Kept while photos are added."})
    added = learner.client.post(f"/api/v1/tasks/{task}/files", headers=learner.headers(),
                                data={"file": (BytesIO(png()), "whiteboard.png")}, content_type="multipart/form-data")  # fmt: skip
    assert added.status_code == 201, added.get_data(as_text=True)
    body = added.get_json()
    (stored,) = body["files"]
    assert stored["name"] == "whiteboard.png" and stored["content_type"] == "image/png"
    assert body["tries"][0]["account"] == "Kept while photos are added."
    refused = learner.client.post(f"/api/v1/tasks/{task}/files", headers=learner.headers(),
                                  data={"file": (BytesIO(b"MZ\x90\x00binary"), "cat.jpg")},
                                  content_type="multipart/form-data")  # fmt: skip
    assert is_problem(refused, 400)["errors"][0]["field"] == "files"
    is_problem(learner.client.post(f"/api/v1/tasks/{task}/files", headers=learner.headers()), 422)
    assert learner.delete(f"/api/v1/tasks/{task}/files/{stored['id']}").get_json()["files"] == []
    is_problem(api_as("learner").delete(f"/api/v1/tasks/{task}/files/{stored['id']}"), 404)
