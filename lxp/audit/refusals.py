"""Refused access (403 answers) on the audit trail, at most ``LIMIT`` entries per person.

Every page and API answer of 403 (a role or ownership check said no, whichever view or
decorator answered) adds an ``access_refused`` entry naming the method, path and endpoint. A
crawler or a broken script that keeps knocking would flood the trail, so each person (or, with
nobody signed in, each address) gets at most ``LIMIT`` entries per window, counted in the rate
limiter's storage (shared by every worker with Redis); the entry that reaches the limit says
that more were not recorded. The security log line is written for the same entries only.

The request's own work is rolled back anyway (a 403 never commits, ``lxp.core.unit_of_work``);
the entry is committed in a boundary of its own so that it stays.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from limits import parse

from lxp.audit.services import record
from lxp.core import unit_of_work
from lxp.extensions import db, limiter

LIMIT = "20 per hour"
_SCOPE = "audit-refused"


def init_app(app) -> None:
    app.after_request(_note_refusal)


def _who() -> tuple[int | None, int | None, str]:
    """(actor id, organisation id, rate key) of the request: the signed-in person or the API
    token's owner, else nobody and the client's address."""
    if current_user.is_authenticated:  # a session, or an API token's owner (its request loader)
        return current_user.id, current_user.organisation_id, f"user:{current_user.id}"
    return None, None, f"ip:{request.remote_addr}"


def _count(key: str) -> tuple[bool, bool]:
    """(record it, it is the last one recorded in this window) for one refusal of ``key``."""
    if not limiter.enabled:
        return True, False
    limit = parse(LIMIT)
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    keys = [prefix, _SCOPE, key] if prefix else [_SCOPE, key]
    if not limiter.limiter.hit(limit, *keys):
        return False, False
    return True, limiter.limiter.get_window_stats(limit, *keys).remaining == 0


def _note_refusal(response):
    if response.status_code != 403:
        return response
    actor_id, organisation_id, key = _who()
    wanted, last = _count(key)
    if not wanted:
        return response
    details = {"method": request.method, "path": request.path[:200], "endpoint": request.endpoint,
               "api_token": getattr(g.get("api_token"), "id", None)}  # fmt: skip
    if last:
        details["more_not_recorded"] = True  # the limit is reached: the next ones in this window are not
    db.session.rollback()  # nothing of the refused request is kept (a 403 never commits anyway)
    with unit_of_work.boundary("audit: access refused"):
        record("access_refused", organisation_id=organisation_id, actor_id=actor_id, subject_type="path",
               subject_id=request.path[:64], details=details)  # fmt: skip
    return response
