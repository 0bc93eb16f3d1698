"""Schemathesis against the app's own OpenAPI document, in process: for generated input (valid
and invalid) no endpoint answers 5xx, and every answer matches what the document says (status,
content type, headers, body schema). Rate limits are off for this app only."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lxp import create_app
from lxp.extensions import db, limiter
from tests.integration.api.conftest import make_token

MAX_EXAMPLES = 12  # about a minute for every operation, valid and invalid input
# Minutes long: .ci/run runs it once, in the SQLite leg (`-m "not fuzz"` elsewhere).
pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def fuzz_app(app):
    """A second app on the same database as ``app``, with rate limits off."""
    keep = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SMTP_HOST", "SMTP_PORT", "BASE_URL", "INSTANCE_PATH")
    # Flask-Limiter is one object for every app: with RATELIMIT_ENABLED=False it hooks nothing
    # into this app but also switches itself off; switch it back on for ``app`` (the login
    # tests rely on it), which leaves this app alone without limits.
    enabled = limiter.enabled
    fuzz = create_app({"TESTING": True, "LXP_ENV": "testing", "RATELIMIT_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": "memory://", **{k: app.config[k] for k in keep}})  # fmt: skip
    limiter.enabled = enabled
    yield fuzz
    with fuzz.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def everyone(app, fuzz_app, published, make_user):
    """One person holding every role with a token of every scope, on a path of the published course."""
    from tests.integration.api.conftest import ApiClient

    user_id = make_user(("learner", "trainer", "admin"), email="everyone@example.com")
    secret = make_token(app, user_id, ("read", "write", "admin"))
    api = ApiClient(fuzz_app, secret, user_id)
    body = {"goal_ids": [published["goal"]], "weekly_minutes": 60, "modalities": ["self_paced"]}
    assert api.put("/api/v1/journey", json=body).status_code == 200
    return {"Authorization": f"Bearer {secret}"}


def fuzz_every_other_operation(fuzz_app, everyone, first: int) -> None:
    """Every second operation from ``first`` on, with valid and invalid input. (schemathesis'
    pytest plugin does not run on pytest 9, so the strategies are driven with Hypothesis
    directly.) Valid-looking input may still be refused with a 4xx (a forged page token, an
    unknown time zone): the "positive data is accepted" check is left out; every other check runs."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    # Its WSGI transport asks for gzip as requests does, but does not decode what lxp compresses.
    headers = {**everyone, "Accept-Encoding": "identity"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations[first::2]:
        raw = operation.definition.raw
        open_without_input = raw.get("security") == [] and not raw.get("parameters") and "requestBody" not in raw
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and open_without_input:
                continue  # nothing to make invalid (xAPI's About resource)

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case):
                case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

            check()


# Two halves in two classes: ``--dist loadscope`` hands a class, not a module, to a worker, so
# the two minutes of fuzzing are shared by two workers instead of holding one up alone.
class TestEvenOperations:
    def test_the_api_keeps_its_documented_promises(self, fuzz_app, everyone):
        fuzz_every_other_operation(fuzz_app, everyone, first=0)


class TestOddOperations:
    def test_the_api_keeps_its_documented_promises(self, fuzz_app, everyone):
        fuzz_every_other_operation(fuzz_app, everyone, first=1)
