"""Friendly error pages in the viewer's language."""

from __future__ import annotations

import logging

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lxp.core import problems
from lxp.core.errors import ServiceError
from lxp.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("That request did not work"), _l("Something in the request was not right. Go back and try again.")),
    403: (
        _l("Not for you, sorry"),
        _l("Your account does not have access to this page. If you think it should, ask your L&D admin."),
    ),
    404: (_l("Page not found"), _l("We could not find this page. It may have moved, or the link may be incomplete.")),
    405: (_l("That request did not work"), _l("This page cannot be used that way.")),
    413: (_l("File too large"), _l("The file is larger than we accept. Choose a smaller one.")),
    429: (_l("Too many attempts"), _l("Please wait a minute before you try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("We have noted the problem. Please try again in a moment; what you saved before is safe."),
    ),
}


def render_error(status: int, detail=None):
    title, text = MESSAGES.get(status, MESSAGES[500])
    return render_template("errors/error.html", status=status, title=title, text=detail or text), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if problems.is_api_request():
            return problems.problem(400, error.description)
        return render_error(
            400,
            _l(
                "This form has expired or was sent from somewhere else. Reload the page and try again; nothing was changed."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if problems.is_api_request():
            return problems.http_problem(error)
        response = render_error(error.code or 500)
        if error.code == 405:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods or [])}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        if problems.is_api_request():
            if isinstance(error, ServiceError):  # a rule an API view did not translate itself
                return problems.service_problem(error)
            return problems.server_problem(error)
        log.exception("unhandled error")
        db.session.rollback()
        return render_error(500)
