"""API test helpers: a person with a personal access token and a client without cookies."""

from __future__ import annotations

import uuid

import pytest

from lxp.accounts import api_tokens
from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import committing

PROBLEM = "application/problem+json"


class ApiClient:
    """A test client that sends a bearer token and JSON, and never a session cookie."""

    def __init__(self, app, secret: str | None, user_id: int):
        self.client = app.test_client(use_cookies=False)
        self.secret, self.user_id = secret, user_id

    def headers(self, extra=None):
        base = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return {**base, **(extra or {})}

    def get(self, path, headers=None, **kwargs):
        return self.client.get(path, headers=self.headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers(headers), **kwargs)

    def put(self, path, json=None, headers=None, **kwargs):
        return self.client.put(path, json=json, headers=self.headers(headers), **kwargs)

    def patch(self, path, json=None, headers=None, **kwargs):
        return self.client.patch(path, json=json, headers=self.headers(headers), **kwargs)

    def delete(self, path, headers=None, **kwargs):
        return self.client.delete(path, headers=self.headers(headers), **kwargs)


def make_token(app, user_id: int, scopes=("read", "write"), name="tests") -> str:
    with committing(app):
        user = db.session.get(User, user_id)
        secret = api_tokens.create_token(user, name, scopes).secret
        unit_of_work.commit()
        return secret


@pytest.fixture
def api_as(app, make_user):
    """``api_as(*roles, scopes=…, **user fields)``: a new person and an ``ApiClient`` with their token."""

    def make(*roles, scopes=("read", "write"), **fields) -> ApiClient:
        user_id = make_user(roles or ("learner",), **fields)
        return ApiClient(app, make_token(app, user_id, scopes), user_id)

    return make


def is_problem(response, status: int) -> dict:
    """Assert ``response`` is a problem+json with ``status``; return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    return body


def new_id() -> str:
    return str(uuid.uuid4())
