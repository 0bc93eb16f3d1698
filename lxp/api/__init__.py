"""REST API v1 (flask-smorest + marshmallow) over the same services the pages use.

``init_app`` builds one ``Api`` per application (its OpenAPI document lives on it), registers
the area blueprints ``lxp/api/<area>.py`` under ``/api/v1``, the token loader, and the
problem+json error responses (see ``core/problems.py``; ``core/error_pages.py`` hands API
requests to it). The document is served at ``/api/openapi.json`` and read as a reference page
at ``/api/docs``, rendered by our own template: nothing is loaded from the internet.
"""

from __future__ import annotations

import http
import threading
from importlib import import_module

from flask_smorest import Api
from flask_smorest.utils import prepare_response

from lxp.api import auth, docs
from lxp.core.problems import PROBLEM_JSON, ProblemSchema

AREAS = ("me", "learning", "path_changes", "notifications", "blocks", "inbox", "live", "coaching", "tasks", "trainer",
         "admin", "touchpoints", "insights", "spaces", "xapi", "credentials", "issued_credentials",
         "assignments", "team", "competencies", "predictive_support")  # fmt: skip

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A personal access token made on the profile page (scopes read, write, admin)."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "The site's own browser session; writes also need the X-CSRFToken header."},
}  # fmt: skip


class LxpApi(Api):
    """flask-smorest's Api with problem+json errors documented and no handlers of its own:
    the app-wide handlers in ``core/error_pages.py`` answer API requests with problems."""

    ERROR_SCHEMA = ProblemSchema

    # The OpenAPI document of every route is built when ``spec`` is first read (serving
    # /api/openapi.json, the docs page, the tests), not when the app starts: a web worker that is
    # never asked for it does not hold it (about 3 MB, issue 20).
    _spec = None
    _undocumented: list | None = None
    _documenting = threading.Lock()

    @property
    def spec(self):
        if self._undocumented:
            with self._documenting:
                pending, self._undocumented = self._undocumented, []
                for blp, name, parameters in pending:
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's, with the documentation of the blueprint's views left for ``spec``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        if self._undocumented is None:
            self._undocumented = []
        self._undocumented.append((blp, name, parameters))

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as problem+json", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_app(app) -> LxpApi:
    """Build the API for ``app`` and register every area."""
    app.config.setdefault("API_TITLE", "lxp")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", None)  # we serve the document ourselves
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "components": {"securitySchemes": SECURITY_SCHEMES},
        "info": {"description": "The learner's, trainer's and admin's lxp over HTTP. Errors are "
                                "application/problem+json; lists page with next_page_token."},
    })  # fmt: skip
    api = LxpApi(app)
    for area in AREAS:
        api.register_blueprint(import_module(f"lxp.api.{area}").bp, url_prefix=f"/api/v1{_prefix(area)}")
    api.register_blueprint(import_module("lxp.api.xapi").about_bp, url_prefix="/api/v1/xapi")
    auth.init_app(app)
    app.register_blueprint(docs.bp)
    app.extensions["lxp_api"] = api
    return api


def _prefix(area: str) -> str:
    return {
        "trainer": "/trainer",
        "admin": "/admin",
        "touchpoints": "/admin",
        "xapi": "/xapi",
        "issued_credentials": "/admin",
        "assignments": "/admin",
        "competencies": "/admin",
        "predictive_support": "/admin",
    }.get(area, "")
