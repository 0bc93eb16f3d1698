"""Site-wide views: the home redirect, the health check and the readiness check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lxp.core.auth import public
from lxp.core.migrations import schema_state
from lxp.core.serving import allow_plain_http
from lxp.extensions import db

bp = Blueprint("core", __name__)


def start_page_for(user) -> str:
    """The first page a person sees: admins their people, trainers their desk, managers who
    are not learners too their team, learners Today."""
    if user.has_role("admin"):
        return url_for("admin_users.list_users")
    if user.has_role("trainer"):
        return url_for("learning.trainer_desk")
    if user.has_role("manager") and not user.has_role("learner"):
        return url_for("managers.my_team")
    return url_for("learning.today")


@bp.get("/")
@public
def home():
    """Send each person to their start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(start_page_for(current_user))


@bp.get("/healthz")
@public
@allow_plain_http
def health():
    """Liveness: the process is up and answers. It asks nothing of the database (``/readyz``
    does): a probe that restarts workers must not restart them all while the database is away,
    and a load balancer's probe every few seconds should cost next to nothing."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
@allow_plain_http
def ready():
    """Readiness for load balancers and orchestrators: 200 when the database is reachable and
    at the newest migration, else 503 with ``{"status": …, "detail": …}`` (no revision ids)."""
    state = schema_state()
    if state.error is not None:
        return jsonify(status="database unavailable", detail="the database cannot be reached"), 503
    if not state.at_head:
        return jsonify(status="not migrated", detail="the database is not at the newest migration"), 503
    return jsonify(status="ok")


def database_reachable() -> bool:
    """True when a trivial query succeeds; any database error counts as unreachable."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
