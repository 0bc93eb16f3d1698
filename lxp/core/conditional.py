"""Conditional GET for pages (``ETag`` / ``If-None-Match`` -> 304), as the API has for JSON.

The tag is a digest of what the person would see: the rendered page, with the request's signed
CSRF token taken out (it carries a timestamp, so it differs every second while the session's
token it signs stays the same), plus who is signed in, their session's CSRF secret and the
locale. So the tag changes whenever the page does, and nobody can match another person's page
or a page of another session or language. The page is still rendered: this saves the bytes
and the phone's work, not the server's.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user


def page_tag(body: bytes) -> str:
    """The entity tag of ``body`` for the current person, session and locale."""
    digest = hashlib.sha256()
    signed = g.get("csrf_token")
    if signed:
        body = body.replace(signed.encode(), b"")
    person = current_user.get_id() if current_user.is_authenticated else ""
    digest.update(f"{person}\0{session.get('csrf_token', '')}\0{get_locale()}\0".encode())
    digest.update(body)
    return digest.hexdigest()[:32]


def conditional_page(view):
    """Decorate a GET view: its 200 answers carry an ``ETag`` and a matching ``If-None-Match``
    gets 304 with no body. ``Cache-Control: private, no-cache`` makes browsers revalidate."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if request.method != "GET" or response.status_code != 200 or response.direct_passthrough:
            return response
        response.set_etag(page_tag(response.get_data()))
        response.headers["Cache-Control"] = "private, no-cache"
        return response.make_conditional(request)

    return wrapper
