"""``/metrics``: parsed with prometheus_client's own parser, its numbers follow what happens,
and only Prometheus (a token, or an allowed address) may read it."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import Config
from lxp import create_app, events, scheduler
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.lrs.models import LrsConnection
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from tests.conftest import committing

TOKEN = "scrape-me-please-0123456789"


@pytest.fixture
def scraping(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "METRICS_ALLOW", None)


def scrape(client) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


_occurrences = itertools.count(1)


def _message(user_id: int, *, status: str = "pending", due_minutes_ago: int = 0) -> None:
    db.session.add(OutboxMessage(user_id=user_id, rule="inactive", occurrence=f"metrics:{next(_occurrences)}", category="nudge",
                                 subject="Five minutes for your path?", body="Pick up where you left off.",
                                 link="/today", why="No learning activity for 5 days.", status=status,
                                 due_at=utcnow() - timedelta(minutes=due_minutes_ago)))  # fmt: skip


def test_queue_gauges_follow_the_outbox_being_filled_and_delivered(app, client, make_user, scraping, mailbox):
    learner = make_user(("learner",), email="queued@example.com")
    before = scrape(client)
    assert before[("lxp_outbox_depth", ())] == 0 and before[("lxp_outbox_oldest_due_age_seconds", ())] == 0
    with committing(app):
        # No quiet hours: the delivery run below must send at whatever hour the suite runs.
        db.session.merge(NotificationPreferences(user_id=learner, off=[], channels={}, quiet_start=None,
                                                 quiet_end=None, weekly_cap=5, muted_rules=[]))  # fmt: skip
        _message(learner, due_minutes_ago=10)
        _message(learner, due_minutes_ago=2)
        _message(learner, status="failed", due_minutes_ago=60)
    queued = scrape(client)
    assert queued[("lxp_outbox_depth", ())] == 2
    assert queued[("lxp_outbox_dead_letters", ())] == before[("lxp_outbox_dead_letters", ())] + 1
    assert 600 <= queued[("lxp_outbox_oldest_due_age_seconds", ())] < 700

    scheduler.run_job(app, "lxp.nudges.jobs:deliver_outbox")  # a real delivery run, through SMTP
    delivered = scrape(client)
    assert delivered[("lxp_outbox_depth", ())] == 0
    assert delivered[("lxp_outbox_oldest_due_age_seconds", ())] == 0
    ran = delivered[("lxp_scheduler_last_run_timestamp_seconds", (("job", "nudges.deliver_outbox"),))]
    assert abs(ran - utcnow().timestamp()) < 60
    assert delivered[("lxp_scheduler_last_run_failed", (("job", "nudges.deliver_outbox"),))] == 0
    assert ("lxp_scheduler_last_run_timestamp_seconds", (("job", "nudges.plan_touchpoints"),)) not in delivered


def test_the_lrs_backlog_counts_events_an_enabled_connection_has_not_sent(app, client, make_user, organisation,
                                                                          scraping):  # fmt: skip
    learner = make_user(("learner",))
    with committing(app):
        for n in range(3):
            events.record(actor_id=learner, verb="completed", object_type="item", object_id=f"c:{n}")
    assert scrape(client)[("lxp_lrs_backlog", ())] == 0  # no LRS: nothing waits
    with committing(app):
        db.session.add(LrsConnection(organisation_id=organisation, endpoint="https://lrs.example/xapi/",
                                     username="u", password="p", enabled=True))  # fmt: skip
    assert scrape(client)[("lxp_lrs_backlog", ())] == 3
    with committing(app):
        events.record(actor_id=learner, verb="completed", object_type="item", object_id="c:later")
    assert scrape(client)[("lxp_lrs_backlog", ())] == 4


def test_requests_are_counted_and_timed_per_endpoint_not_per_path(client, scraping):
    key = ("lxp_http_requests_total", (("endpoint", "accounts.login"), ("method", "GET"), ("status", "200")))
    before = scrape(client).get(key, 0)
    client.get("/login")
    client.get("/login?next=/today")
    client.get("/no/such/page/123")
    after = scrape(client)
    assert after[key] == before + 2
    assert after[("lxp_http_requests_total", (("endpoint", "unmatched"), ("method", "GET"), ("status", "404")))] >= 1
    assert after[("lxp_http_request_duration_seconds_count", (("endpoint", "accounts.login"), ("method", "GET")))] >= 2
    assert not any("no/such/page" in str(labels) for _, labels in after)


def test_only_the_token_or_an_allowed_address_reads_the_metrics(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    monkeypatch.setitem(app.config, "METRICS_ALLOW", None)
    assert client.get("/metrics").status_code == 404  # not configured: not there

    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert b"lxp_outbox_depth" not in refused.get_data()

    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "10.0.0.0/8, fd00::/8")
    assert client.get("/metrics").status_code == 404  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "fd00::7"}).status_code == 200


def test_metrics_answer_plain_http_under_https_and_a_bad_allow_list_stops_the_start(app):
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "LXP_ENV", "INSTANCE_PATH")
    secure = create_app({**{key: app.config[key] for key in keep}, "HTTPS": True, "METRICS_ALLOW": "127.0.0.1"})
    assert secure.test_client().get("/metrics", base_url="http://lxp.example").status_code == 200
    with pytest.raises(ValueError, match="LXP_METRICS_ALLOW"):
        Config.from_env({"LXP_METRICS_ALLOW": "10.0.0.0/8,intranet"})
