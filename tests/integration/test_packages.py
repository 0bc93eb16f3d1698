"""SCORM packages in a course: the admin's upload, the learner's launch, the sandboxed files, the
commits and the events they become, and the course document's round trip."""

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Competency, Goal, Item
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.packages import services as packages
from lxp.packages.models import ContentPackage, PackageAttempt
from lxp.paths import services as paths
from tests.conftest import PASSWORD, committing, csrf_from, sign_in, submit
from tests.integration.conftest import MINI, start_path
from tests.package_builder import scorm_zip

pytestmark = pytest.mark.usefixtures("tmp_upload_dir")


@pytest.fixture
def tmp_upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


@pytest.fixture
def course_with_package(app, make_user):
    """The example course with a SCORM 2004 package (one unit assessing active listening)
    in its module, published; returns ids and refs."""
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        listening = db.session.execute(select(Competency)).scalar_one()
        items = packages.import_package(admin, version.modules[0], scorm_zip("2004 4th Edition"),
                                        assesses=[listening.id], minutes=8)  # fmt: skip
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one()
        return {"course": version.course_id, "goal": goal.id, "author": author,
                "refs": [f"{version.course_id}:{item.key}" for item in items]}  # fmt: skip


def _csrf(client) -> str:
    page = client.get("/path").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _launch(client, ref) -> str:
    """The play URL the launch sends the frame to."""
    response = client.post(f"/learn/{ref}/package", headers={"X-CSRFToken": _csrf(client)})
    assert response.status_code == 200
    return response.json["play"]


def _token(play_url: str) -> str:
    return play_url.split("/packages/play/")[1].split("/")[0]


def _commit(client, ref, token, seq, cmi, terminated=False, csrf=None):
    return client.post(f"/learn/{ref}/package/commit", json={"token": token, "seq": seq, "cmi": cmi,
                       "terminated": terminated, "seconds": 30},
                       headers={"X-CSRFToken": csrf or _csrf(client)})  # fmt: skip


@pytest.fixture
def learner_on_path(app, client, make_user, course_with_package):
    make_user(("learner",), email="lena@example.com", name="Lena")
    sign_in(client, "lena@example.com", PASSWORD)
    assert start_path(client, {"goal": course_with_package["goal"]}).status_code == 302
    return course_with_package


def test_an_admin_uploads_a_package_and_gets_one_item_per_unit(app, client, login_as, published):
    login_as("admin")
    course = published["course"]
    draft = submit(client, f"/admin/courses/{course}/draft", {}, form_page=f"/admin/courses/{course}")
    assert draft.status_code in (302, 303)
    form = f"/admin/courses/{course}/packages/new"
    page = client.get(form)
    assert page.status_code == 200 and "SCORM" in page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    module = re.search(r'name="module"[^>]*>\s*<option[^>]*value="(\d+)"', html).group(1)
    upload = {"csrf_token": csrf_from(html), "minutes": "12", "module": module,
              "package": (io.BytesIO(scorm_zip("1.2")), "drill.zip")}  # fmt: skip
    assert client.post(form, data=upload, content_type="multipart/form-data").status_code == 302
    again = {**upload, "package": (io.BytesIO(scorm_zip("1.2")), "same.zip")}
    assert client.post(form, data=again, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        units = db.session.scalars(select(Item).where(Item.kind == "scorm")).all()
        assert [(u.title, u.minutes) for u in units] == [("Listening drill", 12)] * 2
        assert units[0].content["package"] == units[1].content["package"]
        assert db.session.scalar(select(func.count()).select_from(ContentPackage)) == 1  # stored once


def package_form(client, login_as, course: int) -> tuple[str, str, str]:
    """As an admin, start a draft of ``course`` and open its package upload: (the form's
    address, the page, the first module's id)."""
    login_as("admin")
    submit(client, f"/admin/courses/{course}/draft", {}, form_page=f"/admin/courses/{course}")
    form = f"/admin/courses/{course}/packages/new"
    page = client.get(form).get_data(as_text=True)
    return form, page, re.search(r'name="module"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)


def test_a_bad_package_is_refused_on_the_form_with_its_reason(app, client, login_as, published):
    form, page, module = package_form(client, login_as, published["course"])
    for data, reason in ((scorm_zip("1.2", href="../x.html"), "outside the package"),
                         (scorm_zip("CAM 1.3"), "is not one lxp plays"),
                         (b"not a zip", "not a zip file")):  # fmt: skip
        answer = client.post(form, data={"csrf_token": csrf_from(page), "module": module, "minutes": "5",
                                         "package": (io.BytesIO(data), "p.zip")},
                             content_type="multipart/form-data")  # fmt: skip
        assert answer.status_code == 400 and reason in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentPackage)) == 0


def test_the_unit_plays_in_a_sandbox_from_its_own_path(app, client, learner_on_path):
    ref = learner_on_path["refs"][0]
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert 'sandbox="allow-scripts allow-forms"' in page and f'data-launch="/learn/{ref}/package"' in page
    play = _launch(client, ref)
    assert play.endswith("/unit/index.html")
    unit = client.get(play)
    policy = unit.headers["Content-Security-Policy"]
    assert unit.status_code == 200 and "sandbox allow-scripts allow-forms" in policy
    assert "frame-ancestors 'self'" in policy and unit.headers["Cache-Control"] == "no-store"
    html = unit.get_data(as_text=True)
    start = json.loads(re.search(r'id="lxp-package-start">(.*?)</script>', html).group(1))
    assert start["standard"] == "scorm_2004_4" and start["learner_name"] == "Lena" and start["seq"] == 0
    assert "scorm2004.min" in html and html.index("lxp-package-start") < html.index("unit.js")
    script = client.get(play.replace("index.html", "unit.js"))
    script.close()
    assert script.status_code == 200 and "sandbox" in script.headers["Content-Security-Policy"]
    assert client.get(play.replace("unit/index.html", "../imsmanifest.xml")).status_code == 404
    assert client.get(play.replace("unit/index.html", "..%2F..%2Fetc%2Fpasswd")).status_code == 404
    assert client.get(play.replace(_token(play), _token(play)[:-3] + "abc")).status_code == 404
    # lxp's own pages never allow inline or foreign script.
    assert "unsafe-inline" not in client.get(f"/learn/{ref}").headers["Content-Security-Policy"].split("script-src")[1]


def test_commits_resume_and_a_failed_unit_adds_remediation_then_a_pass_masters(app, client, learner_on_path):
    ref = learner_on_path["refs"][0]
    token = _token(_launch(client, ref))
    csrf = _csrf(client)
    half = {"cmi": {"completion_status": "incomplete", "suspend_data": "page=3", "location": "p3"}}
    assert _commit(client, ref, token, 5, half, csrf=csrf).json["seq"] == 5
    assert _commit(client, ref, token, 5, {"cmi": {"suspend_data": "replayed"}}, csrf=csrf).json["seq"] == 5
    assert _commit(client, ref, token, 4, {"cmi": {"suspend_data": "older"}}, csrf=csrf).json["seq"] == 5
    left = {"cmi": {**half["cmi"], "exit": "suspend", "session_time": "PT1M"}}
    assert _commit(client, ref, token, 6, left, terminated=True, csrf=csrf).status_code == 200
    # Resumed (on another device: a new launch is all it takes) in the same attempt.
    play = _launch(client, ref)
    start = json.loads(
        re.search(r'id="lxp-package-start">(.*?)</script>', client.get(play).get_data(as_text=True)).group(1)
    )
    assert start["entry"] == "resume" and start["snapshot"]["cmi"]["suspend_data"] == "page=3"
    assert "exit" not in start["snapshot"]["cmi"] and start["total_time"] == "PT0H1M0S" and start["seq"] == 6
    failed = {"cmi": {"completion_status": "completed", "success_status": "failed", "score": {"scaled": "0.4"},
                      "exit": "normal", "session_time": "PT2M"}}  # fmt: skip
    for _ in range(2):  # a dropped answer: the phone sends the same commit again
        assert _commit(client, ref, _token(play), 7, failed, terminated=True, csrf=csrf).json["success"] is False
    with app.app_context():
        learner = db.session.scalar(select(User).where(User.email == "lena@example.com"))
        events = db.session.scalars(select(LearningEvent).where(LearningEvent.object_id == ref)
                                    .order_by(LearningEvent.recorded_at)).all()  # fmt: skip
        assert [e.verb for e in events] == ["launched", "suspended", "resumed", "failed"]
        assert events[1].result == {"duration": "PT60S", "extensions": {"location": "p3"}}  # where they left
        assert events[3].result["extensions"]["failed_competencies"] == ["active-listening"]
        assert events[3].result["score"]["scaled"] == 0.4 and events[3].result["duration"] == "PT180S"
        assert [f.item for f in paths.learner_state(learner.id).failed_checks] == [ref]
        plan = paths.current_plan(paths.open_journey(learner))
        reasons = {s.ref: {r.code for r in s.reasons} for s in plan.steps if not s.done}
        assert reasons[ref] >= {"retry"}  # the unit comes back, after the lesson that teaches it again
        assert any("remediation" in codes for other, codes in reasons.items() if other != ref)
    # The attempt ended without suspending: the next launch starts a new one, which passes.
    again = _launch(client, ref)
    assert _token(again) != token
    passed = {"cmi": {"completion_status": "completed", "success_status": "passed", "score": {"scaled": "0.9"}}}
    assert _commit(client, ref, _token(again), 8, passed, csrf=csrf).json["success"] is True
    with app.app_context():
        verbs = db.session.scalars(select(LearningEvent.verb).where(LearningEvent.actor_id == learner.id)
                                   .order_by(LearningEvent.recorded_at)).all()  # fmt: skip
        assert verbs[-3:] == ["launched", "passed", "mastered"]
        assert db.session.scalar(select(func.count()).select_from(PackageAttempt)) == 2
        assert "active-listening" in paths.learner_state(learner.id).mastered


def test_commits_are_the_learners_own(app, client, make_user, learner_on_path):
    ref = learner_on_path["refs"][0]
    token = _token(_launch(client, ref))
    make_user(("learner",), email="otto@example.com")
    client = app.test_client()
    sign_in(client, "otto@example.com", PASSWORD)
    start_path(client, {"goal": learner_on_path["goal"]})
    answer = _commit(client, ref, token, 1, {"cmi": {"completion_status": "completed"}})
    assert answer.status_code == 404
    assert _commit(client, ref, "forged", 1, {"cmi": {}}).status_code == 404
    own = _token(_launch(client, ref))
    assert _commit(client, ref, own, 0, {"cmi": {}}).status_code == 422
    assert _commit(client, ref, own, 1, "not an object").status_code == 422
    assert _commit(client, ref, own, 1, {"cmi": {"suspend_data": "x" * 1_100_000}}).status_code == 422


def test_a_learner_of_another_organisation_gets_nothing(app, client, make_user, other_organisation,
                                                        learner_on_path):  # fmt: skip
    ref = learner_on_path["refs"][0]
    play = _launch(client, ref)
    make_user(("learner",), email="eve@other.example", organisation_id=other_organisation)
    client = app.test_client()
    sign_in(client, "eve@other.example", PASSWORD)
    assert client.post(f"/learn/{ref}/package", headers={"X-CSRFToken": _csrf(client)}).status_code == 404
    assert _commit(client, ref, _token(play), 1, {"cmi": {}}).status_code == 404


def test_the_course_document_keeps_its_packages_by_hash(app, make_user, other_organisation, course_with_package):
    with committing(app):
        admin = db.session.get(User, course_with_package["author"])
        from lxp.authoring.models import Course

        exported = transfer.export_document(db.session.get(Course, course_with_package["course"]))
    document = json.loads(exported)
    units = [i for i in document["course"]["modules"][0]["items"] if i["kind"] == "scorm"]
    assert len(units) == 1 and len(units[0]["content"]["package"]) == 64
    copy = json.dumps({**document, "course": {**document["course"], "slug": "listening-copy"}, "goals": []})
    with committing(app):
        admin = db.session.get(User, course_with_package["author"])
        version = transfer.import_document(admin, copy)
        assert [i.content["package"] for i in version.items if i.kind == "scorm"] == [units[0]["content"]["package"]]
        assert transfer.export_document(version.course).count(units[0]["content"]["package"]) == 1
    stranger = make_user(("admin",), email="admin@other.example", organisation_id=other_organisation)
    with committing(app):
        with pytest.raises(transfer.DocumentRejected) as rejected:
            transfer.import_document(db.session.get(User, stranger), copy)
        assert any("Upload the package" in e.message and e.path.endswith("content.package")
                   for e in rejected.value.errors)  # fmt: skip


def test_a_passed_unit_reads_as_an_xapi_statement_like_a_quiz(app, client, learner_on_path):
    from lxp.lrs.statements import statement

    ref = learner_on_path["refs"][0]
    token = _token(_launch(client, ref))
    passed = {"cmi": {"completion_status": "completed", "success_status": "passed", "score": {"scaled": "0.75"},
                      "session_time": "PT4M"}}  # fmt: skip
    assert _commit(client, ref, token, 1, passed).status_code == 200
    with app.app_context():
        event = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "passed"))
        shaped = statement(event_id=event.id, actor_id=event.actor_id, verb=event.verb, object_type=event.object_type,
                           object_id=event.object_id, result=event.result, context=event.context,
                           occurred_at=event.occurred_at, recorded_at=event.recorded_at, base_url="https://lxp.example")  # fmt: skip
    assert shaped["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert shaped["result"]["score"] == {"scaled": 0.75, "raw": 75.0, "min": 0, "max": 100}
    assert shaped["result"]["success"] is True and shaped["result"]["duration"] == "PT240S"
    assert shaped["context"]["contextActivities"]["grouping"][0]["id"].endswith(f"/course/{learner_on_path['course']}")


def test_an_admin_edits_a_unit_like_any_item_but_makes_one_by_uploading(app, client, login_as, make_user):
    admin = login_as("admin")
    with committing(app):
        version = transfer.import_document(db.session.get(User, admin.id), MINI)
        (unit,) = packages.import_package(db.session.get(User, admin.id), version.modules[0], scorm_zip("1.2"))
        course, item_id, content = version.course_id, unit.id, dict(unit.content)
    chooser = client.get(f"/admin/courses/{course}/items/new").get_data(as_text=True)
    assert f"/admin/courses/{course}/packages/new" in chooser  # the SCORM kind leads to the upload
    form = f"/admin/courses/{course}/items/{item_id}"
    page = client.get(form).get_data(as_text=True)
    module = re.search(r'name="module"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    fields = {name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)
              for name in ("package", "standard", "unit", "launch")}  # fmt: skip
    answer = client.post(form, data={"csrf_token": csrf_from(page), "module": module, "title": "Drill, shorter",
                                     "minutes": "7", "language": "en", "pass_mark": "70", **fields})  # fmt: skip
    assert answer.status_code == 302
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert (item.title, item.minutes, item.content) == ("Drill, shorter", 7, {**content, "pass_mark": 70})


def test_an_admin_of_another_organisation_cannot_add_a_package_to_the_course(app, client, login_as, published,
                                                                            other_organisation):  # fmt: skip
    login_as("admin", organisation_id=other_organisation)
    assert client.get(f"/admin/courses/{published['course']}/packages/new").status_code == 404


def test_a_day_old_play_link_no_longer_opens_files_but_its_commit_still_counts(app, client, learner_on_path):
    import time_machine

    from lxp.core.time import utcnow
    from lxp.packages import runtime

    ref = learner_on_path["refs"][0]
    play = _launch(client, ref)
    with app.test_request_context(), time_machine.travel(utcnow() - timedelta(hours=25)):
        old = runtime.play_token(db.session.scalar(select(PackageAttempt)))  # the link a phone kept for a day
    play = play.replace(_token(play), old)
    assert client.get(play).status_code == 404  # the frame's files: ask again with a fresh launch
    kept = {"cmi": {"completion_status": "incomplete", "suspend_data": "kept on the phone"}}
    assert _commit(client, ref, _token(play), 3, kept).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(PackageAttempt.cmi)) == kept
