"""Item kinds behind one interface: the registry drives the editor, the import format, the
preview, the player and completion. The checklist kind is the proof: it is one module and one
template, and everything below reaches it through ``KINDS`` alone."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.kinds import KINDS, Completes
from lxp.authoring.models import Course, CourseVersion, Goal, Item
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths import services as paths
from tests.conftest import committing, csrf_from, sign_in, submit

ROOT = Path(__file__).resolve().parents[2]
MINI = json.loads((ROOT / "tests/data/mini-course.json").read_text())
CHECKS = ["Headset charged", "Customer file open", "Notes from the last call read"]


def checklist_document() -> str:
    """The mini course with a checklist, the only item that teaches preparing a call."""
    doc = json.loads(json.dumps(MINI))
    doc["competencies"].append({"code": "call-prep", "name": "Preparing a call", "description": "Ready first."})
    doc["course"]["outcomes"].append({"statement": "I prepare every call", "competencies": ["call-prep"]})
    doc["goals"][0]["competencies"].append("call-prep")
    check = doc["course"]["modules"][0]["items"][1]
    check["assesses"].append("call-prep")
    check["content"]["questions"].append({
        "key": "q2", "prompt": "Before you call back, you…", "competency": "call-prep",
        "options": [{"text": "read the notes of the last call", "correct": True}, {"text": "dial", "correct": False}],
    })  # fmt: skip
    doc["course"]["modules"][0]["items"].insert(1, {
        "key": "before-the-call", "kind": "checklist", "title": "Before the call", "minutes": 2,
        "teaches": ["call-prep"],
        "content": {"intro": "Three things, **before** you pick up.", "checks": CHECKS},
    })  # fmt: skip
    doc["goals"][0]["packages"] = []
    return json.dumps(doc)


def test_every_registered_kind_brings_a_schema_a_form_a_player_and_a_way_to_complete():
    for name, kind in KINDS.items():
        assert (
            kind.name == name and str(kind.label) and kind.modality in ("self_paced", "live", "coaching", "on_the_job")
        )
        assert isinstance(kind.completes, Completes), name
        assert (ROOT / "templates" / kind.player_template).is_file(), name
        assert kind.form.content and kind.form.fill_content, name
        for template in (kind.editor_template, kind.outside_template):
            assert template is None or (ROOT / "templates" / template).is_file(), (name, template)
    assert "checklist" in KINDS and KINDS["checklist"].self_completed


def test_the_documented_json_schema_knows_the_checklist():
    schema = json.loads((ROOT / "docs/course-format.schema.json").read_text())
    assert "checklist" in json.dumps(schema["$defs"]["Item"]) and "ChecklistContent" in schema["$defs"]


@pytest.fixture
def author(app, make_user):
    return make_user(("admin", "reviewer"), email="author@example.com")


def _import(app, author_id: int, document: str):
    with committing(app):
        admin = db.session.get(User, author_id)
        version = transfer.import_document(admin, document)
        return version.course_id, version.id


def test_the_editor_offers_the_checklist_and_saves_its_points_one_per_line(app, client, login_as):
    login_as("admin")
    assert submit(client, "/admin/courses/import", {"file": (BytesIO(json.dumps(MINI).encode()), "mini.json")},
                  content_type="multipart/form-data").status_code == 302  # fmt: skip
    with committing(app):
        course = db.session.execute(select(Course)).scalar_one()
        course_id, module_id = course.id, course.versions[-1].modules[0].id
    base = f"/admin/courses/{course_id}"
    choose = client.get(f"{base}/items/new?module={module_id}").get_data(as_text=True)
    assert "Checklist" in choose and "kind=checklist" in choose
    editor = client.get(f"{base}/items/new?kind=checklist&module={module_id}").get_data(as_text=True)
    assert "Points to check" in editor and "One point per line" in editor
    data = {"module": module_id, "title": "Before the call", "minutes": "2", "language": "en", "intro": "",
            "checks": "Headset charged\n\n  Customer file open  \n"}  # fmt: skip
    response = submit(client, f"{base}/items/new?kind=checklist&module={module_id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with committing(app):
        item = db.session.execute(select(Item).where(Item.kind == "checklist")).scalar_one()
        assert item.content == {"intro": "", "checks": ["Headset charged", "Customer file open"]}
        item_id = item.id
    again = client.get(f"{base}/items/{item_id}").get_data(as_text=True)
    assert "Headset charged\nCustomer file open" in again
    preview = client.get(f"{base}/items/{item_id}/preview").get_data(as_text=True)
    assert "Customer file open" in preview and 'name="ticked"' in preview and "disabled" in preview


def test_a_course_document_with_a_checklist_imports_exports_and_refuses_a_bad_one(app, author):
    course_id, version_id = _import(app, author, checklist_document())
    with committing(app):
        course = db.session.get(Course, course_id)
        exported = json.loads(transfer.export_document(course, None))
    item = next(i for i in exported["course"]["modules"][0]["items"] if i["key"] == "before-the-call")
    assert item["kind"] == "checklist" and item["content"]["checks"] == CHECKS
    bad = json.loads(checklist_document())
    bad["course"]["modules"][0]["items"][1]["content"] = {"checks": [], "steps": 3}
    with app.app_context(), pytest.raises(transfer.DocumentRejected) as rejected:
        transfer.import_document(db.session.get(User, author), json.dumps(bad))
    paths = {error.path for error in rejected.value.errors}
    assert "$.course.modules[0].items[1].content.checks" in paths
    assert "$.course.modules[0].items[1].content.steps" in paths


@pytest.fixture
def checklist_on_path(app, author, person_client):
    course_id, version_id = _import(app, author, checklist_document())
    with committing(app):
        admin = db.session.get(User, author)
        version = db.session.get(CourseVersion, version_id)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one().id
    client, learner_id = person_client
    response = submit(client, "/path/goals", {"goals": [str(goal)], "package": "", "weekly_minutes": "120",
                                              "modalities": ["self_paced"]})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, learner_id, f"{course_id}:before-the-call"


@pytest.fixture
def person_client(app, make_user):
    learner_id = make_user(("learner",), email="lena@example.com")
    client = app.test_client()
    assert sign_in(client, "lena@example.com").status_code == 302
    return client, learner_id


def _completions(app, learner_id: int, ref: str) -> list[dict]:
    with committing(app):
        return [e.result for e in db.session.execute(
            select(LearningEvent).where(LearningEvent.actor_id == learner_id, LearningEvent.verb == "completed",
                                        LearningEvent.object_id == ref)).scalars()]  # fmt: skip


def test_a_learner_ticks_every_point_of_a_checklist_in_the_player_and_it_is_done(app, checklist_on_path):
    client, learner_id, ref = checklist_on_path
    with committing(app):
        plan = paths.current_plan(paths.open_journey(db.session.get(User, learner_id)))
        assert not next(step for step in plan.steps if step.ref == ref).done
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "Before the call" in page and "<strong>before</strong>" in page and page.count('name="ticked"') == 3
    assert "data-offline-complete" in page
    token, event_id = csrf_from(page), page.split('name="event_id" type="hidden" value="')[1].split('"')[0]
    half = client.post(f"/learn/{ref}", data={"csrf_token": token, "event_id": event_id, "started_at": "",
                                              "ticked": ["0", "2"]})  # fmt: skip
    shown = half.get_data(as_text=True)
    assert half.status_code == 200 and "Tick every point" in shown and _completions(app, learner_id, ref) == []
    assert shown.count("checked") >= 2  # the ticks made so far stay ticked
    done = client.post(f"/learn/{ref}", data={"csrf_token": token, "event_id": event_id, "started_at": "",
                                              "ticked": ["0", "1", "2"]})  # fmt: skip
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/learn/{ref}/pulse")
    (result,) = _completions(app, learner_id, ref)
    assert result["response"] == {"ticked": [0, 1, 2], "done": False}
    assert client.get(f"/learn/{ref}").get_data(as_text=True).count("checked") >= 3  # as they left it
    with committing(app):
        plan = paths.current_plan(paths.open_journey(db.session.get(User, learner_id)))
        assert next(step for step in plan.steps if step.ref == ref).done  # replanned after the event


def test_ticking_done_completes_a_checklist_with_points_left_also_from_a_phones_queue(app, checklist_on_path):
    client, learner_id, ref = checklist_on_path
    token = csrf_from(client.get(f"/learn/{ref}").get_data(as_text=True))
    body = {"event_id": "5b0e7c36-8a8e-4c1e-9d3e-0c1a1f6a0b11", "occurred_at": None, "seconds": 40,
            "fields": {"ticked": ["1"], "done": ["1"]}}  # fmt: skip
    response = client.post(f"/learn/{ref}/done", json=body, headers={"X-CSRFToken": token, "X-LXP-Replay": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)
    again = client.post(f"/learn/{ref}/done", json=body, headers={"X-CSRFToken": token, "X-LXP-Replay": "1"})
    assert again.status_code == 200
    (result,) = _completions(app, learner_id, ref)  # a replay counts once
    assert result["response"] == {"ticked": [1], "done": True}
    refused = client.post(f"/learn/{ref}/done", json={**body, "event_id": "5b0e7c36-8a8e-4c1e-9d3e-0c1a1f6a0b12",
                                                      "fields": {"ticked": ["7"]}},
                          headers={"X-CSRFToken": token})  # fmt: skip
    assert refused.status_code == 422


def test_the_job_aid_search_finds_a_checklist_by_its_points(app, checklist_on_path):
    client, _learner_id, ref = checklist_on_path
    page = client.get("/job-aids?q=headset").get_data(as_text=True)
    assert f"/learn/{ref}" in page and "Before the call" in page
