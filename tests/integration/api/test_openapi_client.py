"""A client generated from lxp's OpenAPI document works unedited: openapi-python-client
(from ``.venv-interop``) writes it without a warning (no two schemas under one name), and
it calls Today, the path, the inbox and the statements of a live lxp on a loopback port,
parsing every answer into its own models."""

from __future__ import annotations

import importlib
import sys
import threading
import uuid

import pytest
from werkzeug.serving import make_server

from tests.integration.api.test_xapi import learn
from tests.interop import generate_client

ADMIN = ("read", "write", "admin")

pytestmark = pytest.mark.real_commits  # the live server's threads read what the test wrote


@pytest.fixture
def live_lxp(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def generated(app, tmp_path):
    """The client package ``lxp_client``, generated into a temporary folder and imported."""
    document = app.test_client().get("/api/openapi.json").get_json()
    folder = generate_client(document, tmp_path)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("lxp_client")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "lxp_client" or n.startswith("lxp_client.")]:
            del sys.modules[name]


def test_a_generated_client_reads_today_the_path_the_inbox_and_the_statements(app, published, api_as, live_lxp,
                                                                              generated):  # fmt: skip
    learner = api_as("learner")
    learn(learner, published)
    models = importlib.import_module("lxp_client.models")
    today_of = importlib.import_module("lxp_client.api.learning.get_api_v1_today")
    path_of = importlib.import_module("lxp_client.api.learning.get_api_v1_path")
    inbox_of = importlib.import_module("lxp_client.api.inbox.get_api_v1_inbox")
    statements_of = importlib.import_module("lxp_client.api.xapi.get_api_v1_xapi_statements")
    about_of = importlib.import_module("lxp_client.api.xapi_about.get_api_v1_xapi_about")

    with generated.AuthenticatedClient(base_url=live_lxp, token=learner.secret, raise_on_unexpected_status=True) as c:
        today = today_of.sync(client=c)
        assert isinstance(today, models.Today) and isinstance(today.this_week, list), today
        path = path_of.sync(client=c)
        assert isinstance(path, models.Path) and path.steps and isinstance(path.steps[0], models.Step), path
        inbox = inbox_of.sync(client=c)
        assert isinstance(inbox, models.MessagePage) and isinstance(inbox.items, list), inbox
        page = statements_of.sync(client=c, limit=2)
        assert isinstance(page, models.StatementList) and len(page.statements) == 2 and page.more
        assert {s.actor.account["name"] for s in page.statements} == {str(learner.user_id)}
        one = statements_of.sync(client=c, statement_id=uuid.UUID(str(page.statements[0].id)))
        assert isinstance(one, models.Statement) and one.id == page.statements[0].id
        passed = statements_of.sync(client=c, verb="http://adlnet.gov/expapi/verbs/passed", limit=0)
        assert [s.verb["id"] for s in passed.statements] == ["http://adlnet.gov/expapi/verbs/passed"]
        refused = statements_of.sync_detailed(client=generated.Client(base_url=live_lxp), limit=1)
        assert refused.status_code == 401

    admin = api_as("admin", scopes=ADMIN)
    with generated.AuthenticatedClient(base_url=live_lxp, token=admin.secret) as c:
        everything = statements_of.sync(client=c, limit=0, ascending=True)
        assert str(learner.user_id) in {s.actor.account["name"] for s in everything.statements}
    with generated.Client(base_url=live_lxp) as anyone:
        assert about_of.sync(client=anyone).version == ["1.0.3"]
