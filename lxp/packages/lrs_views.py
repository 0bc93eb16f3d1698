"""The LRS resources a cmi5 AU uses, under ``/packages/cmi5/<launch token>/``: the token fetch,
``activities/state``, ``agents/profile`` and ``statements``. The AU runs in the sandboxed frame (an
opaque origin, no cookies), so these answer cross-origin requests (CORS) and take the launch's
auth token instead of a session; no other request reaches the attempt."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from lxp.core.auth import public
from lxp.core.errors import ServiceError
from lxp.extensions import csrf
from lxp.packages import au

bp = Blueprint("package_lrs", __name__, url_prefix="/packages/cmi5/<token>")
csrf.exempt(bp)  # the launch's auth token authenticates these calls, never a cookie
XAPI_VERSION = "1.0.3"


@bp.after_request
def _cross_origin(response):
    response.headers["Access-Control-Allow-Origin"] = "*"  # no cookies are read here
    response.headers["Access-Control-Allow-Headers"] = (
        "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
    )
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
    response.headers["Access-Control-Expose-Headers"] = "X-Experience-API-Version"
    response.headers["X-Experience-API-Version"] = XAPI_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(error: ServiceError):
    return jsonify(title=str(error.message)), error.status


def _base() -> str:
    return request.host_url.rstrip("/")


@bp.route("/fetch", methods=["POST", "OPTIONS"])
@public
def fetch(token: str):
    """The launch's auth token, once (cmi5 8.2); again: the cmi5 error answer."""
    if request.method == "OPTIONS":
        return "", 204
    try:
        return jsonify({"auth-token": au.fetch(token)})
    except ServiceError as error:
        return jsonify({"error-code": "1", "error-text": str(error.message)}), error.status


@bp.route("/xapi/activities/state", methods=["GET", "PUT", "POST", "OPTIONS"])
@public
def state(token: str):
    """A state document: ``LMS.LaunchData`` (read only) or the AU's own."""
    if request.method == "OPTIONS":
        return "", 204
    state_id = request.args.get("stateId", "")
    try:
        if request.method == "GET":
            return jsonify(au.read_state(token, request.headers.get("Authorization"), state_id, _base()))
        au.write_state(token, request.headers.get("Authorization"), state_id, request.get_json(silent=True))
    except ServiceError as error:
        return _problem(error)
    return "", 204


@bp.route("/xapi/agents/profile", methods=["GET", "PUT", "POST", "OPTIONS"])
@public
def agent_profile(token: str):
    """``cmi5LearnerPreferences``: what an AU last wrote for the learner (PUT replaces, POST
    merges), else the learner's language in lxp and audio on."""
    if request.method == "OPTIONS":
        return "", 204
    authorization, profile_id = request.headers.get("Authorization"), request.args.get("profileId", "")
    try:
        if request.method == "GET":
            return jsonify(au.preferences(token, authorization, profile_id))
        au.write_preferences(token, authorization, profile_id, request.get_json(silent=True),
                             merge=request.method == "POST")  # fmt: skip
    except ServiceError as error:
        return _problem(error)
    return "", 204


@bp.route("/xapi/statements", methods=["GET", "POST", "PUT", "OPTIONS"])
@public
def statements(token: str):
    """GET: this registration's statements, the AU's and the LMS's (``statementId``, ``verb``); POST/PUT: one
    statement (or a list) from the AU, checked as cmi5 asks. POST answers the ids."""
    if request.method == "OPTIONS":
        return "", 204
    if request.method == "GET":
        try:
            found = au.registration_statements(token, request.headers.get("Authorization"), _base(),
                                               request.args.get("statementId"), request.args.get("verb"))  # fmt: skip
        except ServiceError as error:
            return _problem(error)
        return jsonify(found if isinstance(found, dict) else {"statements": found, "more": ""})
    sent = request.get_json(silent=True)
    if request.method == "PUT" and isinstance(sent, dict):
        sent = {**sent, "id": request.args.get("statementId", sent.get("id"))}
    ids = []
    try:
        for one in sent if isinstance(sent, list) else [sent]:
            ids.append(au.statement(token, request.headers.get("Authorization"), one, _base()))
    except ServiceError as error:
        return _problem(error)
    return ("", 204) if request.method == "PUT" else (json.dumps(ids), 200, {"Content-Type": "application/json"})
