"""One log line per request and per job, and the request id support can find them by."""

from __future__ import annotations

import json
import logging
import re

import pytest

from lxp import create_app, scheduler
from lxp.core.auth import public
from lxp.core.request_log import JsonFormatter, request_id_from

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def _lines(caplog, logger: str) -> list[dict]:
    """The records of ``logger`` as the JSON lines production writes (LXP_LOG_FORMAT=json)."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records if record.name == logger]


def test_a_request_line_says_who_what_how_long_and_how_many_queries(client, login_as, caplog):
    person = login_as("learner")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lxp.request"):
        response = client.get("/today", headers={"X-Request-ID": "lb-4711.a:b"})
    assert response.headers["X-Request-ID"] == "lb-4711.a:b"
    (line,) = _lines(caplog, "lxp.request")
    assert line["request_id"] == "lb-4711.a:b"
    assert (line["user_id"], line["organisation_id"]) == (person.id, person.organisation_id)
    assert (line["endpoint"], line["method"], line["status"]) == ("learning.today", "GET", 200)
    assert line["sql_statements"] >= 1 and line["duration_ms"] > 0
    assert line["level"] == "info" and line["logger"] == "lxp.request"
    assert "/today" not in json.dumps(line)  # endpoints only: paths can hold tokens


@pytest.mark.parametrize("given", ["", "has space", "x" * 129, "semi;colon", "tab\there", "ünïcode"])
def test_an_insane_incoming_id_is_replaced_by_a_new_one(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given.encode("utf-8").decode("latin-1")})
    assert HEX_ID.match(response.headers["X-Request-ID"])


def test_every_request_without_an_id_gets_its_own(client, caplog):
    with caplog.at_level(logging.INFO, logger="lxp.request"):
        first = client.get("/login").headers["X-Request-ID"]
        second = client.post("/login", data={}).headers["X-Request-ID"]
    assert HEX_ID.match(first) and HEX_ID.match(second) and first != second
    lines = _lines(caplog, "lxp.request")
    assert [(line["request_id"], line["method"], line["user_id"]) for line in lines] == [
        (first, "GET", None), (second, "POST", None)]  # fmt: skip
    assert request_id_from(None) != request_id_from(None)


@pytest.mark.parametrize("language", ["en", "de", "ru"])
def test_the_not_found_page_shows_the_reference_for_support(client, language):
    response = client.get("/no/such/page", headers={"X-Request-ID": "support-123", "Accept-Language": language})
    assert response.status_code == 404
    assert "support-123" in response.get_data(as_text=True)


def test_a_crash_shows_the_reference_and_logs_it_with_the_traceback(app, caplog):
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "LXP_ENV", "INSTANCE_PATH")
    crashing = create_app({key: app.config[key] for key in keep})
    crashing.add_url_rule("/boom", "boom", public(lambda: 1 / 0))
    with caplog.at_level(logging.INFO):
        response = crashing.test_client().get("/boom")
    assert response.status_code == 500
    reference = response.headers["X-Request-ID"]
    assert reference in response.get_data(as_text=True)
    lines = _lines(caplog, "lxp.core.error_pages")
    assert lines and lines[0]["request_id"] == reference and "ZeroDivisionError" in lines[0]["exception"]
    (line,) = _lines(caplog, "lxp.request")
    assert (line["request_id"], line["endpoint"], line["status"]) == (reference, "boom", 500)


def failing_job():
    raise RuntimeError("the mail server said no")


def test_each_scheduler_job_writes_one_line_with_its_outcome(app, caplog):
    with caplog.at_level(logging.INFO, logger="lxp.job"):
        scheduler.run_job(app, "lxp.nudges.jobs:plan_touchpoints")
        scheduler.run_job(app, f"{__name__}:failing_job")
    ok, failed = _lines(caplog, "lxp.job")
    assert (ok["job"], ok["outcome"], ok["error"]) == ("nudges.plan_touchpoints", "ok", None)
    assert ok["sql_statements"] >= 1 and ok["duration_ms"] > 0
    assert failed["outcome"] == "failed" and failed["error"] == "RuntimeError: the mail server said no"


def test_a_line_that_is_json_already_becomes_fields_of_the_json_line():
    record = logging.LogRecord("lxp.security", logging.INFO, __file__, 1, '{"event": "login", "actor_id": 7}', (), None)
    line = json.loads(JsonFormatter().format(record))
    assert (line["event"], line["actor_id"], line["logger"]) == ("login", 7, "lxp.security") and "message" not in line
    plain = logging.LogRecord("lxp", logging.INFO, __file__, 1, "{not json} at all", (), None)
    assert json.loads(JsonFormatter().format(plain))["message"] == "{not json} at all"
