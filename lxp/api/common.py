"""Small pieces every API area shares: the guarded blueprint, refusals."""

from __future__ import annotations

from flask_smorest import Blueprint, abort

from lxp.api.auth import guard
from lxp.core.errors import ServiceError
from lxp.core.problems import service_problem


def area(name: str, description: str, *roles: str, admin: bool = False) -> Blueprint:
    """A guarded API blueprint (see ``auth.guard``) whose service refusals become problems."""
    bp = Blueprint(f"api_{name}", __name__, description=description)
    bp.name = f"api_{name}"
    guard(bp, *roles, admin=admin)
    bp.register_error_handler(ServiceError, service_problem)
    return bp


def not_found(message) -> None:
    """Answer 404 (problem+json) saying ``message``."""
    abort(404, message=message)
