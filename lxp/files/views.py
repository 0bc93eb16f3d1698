"""Serving stored files to the people allowed to see them, and to nobody else."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, send_file
from flask_login import current_user

from lxp.core.auth import public
from lxp.core.errors import ServiceError
from lxp.files import services as files
from lxp.files import storage

bp = Blueprint("files", __name__)
log = logging.getLogger(__name__)

# An uploaded file is never a page of ours: no scripts, no plugins, no forms, no framing, even
# if a browser were talked into rendering it as HTML.
SANDBOX = {"default-src": "'none'", "img-src": "'self'", "style-src": "'unsafe-inline'", "sandbox": ""}


@bp.get("/files/<token>")
@public  # not a page: a signed-out visitor gets a 404 from the access check, not a sign-in form
def download(token: str):
    """One stored file: images inline, everything else as a download. 404 for anyone its
    kind's rule does not allow, signed-out visitors included (and for tokens that do not exist)."""
    try:
        stored = files.file_for(current_user, token)
    except ServiceError:
        abort(404)
    path = storage.path_of(stored.token)
    if not path.is_file():
        log.error("stored file %s has no bytes at %s", stored.id, path)
        abort(404)
    # send_file adds "; charset=utf-8" to text/plain: the only text accepted is checked UTF-8.
    response = send_file(path, mimetype=stored.content_type, conditional=True, etag=stored.sha256, max_age=None)
    response.headers["Content-Disposition"] = files.content_disposition(stored)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# Read by Flask-Talisman for this view only (what its ``@talisman(...)`` decorator sets).
download.talisman_view_options = {"content_security_policy": SANDBOX}
