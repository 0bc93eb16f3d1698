"""Errors that services raise and views turn into messages a person can act on.

Services raise these with a translatable message; views show the message on the form or
page and answer with the matching HTTP status. Nothing is written when one is raised.
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
