"""The learner's side over the API: choosing goals, the path with reasons, Today (with ETags
a phone can poll), block content, idempotent progress events, pulse and NPS, the inbox."""

from sqlalchemy import func, select

from lxp.channels import in_app
from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem, new_id


def choose(api, published, **fields):
    body = {"goal_ids": [published["goal"]], "weekly_minutes": 60,
            "modalities": ["self_paced", "live", "coaching", "on_the_job"], **fields}  # fmt: skip
    return api.put("/api/v1/journey", json=body)


def count_events(app, **where) -> int:
    with committing(app):
        statement = select(func.count()).select_from(LearningEvent)
        for key, value in where.items():
            statement = statement.where(getattr(LearningEvent, key) == value)
        return db.session.scalar(statement)


def test_a_learner_chooses_a_goal_and_reads_the_path_with_its_reasons(app, published, api_as):
    api = api_as("learner")
    goals = api.get("/api/v1/goals").get_json()["items"]
    assert [g["id"] for g in goals] == [published["goal"]] and goals[0]["packages"][0]["id"] == published["package"]
    is_problem(api.get("/api/v1/path"), 404)
    journey = choose(api, published)
    assert journey.status_code == 200 and journey.get_json()["goal_ids"] == [published["goal"]]
    path = api.get("/api/v1/path").get_json()
    lesson = next(s for s in path["steps"] if s["ref"] == published["lesson"])
    assert lesson["reasons"][0]["code"] == "teaches" and "Active listening" in lesson["reasons"][0]["text"]
    assert path["feasibility"]["status"] == "on_track" and path["feasibility"]["reachable"] is True  # no target date


def test_reasons_are_plain_text_as_the_author_wrote_them(app, published, api_as):
    from lxp.authoring.models import Goal

    with committing(app):
        db.session.get(Goal, published["goal"]).title = "Listen & respond, don't defend"
        db.session.commit()
    api = api_as("learner")
    choose(api, published)
    lesson = next(s for s in api.get("/api/v1/path").get_json()["steps"] if s["ref"] == published["lesson"])
    assert "\u201cListen & respond, don't defend\u201d" in lesson["reasons"][0]["text"]


def test_bad_journey_choices_are_refused_and_change_nothing(app, published, api_as):
    api = api_as("learner")
    body = is_problem(choose(api, published, goal_ids=[999]), 400)
    assert body["errors"][0]["field"] == "goals"
    body = is_problem(choose(api, published, weekly_minutes="lots"), 422)
    assert body["errors"][0]["field"] == "weekly_minutes"
    is_problem(api.get("/api/v1/journey"), 404)


def test_today_answers_304_while_nothing_changed(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    first = api.get("/api/v1/today")
    assert first.status_code == 200 and first.get_json()["next_step"]["ref"] == published["lesson"]
    etag = first.headers["ETag"]
    again = api.get("/api/v1/today", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    api.post("/api/v1/progress", json={"id": new_id(), "type": "completed", "item": published["lesson"]})
    changed = api.get("/api/v1/today", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["next_step"]["ref"] == published["quiz"]
    path = api.get("/api/v1/path")
    assert api.get("/api/v1/path", headers={"If-None-Match": path.headers["ETag"]}).status_code == 304


def test_a_quiz_is_sent_without_its_answers(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    item = api.get(f"/api/v1/items/{published['quiz']}").get_json()
    assert item["kind"] == "quiz" and item["questions"][0]["options"][0].startswith("Late again")
    assert "correct" not in str(item) and "feedback" not in str(item)
    lesson = api.get(f"/api/v1/items/{published['lesson']}").get_json()
    assert "Three moves" in lesson["content"]["markdown"]
    is_problem(api.get(f"/api/v1/items/{published['course']}:nope"), 404)


def test_a_replayed_progress_event_gives_the_same_answer_and_counts_once(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    event = {"id": new_id(), "type": "completed", "item": published["lesson"], "seconds": 240}
    first = api.post("/api/v1/progress", json=event)
    assert first.status_code == 201 and first.get_json()["replayed"] is False
    again = api.post("/api/v1/progress", json=event)
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert count_events(app, verb="completed", object_id=published["lesson"]) == 1

    attempt = {"id": new_id(), "type": "quiz_attempt", "item": published["quiz"], "answers": {"q1": [0]}}
    marked = api.post("/api/v1/progress", json=attempt).get_json()
    replay = api.post("/api/v1/progress", json=attempt)
    assert replay.status_code == 200 and replay.get_json()["quiz"] == marked["quiz"]
    assert marked["quiz"]["passed"] is True and marked["quiz"]["attempts"] == 1
    assert count_events(app, verb="passed") == 1


def test_an_id_reused_for_something_else_is_a_conflict_and_changes_nothing(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    event_id = new_id()
    api.post("/api/v1/progress", json={"id": event_id, "type": "completed", "item": published["lesson"]})
    before = count_events(app)
    is_problem(api.post("/api/v1/progress", json={"id": event_id, "type": "quiz_attempt", "item": published["quiz"],
                                                   "answers": {"q1": [1]}}), 409)  # fmt: skip
    assert count_events(app) == before


def test_bad_progress_is_named_field_by_field(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    before = count_events(app)
    body = is_problem(api.post("/api/v1/progress", json={"id": "not-a-uuid", "type": "completed",
                                                         "item": published["lesson"], "mood": 3}), 422)  # fmt: skip
    assert {e["field"] for e in body["errors"]} == {"id", "mood"}
    body = is_problem(api.post("/api/v1/progress", json={"id": new_id(), "type": "completed",
                                                         "item": published["quiz"]}), 400)  # fmt: skip
    is_problem(api.post("/api/v1/progress", json={"id": new_id(), "type": "completed", "item": published["lesson"],
                                                  "occurred_at": "2031-01-01T00:00:00+00:00"}), 400)  # fmt: skip
    is_problem(api.post("/api/v1/progress", json=[1, 2]), 422)
    assert count_events(app) == before


def test_pulse_and_nps_are_recorded_once_per_id(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    pulse = {"id": new_id(), "item": published["lesson"], "mood": 4, "effort": 2, "useful": True}
    assert api.post("/api/v1/pulse", json=pulse).status_code == 201
    assert api.post("/api/v1/pulse", json=pulse).status_code == 201
    assert count_events(app, verb="responded") == 1
    is_problem(api.post("/api/v1/pulse", json={**pulse, "id": new_id(), "mood": 9}), 422)
    assert api.get("/api/v1/nps").get_json() == {"milestone": None}
    for ref, answers in ((published["lesson"], None), (published["quiz"], {"q1": [0]})):
        kind = "quiz_attempt" if answers else "completed"
        api.post("/api/v1/progress", json={"id": new_id(), "type": kind, "item": ref, "answers": answers})
    assert api.get("/api/v1/nps").get_json() == {"milestone": "end"}
    answer = {"id": new_id(), "milestone": "end", "score": 9, "comment": "useful"}
    assert api.post("/api/v1/nps", json=answer).status_code == 201
    assert api.post("/api/v1/nps", json=answer).status_code == 201
    assert api.get("/api/v1/nps").get_json() == {"milestone": None}
    assert count_events(app, verb="responded", object_type="journey") == 1


def test_the_inbox_pages_newest_first_and_refuses_a_page_token_from_another_list(app, api_as):
    api = api_as("learner")
    other = api_as("learner")
    with committing(app):
        for n in range(5):
            in_app.post(in_app.InAppNote(user_id=api.user_id, category="nudge", subject=f"Message {n}"))
        db.session.commit()
    first = api.get("/api/v1/inbox?limit=2").get_json()
    assert [m["subject"] for m in first["items"]] == ["Message 4", "Message 3"]
    token = first["next_page_token"]
    second = api.get(f"/api/v1/inbox?limit=2&page_token={token}").get_json()
    assert [m["subject"] for m in second["items"]] == ["Message 2", "Message 1"]
    last = api.get(f"/api/v1/inbox?limit=2&page_token={second['next_page_token']}").get_json()
    assert [m["subject"] for m in last["items"]] == ["Message 0"] and last["next_page_token"] is None
    body = is_problem(api.get(f"/api/v1/sessions?page_token={token}"), 400)
    assert "another list" in body["detail"]
    is_problem(other.get(f"/api/v1/inbox?page_token={token}"), 400)
    is_problem(api.get("/api/v1/inbox?page_token=forged"), 400)
    is_problem(api.get("/api/v1/inbox?limit=0"), 422)

    message_id = first["items"][0]["id"]
    assert api.get(f"/api/v1/inbox/{message_id}").get_json()["read_at"] is None  # reading changes nothing
    assert api.post(f"/api/v1/inbox/{message_id}/read").get_json()["read_at"] is not None
    is_problem(other.get(f"/api/v1/inbox/{message_id}"), 404)
    is_problem(other.post(f"/api/v1/inbox/{message_id}/read"), 404)
    assert len(api.get("/api/v1/inbox?unread=true").get_json()["items"]) == 4
    assert api.post("/api/v1/inbox/read").get_json() == {"marked": 4}
    assert api.get("/api/v1/inbox?unread=true").get_json()["items"] == []


def test_every_message_of_a_long_inbox_is_reachable_page_by_page(app, api_as):
    """600 messages (the list stopped at the newest 500), two at each moment: 100 a page, each
    once, newest first (the later id first at a tie); unread ones only page the same way."""
    from datetime import timedelta

    from sqlalchemy import insert

    from lxp.core.time import utcnow

    api = api_as("learner")
    start = utcnow() - timedelta(days=400)
    with committing(app):
        db.session.execute(insert(in_app.InAppMessage), [
            {"user_id": api.user_id, "category": "nudge", "key": f"m{n}", "subject": f"Message {n:03d}", "body": "",
             "why": "", "created_at": start + timedelta(hours=n // 2), "read_at": start if n % 3 == 0 else None}
            for n in range(600)])  # fmt: skip

    def every(address: str) -> list[str]:
        subjects, token = [], None
        while True:
            page = api.get(address + (f"&page_token={token}" if token else "")).get_json()
            subjects += [m["subject"] for m in page["items"]]
            token = page["next_page_token"]
            if token is None:
                return subjects

    newest_first = [f"Message {n:03d}" for n in range(599, -1, -1)]
    assert every("/api/v1/inbox?limit=100") == newest_first
    assert every("/api/v1/inbox?unread=true&limit=100") == [s for s in newest_first if int(s[8:]) % 3]
    token = api.get("/api/v1/inbox?unread=true&limit=1").get_json()["next_page_token"]
    is_problem(api.get(f"/api/v1/inbox?page_token={token}"), 400)  # another list's token


def test_learner_resources_refuse_trainers_and_admins(app, published, api_as):
    for role in ("trainer", "admin"):
        api = api_as(role, scopes=("read", "write", "admin") if role == "admin" else ("read", "write"))
        for path in ("/api/v1/today", "/api/v1/path", "/api/v1/goals", f"/api/v1/items/{published['lesson']}"):
            is_problem(api.get(path), 403)
        is_problem(api.post("/api/v1/progress", json={"id": new_id(), "type": "completed",
                                                      "item": published["lesson"]}), 403)  # fmt: skip


def test_a_paused_path_has_nothing_due_until_it_is_resumed(app, published, api_as):
    api = api_as("learner")
    is_problem(api.post("/api/v1/journey/pause"), 404)
    choose(api, published)
    assert api.post("/api/v1/journey/pause").get_json()["status"] == "paused"
    today = api.get("/api/v1/today").get_json()
    assert today["journey_status"] == "paused" and today["next_step"] is None
    assert api.post("/api/v1/journey/resume").get_json()["status"] == "active"
    assert api.get("/api/v1/today").get_json()["next_step"]["ref"] == published["lesson"]


def test_today_says_why_a_step_done_before_is_back_after_a_failed_check(app, published, api_as):
    api = api_as("learner")
    choose(api, published)
    api.post("/api/v1/progress", json={"id": new_id(), "type": "completed", "item": published["lesson"]})
    assert api.get("/api/v1/today").get_json()["next_step"]["again"] is False
    attempt = api.post("/api/v1/progress", json={"id": new_id(), "type": "quiz_attempt", "item": published["quiz"],
                                                 "answers": {"q1": [1]}})  # fmt: skip
    assert attempt.status_code == 201
    today = api.get("/api/v1/today").get_json()
    lesson, quiz = today["this_week"]
    assert today["next_step"] == lesson and lesson["ref"] == published["lesson"] and lesson["again"] is True
    assert (
        lesson["back_because"] == "Back because the check \u201cCheck: listening\u201d showed a gap in Active listening"
    )
    assert "remediation" in {r["code"] for r in lesson["reasons"]}
    assert quiz["ref"] == published["quiz"] and quiz["again"] is True
    assert quiz["back_because"] == "Back for another try: you did not pass \u201cCheck: listening\u201d yet"
    path = api.get("/api/v1/path").get_json()
    assert all(s["back_because"] is None for s in path["steps"] if not s["again"])
