"""A request body nested a thousand levels deep is refused with 400 and a problem body on
every operation that reads JSON, and nothing is written."""

import pytest

from tests.integration.api.conftest import is_problem

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [
        ("patch", "/api/v1/me", ("learner",)),
        ("post", "/api/v1/progress", ("learner",)),
        ("post", "/api/v1/pulse", ("learner",)),
        ("put", "/api/v1/journey", ("learner",)),
        ("post", "/api/v1/coaching/threads", ("learner",)),
        ("patch", "/api/v1/notifications/preferences", ("learner",)),
        ("post", "/api/v1/admin/users", ("admin",)),
        ("post", "/api/v1/help-requests", ("learner",)),
    ],
)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deeply_nested_json_is_a_400_problem(api_as, method, path, roles, body):
    scopes = ("read", "write", "admin") if "admin" in roles else ("read", "write")
    client = api_as(*roles, scopes=scopes)
    response = getattr(client.client, method)(
        path, data=body, headers=client.headers({"Content-Type": "application/json"})
    )
    problem = is_problem(response, 400)
    assert "nested" in problem["detail"]


def test_a_moderately_nested_body_still_gets_its_ordinary_answer(api_as):
    client = api_as("learner")
    response = client.client.patch(
        "/api/v1/me", data="[" * 20 + "]" * 20, headers=client.headers({"Content-Type": "application/json"})
    )
    assert response.status_code == 422  # a list is not a profile: the usual field errors
