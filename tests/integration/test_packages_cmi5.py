"""lxp as a cmi5 LMS: the launch URL, the one-time token, LMS.LaunchData, and the statements an
AU may send (checked as cmi5 says) becoming lxp's events. The real AU client runs in
tests/e2e/test_cmi5_phone.py; these walk the rules one by one."""

import base64
import csv
import io
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lxp.events import LearningEvent
from lxp.extensions import db
from tests.integration.test_packages import _csrf, tmp_upload_dir  # noqa: F401
from tests.package_builder import cmi5_zip

ADL = "http://adlnet.gov/expapi/verbs/"
CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


@pytest.fixture
def launch(request, app, client, make_user, tmp_upload_dir):  # noqa: F811
    from lxp.accounts.models import User
    from lxp.authoring import publishing, transfer
    from lxp.authoring.models import Competency, Goal
    from lxp.packages import services as packages
    from tests.conftest import PASSWORD, committing, sign_in
    from tests.integration.conftest import MINI, start_path

    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        listening = db.session.execute(select(Competency)).scalar_one()
        (unit,) = packages.import_package(admin, version.modules[0], cmi5_zip(b"/* no client here */", getattr(request, "param", "CompletedAndPassed")),
                                          assesses=[listening.id])  # fmt: skip
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        ref, goal = f"{version.course_id}:{unit.key}", db.session.execute(select(Goal)).scalar_one().id
    make_user(("learner",), email="lena@example.com")
    sign_in(client, "lena@example.com", PASSWORD)
    start_path(client, {"goal": goal})
    play = client.post(f"/learn/{ref}/package", headers={"X-CSRFToken": _csrf(client)}).json["play"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(play).query).items()}
    return {"ref": ref, "play": play, "course_id": version.course_id, **query}


def _auth(client, launch) -> dict:
    token = client.post(urlsplit(launch["fetch"]).path).json["auth-token"]
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def _statement(launch, session, verb, **result):
    return {"id": str(uuid.uuid4()), "actor": json.loads(launch["actor"]),
            "verb": {"id": ADL + verb}, "object": {"id": launch["activityId"]},
            "context": {"registration": launch["registration"], "contextActivities": {"category": [CATEGORY]},
                        "extensions": {SESSION: session}}, **({"result": result} if result else {})}  # fmt: skip


def test_the_launch_names_everything_an_au_needs(launch):
    assert urlsplit(launch["play"]).path.endswith("/au/index.html")
    assert launch["activityId"] == "https://lxp.example/aus/listening" and uuid.UUID(launch["registration"])
    assert json.loads(launch["actor"])["account"]["name"] and launch["endpoint"].endswith("/xapi/")


def test_the_token_is_fetched_once_and_opens_only_this_launch(client, launch):
    headers = _auth(client, launch)
    again = client.post(urlsplit(launch["fetch"]).path)
    assert again.status_code == 409 and again.json["error-code"] == "1"
    state = urlsplit(launch["endpoint"]).path + "activities/state"
    query = {"stateId": "LMS.LaunchData", "activityId": launch["activityId"], "agent": launch["actor"],
             "registration": launch["registration"]}  # fmt: skip
    data = client.get(state, query_string=query, headers=headers).json
    assert data["moveOn"] == "CompletedAndPassed" and data["masteryScore"] == 0.8 and data["launchMode"] == "Normal"
    forged = {**headers, "Authorization": "Basic " + base64.b64encode(b"lxp:forged").decode()}
    assert client.get(state, query_string=query, headers=forged).status_code == 403
    assert client.put(state, query_string=query, headers=headers, json={"x": 1}).status_code == 403
    preflight = client.options(state)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*" and "Authorization" in (
        preflight.headers["Access-Control-Allow-Headers"])  # fmt: skip


def test_statements_follow_the_cmi5_rules_and_become_events(app, client, launch):
    headers = _auth(client, launch)
    statements = urlsplit(launch["endpoint"]).path + "statements"
    session = client.get(urlsplit(launch["endpoint"]).path + "activities/state", headers=headers,
                         query_string={"stateId": "LMS.LaunchData"}).json["contextTemplate"]["extensions"][SESSION]  # fmt: skip

    def send(statement):
        return client.post(statements, json=statement, headers=headers)

    assert send(_statement(launch, session, "passed", score={"scaled": 0.9})).status_code == 400  # not initialized
    assert send(_statement(launch, "another-session", "initialized")).status_code == 400
    assert send({**_statement(launch, session, "initialized"), "context": {}}).status_code == 400
    assert send(_statement(launch, session, "launched")).status_code == 400  # the LMS's own verb
    assert send(_statement(launch, session, "initialized")).status_code == 200
    assert send(_statement(launch, session, "initialized")).status_code == 400  # only first
    assert send(_statement(launch, session, "passed", score={"scaled": 0.5})).status_code == 400  # below mastery
    assert send(_statement(launch, session, "failed", score={"scaled": 0.5})).status_code == 200
    assert send(_statement(launch, session, "passed", score={"scaled": 0.85})).status_code == 200
    assert send(_statement(launch, session, "passed", score={"scaled": 0.95})).status_code == 400  # passed once
    assert send(_statement(launch, session, "completed")).status_code == 200
    assert send(_statement(launch, session, "terminated", duration="PT3M")).status_code == 200
    assert send(_statement(launch, session, "completed")).status_code == 400  # nothing after terminated
    with app.app_context():
        verbs = db.session.scalars(select(LearningEvent.verb).where(LearningEvent.object_id == launch["ref"])
                                   .order_by(LearningEvent.recorded_at)).all()  # fmt: skip
        assert verbs == ["launched", "failed", "passed", "completed", "satisfied"]
        failed = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "failed"))
        assert failed.result["extensions"]["failed_competencies"] == ["active-listening"]


def _session(client, launch, headers) -> str:
    state = client.get(urlsplit(launch["endpoint"]).path + "activities/state", headers=headers,
                       query_string={"stateId": "LMS.LaunchData"})  # fmt: skip
    return state.json["contextTemplate"]["extensions"][SESSION]


def _verbs(app, **where) -> list[tuple[str, str]]:
    with app.app_context():
        found = db.session.scalars(select(LearningEvent).filter_by(**where).order_by(LearningEvent.recorded_at)).all()
        return [(e.verb, e.object_type) for e in found]


def test_the_lms_says_satisfied_once_move_on_is_met_for_the_au_and_its_course(app, client, launch):
    headers = _auth(client, launch)
    statements = urlsplit(launch["endpoint"]).path + "statements"
    session = _session(client, launch, headers)
    for verb, result in (("initialized", {}), ("passed", {"score": {"scaled": 0.9}})):
        assert (
            client.post(statements, json=_statement(launch, session, verb, **result), headers=headers).status_code
            == 200
        )
    assert ("satisfied", "item") not in _verbs(app)  # CompletedAndPassed: passed alone is not enough
    assert client.post(statements, json=_statement(launch, session, "completed"), headers=headers).status_code == 200
    satisfied = [v for v in _verbs(app) if v[0] == "satisfied"]
    assert satisfied == [("satisfied", "item"), ("satisfied", "cmi5_course")]  # the only AU: the course too
    with app.app_context():
        course = db.session.scalar(select(LearningEvent).where(LearningEvent.object_type == "cmi5_course"))
        assert course.object_id.startswith(f"{launch['course_id']}:")
    # The registration as the AU reads it back: what it sent, as sent, and the LMS's statements.
    kept = client.get(statements, headers=headers, query_string={"registration": launch["registration"]}).json
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in kept["statements"]] == [
        "launched", "initialized", "passed", "completed", "satisfied", "satisfied"]  # fmt: skip
    assert {s["context"]["registration"] for s in kept["statements"]} == {launch["registration"]}
    sent = kept["statements"][2]
    assert sent["object"] == {"id": launch["activityId"]} and sent["result"] == {"score": {"scaled": 0.9}}
    assert sent["stored"] and sent["context"]["extensions"][SESSION] == session
    au_done, course_done = kept["statements"][4:]
    assert au_done["object"]["id"] == launch["activityId"]
    # cmi5 9.3.9: the course's satisfied names lxp's own course id, typed as a course, never the
    # publisher's id (which goes into the grouping), in the session that triggered it.
    assert "/xapi/activities/cmi5_course/" in course_done["object"]["id"]
    assert course_done["object"]["definition"]["type"] == "https://w3id.org/xapi/cmi5/activitytype/course"
    assert {"id": "https://lxp.example/courses/calls"} in course_done["context"]["contextActivities"]["grouping"]
    assert course_done["context"]["contextActivities"]["category"] == [CATEGORY]
    assert course_done["context"]["extensions"][SESSION] == session
    one = client.get(statements, headers=headers, query_string={"statementId": sent["id"]}).json
    assert one == sent
    only = client.get(statements, headers=headers, query_string={"verb": ADL + "passed"}).json["statements"]
    assert [s["id"] for s in only] == [sent["id"]]
    assert client.get(statements, query_string={"statementId": sent["id"]}).status_code == 403  # no token
    # The same statement again is a replay; its id for something else is a conflict.
    replay = {k: v for k, v in sent.items() if k not in ("stored", "timestamp")}
    assert client.post(statements, json=replay, headers=headers).status_code == 200
    reused = {**replay, "result": {"score": {"scaled": 1.0}}}
    assert client.post(statements, json=reused, headers=headers).status_code == 409
    assert len(client.get(statements, headers=headers).json["statements"]) == 6


@pytest.mark.parametrize("launch", ["NotApplicable"], indirect=True)
def test_an_au_that_asks_nothing_is_satisfied_at_launch(app, launch):
    assert ("satisfied", "item") in _verbs(app, object_id=launch["ref"])


def test_a_new_launch_abandons_the_session_that_never_terminated(app, client, launch):
    headers = _auth(client, launch)
    statements = urlsplit(launch["endpoint"]).path + "statements"
    session = _session(client, launch, headers)
    assert client.post(statements, json=_statement(launch, session, "initialized"), headers=headers).status_code == 200
    again = client.post(f"/learn/{launch['ref']}/package", headers={"X-CSRFToken": _csrf(client)})
    assert again.status_code == 200
    assert _verbs(app, object_id=launch["ref"]) == [("launched", "item"), ("abandoned", "item")]
    with app.app_context():
        abandoned = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "abandoned"))
        assert abandoned.context["session"] == session and abandoned.result["duration"].startswith("PT")
    # The abandoned session's token no longer opens anything; a terminated one is not abandoned.
    assert client.post(statements, json=_statement(launch, session, "completed"), headers=headers).status_code == 403
    relaunched = {k: v[0] for k, v in parse_qs(urlsplit(again.json["play"]).query).items()}
    headers = _auth(client, relaunched)
    # Read back as cmi5 shapes it: the AU's id as object, the registration, the abandoned session.
    said = next(s for s in client.get(statements, headers=headers).json["statements"]
                if s["verb"]["id"] == ADL + "abandoned")  # fmt: skip
    assert said["object"]["id"] == launch["activityId"] and said["context"]["registration"] == launch["registration"]
    assert said["context"]["extensions"][SESSION] == session and said["result"]["duration"].startswith("PT")
    session = _session(client, relaunched, headers)
    for verb in ("initialized", "terminated"):
        assert client.post(statements, json=_statement(relaunched, session, verb), headers=headers).status_code == 200
    client.post(f"/learn/{launch['ref']}/package", headers={"X-CSRFToken": _csrf(client)})
    assert [v for v, _ in _verbs(app, object_id=launch["ref"])].count("abandoned") == 1


def test_the_au_reads_the_learners_language_as_its_preferences(app, client, launch):
    from lxp.accounts.models import User
    from tests.conftest import committing

    with committing(app):
        db.session.scalar(select(User).where(User.email == "lena@example.com")).locale = "de"
    headers = _auth(client, launch)
    profile = urlsplit(launch["endpoint"]).path + "agents/profile"
    query = {"profileId": "cmi5LearnerPreferences", "agent": launch["actor"]}
    assert client.get(profile, headers=headers, query_string=query).json == {
        "languagePreference": "de", "audioPreference": "on"}  # fmt: skip
    assert client.get(profile, headers=headers, query_string={**query, "profileId": "other"}).status_code == 404
    assert client.get(profile, query_string=query).status_code == 403


def test_an_admin_waives_an_au_with_a_reason_and_it_counts_as_done(app, launch, make_user):
    from lxp.accounts.models import User
    from lxp.paths import services as paths
    from lxp.privacy import erasure
    from tests.conftest import PASSWORD, committing, sign_in, submit

    make_user(("learner",), email="other@example.com")
    client = app.test_client()
    sign_in(client, "author@example.com", PASSWORD)
    page = client.get(f"/admin/courses/{launch['course_id']}")
    assert f"/admin/courses/{launch['course_id']}/packages/waive" in page.text
    url = f"/admin/courses/{launch['course_id']}/packages/waive"
    assert f'value="{launch["ref"]}"' in client.get(url).text
    refused = submit(client, url, {"learner": "lena@example.com", "unit": launch["ref"], "reason": ""})
    assert refused.status_code == 400
    refused = submit(client, url, {"learner": "other@example.com", "unit": launch["ref"], "reason": "Knows it"})
    assert refused.status_code == 400 and "not on the learner" in refused.text  # not on their path
    done = submit(client, url, {"learner": "lena@example.com", "unit": launch["ref"], "reason": "Certified already"})
    assert done.status_code in (200, 302)
    assert [v for v, _ in _verbs(app, object_id=launch["ref"])] == ["launched", "waived", "satisfied"]
    with app.app_context():
        waived = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "waived"))
        assert waived.result == {"success": True, "completion": True, "extensions": {"reason": "Certified already"}}
        lena = db.session.scalar(select(User).where(User.email == "lena@example.com"))
        assert launch["ref"] in paths.learner_state(lena.id).completed
    again = submit(client, url, {"learner": "lena@example.com", "unit": launch["ref"], "reason": "Twice"})
    assert again.status_code == 400 and "already waived" in again.text
    with committing(app):  # erasure (and retention) remove the admin's free text about the learner
        assert erasure.scrub_events(select(LearningEvent).where(LearningEvent.verb == "waived")) == 1
    with app.app_context():
        waived = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "waived"))
        assert waived.result == {"success": True, "completion": True}


def test_the_journey_map_shows_drop_off_inside_the_packages(app, launch, make_user):
    from lxp import events
    from tests.conftest import PASSWORD, committing, sign_in

    learners = [make_user(("learner",)) for _ in range(5)]
    done = {0: ("completed", "passed"), 1: ("completed",), 2: ("abandoned",), 3: ("suspended",), 4: ()}
    with committing(app):
        for n, learner in enumerate(learners):
            for verb in ("launched", *done[n]):
                events.record(actor_id=learner, verb=verb, object_type="item", object_id=launch["ref"])
    client = app.test_client()
    sign_in(client, "author@example.com", PASSWORD)
    page = client.get(f"/insights/courses/{launch['course_id']}")
    assert page.status_code == 200 and "Inside the packages" in page.text
    row = page.text.split('class="table labelled package-units-table"', 1)[1].split("</tbody>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split("<td")[1:]]
    assert cells == ["6", "2", "1", "2"]  # launched (with Lena), completed, passed, left unfinished
    few = client.get(f"/insights/courses/{launch['course_id']}", query_string={"end": "2000-01-01"})
    assert "fewer than 5 learners launched it" in few.text
    # The same table as CSV, beside the journey map's own; hidden figures stay hidden there too.
    assert "table=packages" in page.text
    sheet = client.get(f"/insights/courses/{launch['course_id']}", query_string={"format": "csv", "table": "packages"})
    assert sheet.status_code == 200 and "inside-the-packages.csv" in sheet.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(sheet.text)))
    assert rows[0] == ["Unit", "Kind", "Launched", "Completed", "Passed", "Left unfinished"]
    assert rows[1] == ["Listening check", "cmi5 unit", "6", "2", "1", "2"]
    hidden = client.get(f"/insights/courses/{launch['course_id']}",
                        query_string={"format": "csv", "table": "packages", "end": "2000-01-01"})  # fmt: skip
    assert list(csv.reader(io.StringIO(hidden.text)))[1][2:] == ["", "", "", ""]


def test_a_session_silent_too_long_is_abandoned_by_the_scheduler(app, client, launch):
    from datetime import timedelta

    from lxp.core.time import utcnow
    from lxp.packages import lms
    from tests.conftest import committing

    headers = _auth(client, launch)
    statements = urlsplit(launch["endpoint"]).path + "statements"
    session = _session(client, launch, headers)
    assert client.post(statements, json=_statement(launch, session, "initialized"), headers=headers).status_code == 200
    with committing(app):
        assert lms.abandon_idle_sessions(utcnow() + timedelta(minutes=30)) == 0  # still working
    with committing(app):
        assert lms.abandon_idle_sessions(utcnow() + lms.SESSION_TIMEOUT + timedelta(minutes=1)) == 1
    with committing(app):
        assert lms.abandon_idle_sessions(utcnow() + lms.SESSION_TIMEOUT + timedelta(minutes=2)) == 0
    assert [v for v, _ in _verbs(app, object_id=launch["ref"])] == ["launched", "abandoned"]
    late = client.post(statements, json=_statement(launch, session, "completed"), headers=headers)
    assert late.status_code == 400 and "abandoned" in late.json["title"]
