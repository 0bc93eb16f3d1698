"""Errors as RFC 9457 ``application/problem+json``, with field-level details.

Every error an API request meets ends here: marshmallow's 422 (each bad field named with its
location), a refused request from a service (``ServiceError``: its status, message and field),
401/403/404/405 (with ``Allow``)/409/429 and 500. Nothing is written when one is answered:
the session is rolled back first.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import marshmallow as ma
from flask import current_app, json, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from lxp.core.errors import ServiceError
from lxp.extensions import db

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Headers of a Werkzeug error worth keeping in the problem response.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class FieldErrorSchema(ma.Schema):
    location = ma.fields.String(metadata={"description": "json, query, headers or path"})
    field = ma.fields.String(metadata={"description": "dotted path of the field; empty for the whole input"})
    message = ma.fields.String()


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(metadata={"description": "about:blank: the status says what went wrong"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


def is_api_request() -> bool:
    """True for the API's own addresses (not its reference page, which is HTML)."""
    path = request.path
    return path.startswith("/api/") and path != "/api/docs"


def problem(status: int, detail: str | None = None, errors: list[dict] | None = None, headers=None):
    """A problem+json response tuple."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "instance": request.path}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages, location: str, path: str = "") -> list[dict]:
    """webargs' nested messages ({"json": {"a": {"0": ["…"]}}}) as one entry per field."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = "" if key == "_schema" else (f"{path}.{key}" if path else str(key))
            out.extend(_flatten(value, location, name))
        return out
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return [{"location": location, "field": path, "message": str(m)} for m in messages]
    return [{"location": location, "field": path, "message": str(messages)}]


DETAILS = {
    401: _l("Sign in, or send a valid personal access token as ‘Authorization: Bearer …’."),
    403: _l("Your account or token may not do this."),
    404: _l("There is nothing here, or it is not yours to see."),
    405: _l("This address does not accept that method."),
    422: _l("Some fields are not right; see errors."),
    429: _l("Too many requests; wait a moment and try again."),
}


def http_problem(error: HTTPException):
    """The problem response for a Werkzeug ``HTTPException`` (abort, routing, webargs)."""
    db.session.rollback()
    status = error.code or 500
    if status == 304:  # flask-smorest's ETag check: the client's copy is current
        tags = list(request.if_none_match)
        return current_app.response_class(status=304, headers={"ETag": f'"{tags[0]}"'} if len(tags) == 1 else {})
    data = getattr(error, "data", None) or {}
    errors = []
    messages = data.get("messages") or data.get("errors")
    if isinstance(messages, dict):
        for location, fields in messages.items():
            errors.extend(_flatten(fields, location))
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="lxp"'
    detail = data.get("message") or DETAILS.get(status)
    return problem(status, detail, errors, headers)


def service_problem(error: ServiceError):
    """The problem response for a rule a service refused."""
    db.session.rollback()
    errors = [{"location": "json", "field": error.field, "message": str(error.message)}] if error.field else None
    return problem(error.status, str(error.message), errors)


def server_problem(error: Exception):
    log.exception("unhandled API error")
    db.session.rollback()
    return problem(500, _("Something went wrong on our side; nothing was changed. Please try again."))
