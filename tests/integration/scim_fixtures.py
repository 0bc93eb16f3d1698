"""Helpers for the SCIM tests: a token of an organisation and a client that speaks SCIM with it."""

from __future__ import annotations

import json

from lxp.accounts.models import User
from lxp.extensions import db
from lxp.scim import tokens
from tests.conftest import committing

MEDIA = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def scim_token(app, admin_id: int) -> str:
    """A SCIM token of the admin's organisation, made through the service."""
    with committing(app):
        _token, secret = tokens.create_token(db.session.get(User, admin_id), "Directory")
    return secret


class Scim:
    """A test client that sends the bearer token and SCIM's media type."""

    def __init__(self, app, secret: str) -> None:
        self.client, self.secret = app.test_client(), secret

    def _call(self, method: str, path: str, body=None, headers=None):
        sent = {"Authorization": f"Bearer {self.secret}", **(headers or {})}
        data = None if body is None else json.dumps(body)
        return self.client.open("/scim/v2" + path, method=method, data=data, headers=sent, content_type=MEDIA)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self._call("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self._call("PUT", path, body, **kw)

    def patch(self, path, operations, **kw):
        return self._call("PATCH", path, {"schemas": [PATCH], "Operations": operations}, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


def a_user(user_name: str, **fields) -> dict:
    return {"schemas": [USER], "userName": user_name, "emails": [{"value": user_name, "type": "work", "primary": True}],
            "name": {"givenName": "Pat", "familyName": "Lee"}, "active": True, **fields}  # fmt: skip
