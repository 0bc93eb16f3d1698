"""The JSON endpoints a phone uses to turn notifications on and off (see static/js/push.js).

They are sent with the CSRF token in the ``X-CSRFToken`` header; refusals come back as JSON
(``{"title", "field"}``) so the page can say what went wrong.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from lxp.core.errors import ServiceError
from lxp.push import services
from lxp.push.keys import vapid_keys

bp = Blueprint("push", __name__, url_prefix="/push")


def _problem(title: str, status: int, field: str | None = None):
    response = jsonify(title=title, status=status, field=field)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError):
    return _problem(_("This page has expired. Reload it and try again; nothing was changed."), 400)


@bp.get("/key")
def public_key():
    """The application server key browsers subscribe with (base64url, uncompressed P-256)."""
    return jsonify(public_key=vapid_keys().public_key)


@bp.post("/subscriptions")
def subscribe():
    """Keep this browser's subscription: the JSON of ``PushSubscription.toJSON()``.
    201 when new to this person, 200 when they had it already; 422 for a malformed one."""
    try:
        new = services.subscribe(current_user, request.get_json(silent=True), request.headers.get("User-Agent", ""))
    except ServiceError as error:
        return _problem(str(error.message), 422 if error.status == 400 else error.status, error.field)
    return jsonify(subscribed=True), 201 if new else 200


@bp.delete("/subscriptions")
def unsubscribe():
    """Forget this browser's subscription (``{"endpoint"}``); 404 when this person has none there."""
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not services.unsubscribe(current_user, endpoint):
        return _problem(_("Notifications were not on for this browser."), 404, "endpoint")
    return jsonify(subscribed=False)
