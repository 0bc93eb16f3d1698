"""Forwarding to a real LRS: the Ralph LRS from PyPI on a loopback port, with its own
validation and its own duplicate check (a re-sent statement must equal the stored one, or it
answers 409). A batch re-sent after the person was renamed is accepted as what it holds; a
genuinely different statement under the same id is recorded as a conflict, shown to the admin,
and the queue goes on."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lxp import events
from lxp.accounts.models import User
from lxp.extensions import db
from lxp.lrs.models import LrsConflict, LrsConnection
from tests.conftest import committing, submit
from tests.integration.api.test_xapi import all_event_ids, forward, learn, org_of
from tests.interop import Ralph


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    server = Ralph(tmp_path_factory.mktemp("ralph"))
    yield server
    server.stop()


@pytest.fixture
def lrs_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "LRS_ALLOW_PRIVATE", True)  # Ralph listens on 127.0.0.1


def connect(client, login_as, ralph):
    login_as("admin")
    data = {"endpoint": ralph.endpoint, "username": ralph.username, "password": ralph.password, "batch_size": "3",
            "enabled": "y"}  # fmt: skip
    assert submit(client, "/admin/lrs", data).status_code == 302


def test_a_batch_resent_after_a_rename_is_what_ralph_holds(app, client, login_as, published, api_as, ralph,
                                                           lrs_allowed):  # fmt: skip
    connect(client, login_as, ralph)
    learner = api_as("learner", name="Lena Fischer")
    learn(learner, published)
    organisation = org_of(app, learner.user_id)
    ours = all_event_ids(app)
    assert forward(app, organisation) == len(ours)
    held = {s["id"]: s for s in ralph.statements()}
    assert ours <= set(held)

    # She changes her name; then a crash loses the high-water mark after Ralph took the
    # statements (at-least-once delivery): everything is sent again.
    with committing(app):
        db.session.get(User, learner.user_id).display_name = "Lena Schmidt"
        db.session.execute(update(LrsConnection).where(LrsConnection.organisation_id == organisation)
                           .values(sent_until_at=None, sent_until_id=None))  # fmt: skip
    assert forward(app, organisation, after=timedelta(minutes=5)) == len(ours)
    with committing(app):
        connection = db.session.get(LrsConnection, organisation)
        assert connection.last_error is None and connection.failures == 0
        assert db.session.scalar(select(func.count()).select_from(LrsConflict)) == 0
    again = {s["id"]: s for s in ralph.statements()}
    assert {i: again[i] for i in ours} == {i: held[i] for i in ours}  # Ralph kept one of each, unchanged
    assert "Lena" not in json.dumps([held[i] for i in ours])


def test_a_different_statement_under_the_same_id_is_recorded_and_the_queue_goes_on(
    app, client, login_as, api_as, ralph, lrs_allowed
):
    connect(client, login_as, ralph)
    learner = api_as("learner")
    clash, fine = uuid.uuid4(), uuid.uuid4()
    with committing(app):
        for event_id, item in ((clash, "1:intro"), (fine, "1:practice")):
            events.record(actor_id=learner.user_id, verb="completed", object_type="item", object_id=item,
                          event_id=event_id)  # fmt: skip
    # Someone else already put a statement with the same id into the LRS, saying something else.
    other = {"id": str(clash), "actor": {"objectType": "Agent", "account": {"homePage": "https://elsewhere.example",
                                                                             "name": "42"}},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/failed", "display": {"en-US": "failed"}},
             "object": {"objectType": "Activity", "id": "https://elsewhere.example/course/1"},
             "timestamp": "2026-01-01T00:00:00+00:00"}  # fmt: skip
    assert ralph.request("statements", body=[other])[0] == 200
    organisation = org_of(app, learner.user_id)

    others = all_event_ids(app) - {str(clash)}  # the admin's sign-in too
    assert forward(app, organisation) == len(others)  # they went; the clash did not stall them
    held = {s["id"]: s for s in ralph.statements()}
    assert str(fine) in others and others <= set(held) and held[str(clash)]["verb"]["id"].endswith("/failed")
    with committing(app):
        connection = db.session.get(LrsConnection, organisation)
        assert connection.last_error is None and connection.sent_until_id is not None
        (conflict,) = db.session.scalars(select(LrsConflict)).all()
        assert conflict.statement_id == clash and conflict.differs == "actor, context, object, timestamp, verb"
        assert json.loads(conflict.theirs)["verb"]["id"].endswith("/failed")
    page = client.get("/admin/lrs").get_data(as_text=True)
    assert str(clash) in page and "differs in actor, context, object, timestamp, verb" in page
    assert forward(app, organisation, after=timedelta(minutes=5)) == 0  # nothing left waiting
