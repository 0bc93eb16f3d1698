"""Who may open what.

Every endpoint needs a signed-in, active user unless its view is marked ``@public``; role
checks are added with ``@roles_required``. The check runs in ``before_request``, so a new
view is protected without anyone remembering to protect it, and the authorization test
walks the URL map to prove it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

# A reviewer may approve a course version they wrote themselves (with the admin role).
ROLES = ("learner", "trainer", "admin", "reviewer", "manager")


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous visitors (login page, error pages, health)."""
    view.lxp_public = True
    return view


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    """Allow the view only to users holding at least one of ``roles``; others get 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.has_any_role(roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.lxp_roles = frozenset(roles)
        return wrapped

    return decorate


# Blueprints whose every view needs one of these roles (see ``restrict_blueprint``).
BLUEPRINT_ROLES: dict[str, frozenset[str]] = {}


def restrict_blueprint(bp, *roles: str) -> None:
    """Every view of ``bp`` needs one of ``roles``: a signed-in user without one gets 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    BLUEPRINT_ROLES[bp.name] = frozenset(roles)

    @bp.before_request
    def _check_roles():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.has_any_role(roles):
            abort(403)
        return None


def required_roles(app, endpoint: str) -> frozenset[str] | None:
    """The roles an endpoint needs, from ``@roles_required`` or its blueprint; None if any user may."""
    view = app.view_functions.get(endpoint)
    if view is not None and getattr(view, "lxp_roles", None):
        return view.lxp_roles
    blueprint = endpoint.rpartition(".")[0]
    return BLUEPRINT_ROLES.get(blueprint)


def endpoint_is_public(endpoint: str | None) -> bool:
    """True for the static files and for views marked ``@public``."""
    if endpoint is None:
        return True  # no route matched: let the 404 handler answer
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "lxp_public", False))


def require_login_by_default():
    """``before_request`` hook: anonymous visitors of non-public endpoints go to the login page."""
    if endpoint_is_public(request.endpoint):
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)  # a program gets a problem+json answer, not the login page
        return current_app.login_manager.unauthorized()
    return None
