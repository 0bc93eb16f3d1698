"""The course editor: concept, outcomes, modules, items, coverage, review, history, preview."""

from __future__ import annotations

from flask import Blueprint

from lxp.core.auth import restrict_blueprint

bp = Blueprint("authoring", __name__, url_prefix="/admin/courses")
restrict_blueprint(bp, "admin")
