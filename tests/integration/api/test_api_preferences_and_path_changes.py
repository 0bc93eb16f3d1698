"""A learner's notification preferences and the changes the path page offers (swap a step for
another way of doing it and go back, move an optional step), over the API: each change seen
the way the pages see it, each refusal a problem that changes nothing."""

import json

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal, Package
from lxp.extensions import db
from lxp.nudges.models import NotificationPreferences
from tests.conftest import committing
from tests.integration.api.conftest import is_problem, new_id
from tests.integration.conftest import MINI

PREFS = "/api/v1/notifications/preferences"


def test_a_learner_reads_and_changes_their_notification_preferences(app, api_as):
    api = api_as("learner")
    now = api.get(PREFS).get_json()
    assert set(now["categories"]) == {"reminder", "nudge", "digest", "celebration", "review"}
    assert now["categories"]["nudge"]["on"] is True
    assert now["paused_until"] is None and now["muted_rules"] == []
    changed = api.patch(PREFS, json={"categories": {"nudge": {"on": False}, "reminder": {"email": True}},
                                     "quiet_start": "22:00:00", "quiet_end": "06:30:00", "weekly_cap": 3,
                                     "digest_weekday": 4, "digest_hour": 17, "pause": "7"})  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["categories"]["nudge"]["on"] is False and body["categories"]["reminder"] == {"on": True, "email": True}
    assert (body["quiet_start"], body["quiet_end"], body["weekly_cap"]) == ("22:00:00", "06:30:00", 3)
    assert (body["digest_weekday"], body["digest_hour"]) == (4, 17) and body["paused_until"] is not None
    assert api.get(PREFS).get_json() == body, "what was saved is what is read back"
    # Fields left out stay; the pause ends with "off"; no quiet hours is both ends null.
    again = api.patch(PREFS, json={"pause": "off", "quiet_start": None, "quiet_end": None}).get_json()
    assert again["paused_until"] is None and again["quiet_start"] is None and again["weekly_cap"] == 3
    assert again["categories"]["nudge"]["on"] is False


def test_bad_notification_preferences_are_refused_and_change_nothing(app, api_as):
    api = api_as("learner")
    api.patch(PREFS, json={"weekly_cap": 4})
    before = api.get(PREFS).get_json()
    body = is_problem(api.patch(PREFS, json={"quiet_start": "22:00:00", "quiet_end": None}), 400)
    assert body["errors"][0]["field"] == "quiet_end"
    for bad, field in (({"weekly_cap": 31}, "weekly_cap"), ({"weekly_cap": "3"}, "weekly_cap"),
                       ({"digest_hour": 24}, "digest_hour"), ({"pause": "forever"}, "pause"),
                       ({"categories": {"spam": {"on": True}}}, "categories.spam"),
                       ({"categories": {"nudge": {"loud": True}}}, "categories.nudge.loud"),
                       ({"colour": "red"}, "colour")):  # fmt: skip
        body = is_problem(api.patch(PREFS, json=bad), 422)
        assert field in [e["field"] for e in body["errors"]], (bad, body)
    assert api.get(PREFS).get_json() == before


def test_a_learner_mutes_a_kind_of_message_and_turns_it_back_on(app, api_as):
    api = api_as("learner")
    muted = api.put("/api/v1/notifications/muted-rules/welcome")
    assert muted.status_code == 200
    (row,) = muted.get_json()["muted_rules"]
    assert row["rule"] == "welcome" and row["by"] == "you" and row["label"]
    with committing(app):
        db.session.execute(select(NotificationPreferences)).scalar_one().auto_paused_rules = ["session_soon"]
        db.session.commit()
    assert [(r["rule"], r["by"]) for r in api.get(PREFS).get_json()["muted_rules"]] == [("welcome", "you"),
                                                                                         ("session_soon", "lxp")]  # fmt: skip
    assert api.delete("/api/v1/notifications/muted-rules/session_soon").get_json()["muted_rules"] == [row]
    assert api.delete("/api/v1/notifications/muted-rules/welcome").get_json()["muted_rules"] == []
    is_problem(api.put("/api/v1/notifications/muted-rules/no-such-rule"), 404)
    is_problem(api.delete("/api/v1/notifications/muted-rules/no-such-rule"), 404)


def test_notification_preferences_are_the_learners_own(app, api_as):
    for role in ("trainer", "admin", "reviewer"):
        someone = api_as(role, scopes=("read", "write", "admin") if role == "admin" else ("read", "write"))
        is_problem(someone.get(PREFS), 403)
        is_problem(someone.patch(PREFS, json={"weekly_cap": 1}), 403)
    reader = api_as("learner", scopes=("read",))
    assert reader.get(PREFS).status_code == 200
    body = is_problem(reader.patch(PREFS, json={"weekly_cap": 1}), 403)
    assert "write" in body["detail"]
    is_problem(reader.put("/api/v1/notifications/muted-rules/welcome"), 403)
    assert reader.get(PREFS).get_json()["muted_rules"] == []


# --- path changes ----------------------------------------------------------------------------


def _publish(app, make_user, document) -> tuple[int, int, int]:
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        version = transfer.import_document(db.session.get(User, author), json.dumps(document))
        admin = db.session.get(User, author)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        return (db.session.execute(select(Goal.id)).scalar_one(), version.course_id,
                db.session.execute(select(Package.id)).scalar_one())  # fmt: skip


def _course_with_an_alternative(app, make_user):
    """The example course where the lesson can be done as a job aid instead."""
    document = json.loads(MINI)
    items = document["course"]["modules"][0]["items"]
    items.insert(1, {"key": "listen-aid", "kind": "job_aid", "title": "Listening card", "minutes": 3,
                     "teaches": ["active-listening"], "content": {"markdown": "- Let them finish"}})  # fmt: skip
    items[0]["alternatives"] = ["listen-aid"]
    return _publish(app, make_user, document)


def _course_with_optional_steps(app, make_user):
    """The example course with two optional steps in its package, one needing the lesson."""
    document = json.loads(MINI)
    items = document["course"]["modules"][0]["items"]
    items.append({"key": "listen-aid", "kind": "job_aid", "title": "Listening card", "minutes": 3,
                  "teaches": ["active-listening"], "content": {"markdown": "- Let them finish"}})  # fmt: skip
    items.append({"key": "story", "kind": "lesson", "title": "A complaint that went well", "minutes": 5,
                  "teaches": ["active-listening"], "prerequisites": ["listen-lesson"],
                  "content": {"markdown": "It began badly."}})  # fmt: skip
    document["goals"][0]["packages"][0]["items"] += [
        {"course": "listening-basics", "item": "listen-aid", "mandatory": False},
        {"course": "listening-basics", "item": "story", "mandatory": False}]  # fmt: skip
    return _publish(app, make_user, document)


def _on_path(api, goal_id, package_id=None):
    body = {"goal_ids": [goal_id], "package_id": package_id, "weekly_minutes": 60, "modalities": ["self_paced"]}
    assert api.put("/api/v1/journey", json=body).status_code == 200


def _titles(api):
    return [s["title"] for s in api.get("/api/v1/path").get_json()["steps"]]


def test_a_learner_swaps_a_step_after_a_preview_and_goes_back(app, api_as, make_user):
    goal_id, course_id, _package = _course_with_an_alternative(app, make_user)
    api = api_as("learner")
    _on_path(api, goal_id)
    lesson, aid = f"{course_id}:listen-lesson", f"{course_id}:listen-aid"
    options = {s["ref"]: s for s in api.get("/api/v1/path/options").get_json()["steps"]}
    assert [a["ref"] for a in options[lesson]["alternatives"]] == [aid]
    before = _titles(api)
    preview = api.get(f"/api/v1/path/swap-preview?step={lesson}&alternative={aid}").get_json()
    assert preview["step"]["title"] == "What active listening sounds like"
    assert preview["alternative"]["title"] == "Listening card" and preview["then"]["finish"]
    assert _titles(api) == before, "a preview changes nothing"
    swapped = api.post("/api/v1/path/swaps", json={"step": lesson, "alternative": aid})
    assert swapped.status_code == 200
    assert "Listening card" not in before
    assert "Listening card" in [s["title"] for s in swapped.get_json()["steps"]]
    options = {s["ref"]: s for s in api.get("/api/v1/path/options").get_json()["steps"]}
    assert options[aid]["instead_of"]["ref"] == lesson
    body = is_problem(api.post("/api/v1/path/swaps", json={"step": lesson, "alternative": f"{course_id}:listen-check"}),
                      400)  # fmt: skip
    assert body["errors"][0]["field"] == "alternative"
    undo = api.get(f"/api/v1/path/swap-undo-preview?step={lesson}").get_json()
    assert undo["step"]["ref"] == aid and undo["alternative"]["ref"] == lesson
    back = api.post("/api/v1/path/swaps/undo", json={"step": lesson}).get_json()
    assert [s["title"] for s in back["steps"]] == before
    is_problem(api.post("/api/v1/path/swaps/undo", json={"step": lesson}), 400)  # nothing is swapped any more
    assert _titles(api) == before


def test_a_learner_moves_an_optional_step_after_a_preview(app, api_as, make_user):
    goal_id, course_id, package_id = _course_with_optional_steps(app, make_user)
    api = api_as("learner")
    _on_path(api, goal_id, package_id)
    assert _titles(api) == ["What active listening sounds like", "Check: listening", "Listening card",
                            "A complaint that went well"]  # fmt: skip
    aid, check, story = f"{course_id}:listen-aid", f"{course_id}:listen-check", f"{course_id}:story"
    options = {s["ref"]: s for s in api.get("/api/v1/path/options").get_json()["steps"]}
    assert options[aid]["move_earlier_before"] == check and options[check]["move_earlier_before"] is None
    preview = api.get(f"/api/v1/path/move-preview?step={aid}&before={check}").get_json()
    assert (preview["now"]["position"], preview["then"]["position"], preview["open_steps"]) == (3, 2, 4)
    assert _titles(api)[2] == "Listening card", "a preview changes nothing"
    moved = api.post("/api/v1/path/moves", json={"step": aid, "before": check})
    assert [s["title"] for s in moved.get_json()["steps"]][1] == "Listening card"
    body = is_problem(api.post("/api/v1/path/moves", json={"step": story, "before": f"{course_id}:listen-lesson"}), 400)
    assert body["errors"][0]["field"] == "before"
    body = is_problem(api.get(f"/api/v1/path/move-preview?step={check}"), 400)
    assert body["errors"][0]["field"] == "step"
    is_problem(api.post("/api/v1/path/moves", json={"step": aid, "before": check, "why": "x"}), 422)
    is_problem(api.post("/api/v1/path/moves", json={"step": 7}), 422)
    # A place that is not on the path, or a move that changes nothing (the last step to the end), is refused.
    body = is_problem(api.get(f"/api/v1/path/move-preview?step={aid}&before=no-such-step"), 400)
    assert body["errors"][0]["field"] == "before"
    body = is_problem(api.get(f"/api/v1/path/move-preview?step={story}&before="), 400)
    assert body["errors"][0]["field"] == "before"
    assert _titles(api)[1] == "Listening card"


def test_path_changes_are_for_learners_with_a_path(app, api_as, make_user):
    goal_id, course_id, _package = _course_with_an_alternative(app, make_user)
    lesson, aid = f"{course_id}:listen-lesson", f"{course_id}:listen-aid"
    newcomer = api_as("learner")
    is_problem(newcomer.get("/api/v1/path/options"), 404)
    is_problem(newcomer.post("/api/v1/path/swaps", json={"step": lesson, "alternative": aid}), 404)
    is_problem(api_as("trainer").get("/api/v1/path/options"), 403)
    is_problem(api_as("admin", scopes=("read", "write", "admin")).get("/api/v1/path/options"), 403)
    reader = api_as("learner", scopes=("read",))
    _on_path(api_as("learner"), goal_id)
    is_problem(reader.post("/api/v1/path/swaps", json={"step": lesson, "alternative": aid}), 403)


def test_the_placement_check_skips_what_the_learner_showed(app, published, api_as):
    api = api_as("learner")
    is_problem(api.get("/api/v1/path/placement"), 404)
    _on_path(api, published["goal"])
    check = api.get("/api/v1/path/placement").get_json()
    assert check["taken"] is False
    (question,) = check["questions"]
    assert question["prompt"] == "A customer says the parcel is late again. What do you say first?"
    assert "correct" not in question
    before = len(api.get("/api/v1/path").get_json()["steps"])
    body = is_problem(api.post("/api/v1/path/placement", json={"id": new_id(), "answers": {}}), 400)
    assert body["errors"][0]["field"] == question["name"]
    is_problem(api.post("/api/v1/path/placement", json={"id": new_id(), "answers": {question["name"]: [99]}}), 400)
    is_problem(api.post("/api/v1/path/placement", json={"id": new_id(), "answers": {question["name"]: ["0"]}}), 422)
    is_problem(api.post("/api/v1/path/placement", json={"answers": {question["name"]: [0]}}), 422)
    assert api.get("/api/v1/path/placement").get_json()["taken"] is False, "a refused check is not taken"
    taken = api.post("/api/v1/path/placement", json={"id": new_id(), "answers": {question["name"]: [0]}})
    assert taken.status_code == 201 and taken.get_json() == {"shown": [question["competency"]], "skipped_steps": 2}
    skipped = api.get("/api/v1/path").get_json()
    assert len(skipped["steps"]) == before - 2 and skipped["skipped"]
    assert api.get("/api/v1/path/placement").get_json() == {"taken": True, "questions": []}
    is_problem(api.post("/api/v1/path/placement", json={"id": new_id(), "answers": {question["name"]: [0]}}), 409)
    is_problem(api_as("trainer").get("/api/v1/path/placement"), 403)
