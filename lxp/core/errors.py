"""Errors that services raise and views turn into messages a person can act on.

Services raise these with a translatable message; views show the message on the form or
page and answer with the matching HTTP status. Nothing is written when one is raised: a
service may have flushed changes before refusing, but the request's unit of work
(``lxp.core.unit_of_work``) rolls them back, because the answer is a 4xx or the view showed
the refusal through ``show_form_error`` or ``unit_of_work.flash_refusal``, which mark the
request refused. A service never commits, so it cannot keep half of its work.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the rules refuse. ``message`` is shown to the user; ``field`` names the input."""

    status = 400

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class Invalid(ServiceError):
    status = 400


class NotAllowed(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooManyAttempts(ServiceError):
    status = 429


class Unavailable(ServiceError):
    """Something lxp needs for this request does not answer just now (try again later)."""

    status = 503
