"""A SCORM 2004 package with several SCOs played as one item: the admin is told what of its
sequencing lxp does not play, the learner moves between SCOs by the package's controls (forward
only refused, nothing changes), each SCO keeps its own data, and completion and success roll up
over the SCOs the package counts."""

import io
import json
import re

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Competency, Goal, Item
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.packages import services as packages
from lxp.packages.models import PackageAttempt
from tests.conftest import PASSWORD, committing, csrf_from, sign_in
from tests.integration.conftest import MINI, start_path
from tests.integration.test_packages import _commit, _csrf, _token, package_form
from tests.package_builder import sequenced_zip


def test_the_admin_gets_one_item_and_hears_what_sequencing_is_not_played(app, client, login_as, published):
    form, page, module = package_form(client, login_as, published["course"])
    data = sequenced_zip(extra="<imsss:limitConditions attemptLimit='1'/>")
    answer = client.post(form, data={"csrf_token": csrf_from(page), "module": module, "minutes": "5",
                                     "package": (io.BytesIO(data), "p.zip")},
                         content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    html = answer.get_data(as_text=True)
    assert "Package imported: 1 items added." in html
    assert "sequencing lxp does not play: limitConditions" in html
    with app.app_context():
        (unit,) = db.session.scalars(select(Item).where(Item.kind == "scorm")).all()
        assert unit.title == "Listening drill" and unit.minutes == 10
        assert [s["identifier"] for s in unit.content["scos"]] == ["item-1", "item-2"]


def _launch(client, ref, nav=None, csrf=None):
    return client.post(f"/learn/{ref}/package", json={"nav": nav} if nav else {},
                       headers={"X-CSRFToken": csrf or _csrf(client)})  # fmt: skip


def _on_the_path(app, client, make_user) -> str:
    """A published course with the two-SCO package (assessing active listening) and Lena on its
    path, signed in; the item's ref."""
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        listening = db.session.execute(select(Competency)).scalar_one()
        (item,) = packages.import_package(admin, version.modules[0], sequenced_zip(), assesses=[listening.id])
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        ref, goal = f"{version.course_id}:{item.key}", db.session.execute(select(Goal)).scalar_one().id
    make_user(("learner",), email="lena@example.com", name="Lena")
    sign_in(client, "lena@example.com", PASSWORD)
    assert start_path(client, {"goal": goal}).status_code == 302
    return ref


def test_a_learner_flows_through_the_scos_and_the_package_rolls_up(app, client, make_user):
    ref = _on_the_path(app, client, make_user)
    csrf = _csrf(client)

    first = _launch(client, ref, csrf=csrf).json
    assert first["action"] == "deliver" and first["sco"] == "item-1" and "part=check" not in first["play"]
    assert first["nav"] == {"continue": "true", "previous": "false", "choice": {"item-1": "true", "item-2": "true"}}
    start = json.loads(re.search(r'id="lxp-package-start">(.*?)</script>',
                                 client.get(first["play"]).get_data(as_text=True)).group(1))  # fmt: skip
    assert start["sco"] == "item-1" and start["nav"]["continue"] == "true"
    lesson = {"cmi": {"completion_status": "completed", "session_time": "PT1M", "exit": "normal",
                      "suspend_data": "lesson"}}  # fmt: skip
    assert _commit(client, ref, _token(first["play"]), 5, lesson, terminated=True, csrf=csrf).json["completed"] is False

    check = _launch(client, ref, "continue", csrf=csrf).json
    assert check["sco"] == "item-2" and "part=check" in check["play"]
    assert check["nav"]["previous"] == "false" and check["nav"]["choice"]["item-1"] == "false"  # forward only
    refused = _launch(client, ref, "previous", csrf=csrf)
    assert refused.status_code == 400 and "does not allow" in refused.json["title"]
    assert _launch(client, ref, csrf=csrf).json["sco"] == "item-2"  # nothing changed: it resumes at the check
    # A late commit of the lesson's token cannot land on the check.
    passed = {"cmi": {"completion_status": "completed", "success_status": "passed", "score": {"scaled": "0.9"},
                      "session_time": "PT2M", "exit": "normal"}}  # fmt: skip
    answer = _commit(client, ref, _token(check["play"]), 6, passed, terminated=True, csrf=csrf).json
    assert answer["completed"] is True and answer["success"] is True

    assert _launch(client, ref, "continue", csrf=csrf).json["action"] == "end"
    with app.app_context():
        attempt = db.session.execute(select(PackageAttempt)).scalar_one()
        assert attempt.ended and attempt.cmi["scos"]["item-1"]["cmi"]["suspend_data"] == "lesson"
        assert attempt.total_seconds == 180 and attempt.score == 0.9
        verbs = db.session.scalars(select(LearningEvent.verb).where(LearningEvent.object_id.in_((ref, "active-listening")))
                                   .order_by(LearningEvent.recorded_at)).all()  # fmt: skip
        assert verbs == ["launched", "passed", "mastered"]
    again = _launch(client, ref, csrf=csrf).json  # the attempt is over: a new one starts at the lesson
    assert again["sco"] == "item-1"


def test_the_course_document_keeps_a_sequenced_package_with_its_scos_and_controls(app, make_user):
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        (item,) = packages.import_package(admin, version.modules[0], sequenced_zip(choice=False))
        exported = json.loads(transfer.export_document(version.course))
    copy = json.dumps({**exported, "course": {**exported["course"], "slug": "listening-copy"}, "goals": []})
    with committing(app):
        again = transfer.import_document(db.session.get(User, author), copy)
        (unit,) = [i for i in again.items if i.kind == "scorm"]
        assert unit.content["scos"] == item.content["scos"] and len(unit.content["scos"]) == 2
        assert unit.content["sequencing"]["choice"] is False and unit.content["sequencing"]["flow"] is True


def test_only_a_document_the_package_frames_itself_may_be_framed_by_it(app, client, make_user):
    ref = _on_the_path(app, client, make_user)
    play = _launch(client, ref).json["play"]
    launched = client.get(play, headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "same-origin"})
    assert "frame-ancestors 'self'" in launched.headers["Content-Security-Policy"]
    assert launched.headers["X-Frame-Options"] == "SAMEORIGIN"
    inner = client.get(play, headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"})
    policy = inner.headers["Content-Security-Policy"]
    assert "frame-ancestors" not in policy and "X-Frame-Options" not in inner.headers
    assert "sandbox allow-scripts allow-forms" in policy and "connect-src 'self'" in policy


def test_editing_a_sequenced_item_keeps_its_scos_and_sequencing(app, client, login_as):
    import html as markup

    admin = login_as("admin")
    with committing(app):
        version = transfer.import_document(db.session.get(User, admin.id), MINI)
        (unit,) = packages.import_package(db.session.get(User, admin.id), version.modules[0], sequenced_zip())
        course, item_id, content = version.course_id, unit.id, dict(unit.content)
    form = f"/admin/courses/{course}/items/{item_id}"
    page = client.get(form).get_data(as_text=True)
    module = re.search(r'name="module"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    fields = {name: markup.unescape(re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1))
              for name in ("package", "standard", "unit", "launch", "sequenced")}  # fmt: skip
    answer = client.post(form, data={"csrf_token": csrf_from(page), "module": module, "title": "Walkthrough",
                                     "minutes": "9", "language": "en", "pass_mark": "", **fields})  # fmt: skip
    assert answer.status_code == 302
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert item.title == "Walkthrough" and item.content == content
