"""lxp as a cmi5 LMS: the launch URL, the one-time token, LMS.LaunchData, and the statements an
AU may send (checked as cmi5 says) becoming lxp's events. The real AU client runs in
tests/e2e/test_cmi5_phone.py; these walk the rules one by one."""

import base64
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
def launch(app, client, make_user, tmp_upload_dir):  # noqa: F811
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
        (unit,) = packages.import_package(admin, version.modules[0], cmi5_zip(b"/* no client here */"),
                                          assesses=[listening.id])  # fmt: skip
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        ref, goal = f"{version.course_id}:{unit.key}", db.session.execute(select(Goal)).scalar_one().id
    make_user(("learner",), email="lena@example.com")
    sign_in(client, "lena@example.com", PASSWORD)
    start_path(client, {"goal": goal})
    play = client.post(f"/learn/{ref}/package", headers={"X-CSRFToken": _csrf(client)}).json["play"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(play).query).items()}
    return {"ref": ref, "play": play, **query}


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
        assert verbs == ["launched", "failed", "passed", "completed"]
        failed = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "failed"))
        assert failed.result["extensions"]["failed_competencies"] == ["active-listening"]
