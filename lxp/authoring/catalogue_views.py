"""The admin's catalogue pages: competencies, goals and their packages."""

from __future__ import annotations

from flask import Blueprint

from lxp.core.auth import restrict_blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/admin")
restrict_blueprint(bp, "admin")
