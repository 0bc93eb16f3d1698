"""Site-wide views: the home redirect and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text

from lxp.core.auth import public
from lxp.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@public
def home():
    """Send each person to their start page: learners to Today, staff to their desk."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if current_user.has_role("admin"):
        return redirect(url_for("admin_users.list_users"))
    if current_user.has_role("trainer"):
        return redirect(url_for("learning.trainer_desk"))
    return redirect(url_for("learning.today"))


@bp.get("/healthz")
@public
def health():
    """Liveness and database check for load balancers; answers 503 when the database is down."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")
