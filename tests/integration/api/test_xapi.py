"""Learning events out as xAPI 1.0.3 statements: the statements API (since/until, ``more``
paging) and forwarding to an external LRS (a local HTTP server here) in batches, with retries,
resuming after a restart and never sending an accepted statement twice."""

from __future__ import annotations

import base64
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from lxp import events, scheduler
from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.lrs import services
from lxp.lrs.models import LrsConnection
from tests.conftest import committing, submit
from tests.integration.api.conftest import is_problem, new_id
from tests.integration.api.xapi_rules import problems_of

ADMIN = ("read", "write", "admin")


class Lrs:
    """A local LRS: keeps the statements of accepted POSTs; answers 503 while ``failing``."""

    def __init__(self):
        self.accepted: list[dict] = []
        self.attempts = 0
        self.failing = 0
        self.auth: set[str] = set()
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                lrs.attempts += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                lrs.auth.add(self.headers.get("Authorization", ""))
                ok = self.path == "/xapi/statements" and self.headers.get("X-Experience-API-Version") == "1.0.3"
                if lrs.failing or not ok:
                    lrs.failing = max(lrs.failing - 1, 0)
                    self.send_response(503 if ok else 400)
                    self.end_headers()
                    return
                lrs.accepted.extend(body)
                reply = json.dumps([s["id"] for s in body]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}/xapi/"
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def ids(self) -> list[str]:
        return [s["id"] for s in self.accepted]


@pytest.fixture
def lrs(app, monkeypatch):
    """A local LRS on 127.0.0.1, which lxp may reach only with ``LRS_ALLOW_PRIVATE``."""
    monkeypatch.setitem(app.config, "LRS_ALLOW_PRIVATE", True)
    server = Lrs()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def learn(api, published, *, reflection: str | None = None):
    """A learner's morning: choose the goal, finish the lesson, pass the quiz, say how it felt."""
    body = {"goal_ids": [published["goal"]], "weekly_minutes": 60, "modalities": ["self_paced"]}
    assert api.put("/api/v1/journey", json=body).status_code == 200
    api.post(
        "/api/v1/progress", json={"id": new_id(), "type": "completed", "item": published["lesson"], "seconds": 300}
    )
    api.post("/api/v1/progress", json={"id": new_id(), "type": "quiz_attempt", "item": published["quiz"],
                                       "answers": {"q1": [0]}})  # fmt: skip
    api.post("/api/v1/pulse", json={"id": new_id(), "item": published["lesson"], "mood": 5})


def all_event_ids(app) -> set[str]:
    with committing(app):
        return {str(i) for i in db.session.scalars(select(LearningEvent.id))}


def test_statements_are_valid_xapi_and_page_with_more(app, published, api_as):
    learner = api_as("learner", name="Lena")
    learn(learner, published)
    admin = api_as("admin", scopes=ADMIN)
    first = admin.get("/api/v1/xapi/statements?limit=3")
    assert first.status_code == 200 and first.headers["X-Experience-API-Version"] == "1.0.3"
    page = first.get_json()
    assert len(page["statements"]) == 3 and page["more"].startswith("/api/v1/xapi/statements?more=")
    seen = list(page["statements"])
    while page["more"]:
        page = admin.get(page["more"]).get_json()
        seen.extend(page["statements"])
    assert {s["id"] for s in seen} == all_event_ids(app) and len(seen) == len(all_event_ids(app))
    stored = [s["stored"] for s in seen]
    assert stored == sorted(stored, reverse=True)  # newest first, as an LRS answers
    for s in seen:
        assert problems_of(s) == [], (s, problems_of(s))
    passed = next(s for s in seen if s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed")
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": 100, "min": 0, "max": 100}
    assert passed["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "http://lxp.test", "name": str(learner.user_id)},
    }
    assert "Lena" not in json.dumps(seen)  # a display name can change; a statement cannot
    assert "mbox" not in json.dumps(seen)
    assert passed["object"]["definition"]["type"].startswith("http://adlnet.gov/expapi/activities/")


def test_since_until_and_ascending_bound_the_statements(app, published, api_as):
    learner = api_as("learner")
    learn(learner, published)
    admin = api_as("admin", scopes=ADMIN)
    everything = admin.get("/api/v1/xapi/statements?ascending=true").get_json()["statements"]
    assert [s["stored"] for s in everything] == sorted(s["stored"] for s in everything)
    middle = everything[len(everything) // 2]["stored"]
    since = admin.get("/api/v1/xapi/statements", query_string={"since": middle}).get_json()["statements"]
    until = admin.get("/api/v1/xapi/statements", query_string={"until": middle}).get_json()["statements"]
    assert all(s["stored"] > middle for s in since) and all(s["stored"] <= middle for s in until)
    assert len(since) + len(until) == len(everything)
    is_problem(admin.get("/api/v1/xapi/statements?since=yesterday"), 400)
    is_problem(admin.get("/api/v1/xapi/statements?since=2026-01-01T00:00:00"), 400)  # no zone


def test_a_private_reflection_stays_on_lxp(app, api_as):
    learner = api_as("learner")
    with committing(app):
        events.record(actor_id=learner.user_id, verb="completed", object_type="item", object_id="1:reflect",
                      result={"completion": True, "response": "I froze on the call."}, context={"private": True})  # fmt: skip
        db.session.commit()
    admin = api_as("admin", scopes=ADMIN)
    (statement,) = admin.get("/api/v1/xapi/statements").get_json()["statements"]
    assert "response" not in statement["result"] and "froze" not in json.dumps(statement)


def test_an_admin_reads_the_organisation_and_everyone_else_their_own(app, published, api_as, other_organisation):
    learner = api_as("learner")
    learn(learner, published)
    outsider = api_as("admin", scopes=ADMIN, organisation_id=other_organisation)
    assert outsider.get("/api/v1/xapi/statements").get_json() == {"statements": [], "more": ""}
    # Without the admin scope an admin's token reads only the admin's own statements (none).
    assert api_as("admin", scopes=("read",)).get("/api/v1/xapi/statements").get_json()["statements"] == []
    assert api_as("learner").get("/api/v1/xapi/statements").get_json()["statements"] == []
    own = learner.get("/api/v1/xapi/statements?limit=0").get_json()["statements"]
    assert own and {s["actor"]["account"]["name"] for s in own} == {str(learner.user_id)}
    admin = api_as("admin", scopes=ADMIN)
    more = admin.get("/api/v1/xapi/statements?limit=1").get_json()["more"]
    other_admin = api_as("admin", scopes=ADMIN)
    is_problem(other_admin.get(more), 400)
    is_problem(admin.get("/api/v1/xapi/statements?more=forged"), 400)


def connect(client, login_as, lrs, **fields):
    login_as("admin")
    data = {"endpoint": lrs.endpoint, "username": "lxp-key", "password": "s3cret", "batch_size": "2",
            "enabled": "y", **fields}  # fmt: skip
    return submit(client, "/admin/lrs", data)


def org_of(app, user_id) -> int:
    with committing(app):
        return db.session.get(User, user_id).organisation_id


def forward(app, organisation_id, after=timedelta(seconds=10)) -> int:
    with committing(app):
        return services.forward_organisation(organisation_id, now=utcnow() + after)


def test_statements_reach_the_lrs_in_batches_once_after_failures_and_a_restart(app, client, login_as, published,
                                                                               api_as, lrs):  # fmt: skip
    assert connect(client, login_as, lrs).status_code == 302
    assert "s3cret" not in client.get("/admin/lrs").get_data(as_text=True)
    learner = api_as("learner")
    learn(learner, published)
    organisation = org_of(app, learner.user_id)
    expected = all_event_ids(app)

    lrs.failing = 1
    assert forward(app, organisation) == 0
    assert lrs.accepted == [] and lrs.attempts == 1
    page = client.get("/admin/lrs").get_data(as_text=True)
    assert "The last batch failed" in page and "503" in page
    assert forward(app, organisation) == 0 and lrs.attempts == 1  # waiting before the retry

    assert forward(app, organisation, after=timedelta(minutes=2)) == len(expected)
    assert sorted(lrs.ids()) == sorted(expected)
    assert lrs.auth == {"Basic " + base64.b64encode(b"lxp-key:s3cret").decode()}
    assert all(problems_of(s) == [] for s in lrs.accepted)

    # A restart: only the state in the database survives. Nothing is sent again.
    with committing(app):
        db.session.remove()
    assert forward(app, organisation, after=timedelta(minutes=3)) == 0
    api = api_as("learner")
    learn(api, published)
    fresh = all_event_ids(app) - expected
    assert forward(app, organisation, after=timedelta(minutes=4)) == len(fresh)
    assert len(lrs.ids()) == len(set(lrs.ids())) == len(expected) + len(fresh)
    with committing(app):
        connection = db.session.get(LrsConnection, organisation)
        assert connection.sent_count == len(lrs.ids()) and connection.last_error is None


def test_an_unreachable_lrs_is_retried_later_and_recent_events_wait_to_settle(app, client, login_as, published,
                                                                              api_as, lrs):  # fmt: skip
    connect(client, login_as, lrs)
    learner = api_as("learner")
    learn(learner, published)
    organisation = org_of(app, learner.user_id)
    assert forward(app, organisation, after=timedelta(0)) == 0  # younger than the settling time
    lrs.server.shutdown()
    lrs.server.server_close()
    assert forward(app, organisation) == 0
    with committing(app):
        connection = db.session.get(LrsConnection, organisation)
        assert connection.failures == 1 and connection.last_error and connection.sent_until_at is None


def test_bad_lrs_settings_are_refused_and_forwarding_is_a_scheduled_job(app, client, login_as, lrs):
    response = connect(client, login_as, lrs, endpoint="ftp://lrs.example.com/", password="")
    assert response.status_code == 400
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(LrsConnection)) == 0
    assert "lxp.lrs.jobs:forward_statements" in {job.target for job in scheduler.JOBS}
    scheduler.run_job(app, "lxp.lrs.jobs:forward_statements")  # nothing configured: does nothing, no error


def test_the_lrs_page_is_for_admins_only(app, client, login_as):
    login_as("trainer")
    assert client.get("/admin/lrs").status_code == 403


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:8080/xapi/", "http://localhost/xapi/", "http://10.0.0.5/", "https://192.168.1.10/xapi/",
     "http://169.254.169.254/latest/", "http://0.0.0.0/", "http://224.0.0.1/", "http://[::1]:8080/",
     "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/", "http://[fc00::5]/", "http://[::]/", "http://100.64.0.1/"],
)  # fmt: skip
def test_an_lrs_at_an_internal_address_is_refused_and_nothing_is_saved(app, client, login_as, endpoint):
    login_as("admin")
    data = {"endpoint": endpoint, "username": "lxp-key", "password": "s3cret", "batch_size": "2", "enabled": "y"}
    response = submit(client, "/admin/lrs", data)
    assert response.status_code == 400
    assert "only to public addresses" in response.get_data(as_text=True)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(LrsConnection)) == 0


def test_forwarding_refuses_a_host_that_resolves_to_loopback_at_connect_time(
    app, client, login_as, published, api_as, monkeypatch
):
    """Public when saved, 127.0.0.1 when sending (DNS rebinding): nothing reaches the server
    listening there, and the admin's page says why."""
    local = Lrs()
    local.thread.start()
    port = local.server.server_port
    real = socket.getaddrinfo
    answers = {"lrs.rebinding.test": "93.184.215.14"}

    def resolver(host, *args, **kwargs):
        if host in answers:  # the name server's answer, and nothing else, is made up
            return real(answers[host], *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        login_as("admin")
        data = {"endpoint": f"http://lrs.rebinding.test:{port}/xapi/", "username": "lxp-key", "password": "s3cret",
                "batch_size": "2", "enabled": "y"}  # fmt: skip
        assert submit(client, "/admin/lrs", data).status_code == 302
        learner = api_as("learner")
        learn(learner, published)
        answers["lrs.rebinding.test"] = "127.0.0.1"
        assert forward(app, org_of(app, learner.user_id)) == 0
        assert local.attempts == 0
        with committing(app):
            connection = db.session.get(LrsConnection, org_of(app, learner.user_id))
            assert connection.failures == 1 and "127.0.0.1" in connection.last_error
        assert "internal address" in client.get("/admin/lrs").get_data(as_text=True)
    finally:
        local.server.shutdown()
        local.server.server_close()
