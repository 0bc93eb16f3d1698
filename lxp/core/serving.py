"""Serving well without a proxy in front: compressed pages, fingerprinted static files, the
real client address behind trusted proxies, and probes that stay on plain HTTP.

- **Compression** (Flask-Compress): HTML, JSON, CSS, JS and the metrics text go out brotli or
  gzip when the client asks for it. A reverse proxy that compresses itself sees
  ``Content-Encoding`` set and leaves the body alone.
- **Never compressed: answers that carry a secret** (BREACH, docs/security.md "Compression and
  BREACH"). Every answer marked ``Cache-Control: no-store`` (the two-step secret being set up,
  recovery codes, a new API or provisioning token, the data download) goes out uncompressed, so
  its length says nothing about the secret whatever else the page reflects.
- **Browsers keep no signed-in answer** (ASVS V14.3.2): a page, JSON or CSV answer to a
  signed-in person that says nothing of caching itself (or only ``private``/``no-cache``, as
  the conditional pages do) gets ``Cache-Control: private, no-store``, so a shared computer's
  disk cache holds none of it after sign-out. The ETag stays, so the service worker still
  refreshes its offline copies with a 304 (it sends ``If-None-Match`` itself, and the Cache API
  it keeps them in does not follow ``Cache-Control``; signing out deletes them). That default
  is not a mark of a secret: those answers are still compressed; only the answers that set
  ``no-store`` themselves are not.
- **Fingerprinted static URLs**: ``url_for('static', filename='css/lxp.css')`` gives
  ``/static/css/lxp.<12 hex>.css``, the start of the content's SHA-256. That URL names one
  content forever, so it is served with a year-long ``immutable`` cache; an edited file gets a
  new URL at once (the hash follows the file's size and modification time, no build step).
  The plain name still answers, revalidated on every use (``no-cache`` with an ETag), for the
  few places that cannot call ``url_for`` (the service worker's notification icon). The
  service worker itself is served by ``learning.service_worker``, never cached immutably.
- **Proxies**: with ``PROXY_HOPS`` = n > 0, Werkzeug's ``ProxyFix`` trusts the last n
  ``X-Forwarded-For/-Proto/-Host/-Port`` entries, so the rate limiter and the logs see the
  client's address and redirects keep the public scheme. 0 trusts none (lxp faces clients).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import threading
import time
from pathlib import Path
from stat import S_ISREG

from flask import Flask, current_app, g, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
DIGEST_LENGTH = 12
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)?$")
EXTENSION = "lxp_fingerprints"
# Static files compressed on the way out, and what else is: pages, JSON, exports, metrics.
_TEXT_TYPES = frozenset({"text/css", "text/javascript", "application/javascript", "image/svg+xml"})
_PAGE_TYPES = frozenset({"text/html", "text/plain", "text/csv", "text/calendar", "application/json",
                         "application/problem+json", "application/manifest+json"})  # fmt: skip


# Signed-in answers of these types are kept out of browser caches.
_PRIVATE_TYPES = frozenset({"text/html", "application/json", "application/problem+json", "text/csv"})
_DEFAULT_NO_STORE = "lxp_no_store_by_default"  # set on a response by _keep_out_of_browser_caches


def _compress(app: Flask) -> None:
    """Flask-Compress, leaving alone every answer that carries a secret (``no-store`` set by its
    view, not the signed-in default). Imported here: the scheduler's app serves nothing and
    never loads it."""
    from flask_compress import Compress

    class _Compress(Compress):
        def after_request(self, response):
            secret = response is not None and response.cache_control.no_store
            if secret and not getattr(response, _DEFAULT_NO_STORE, False):
                vary = response.headers.get("Vary")
                if not vary or "accept-encoding" not in vary.lower():  # a cache keeps both forms apart
                    response.headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
                return response
            return super().after_request(response)

    _Compress(app)


def _keep_out_of_browser_caches(response):
    """``after_request``: ``private, no-store`` on a signed-in person's pages and data answers
    that do not choose for themselves (public, immutable or already no-store answers keep
    theirs). Reads who is signed in only when the request already loaded them (no query)."""
    user = g.get("_login_user")
    if user is None or not user.is_authenticated or response.mimetype not in _PRIVATE_TYPES:
        return response
    cache = response.cache_control
    if cache.public or cache.immutable or cache.no_store:
        return response
    cache.private = True
    cache.no_store = True
    setattr(response, _DEFAULT_NO_STORE, True)
    return response


def allow_plain_http(view):
    """Exempt ``view`` from the redirect to HTTPS (``LXP_HTTPS``): health probes and metrics
    scrapers speak plain HTTP inside the network (Flask-Talisman reads this attribute)."""
    options = dict(getattr(view, "talisman_view_options", {}))
    options["force_https"] = False
    view.talisman_view_options = options
    return view


class Fingerprints:
    """The content hash of each static file, recomputed when its size or mtime changes. A file is
    looked at on disk at most once every ``recheck_seconds`` (a page links a handful, each
    asked for on every page view); an edit shows within that time."""

    def __init__(self, folder: str | Path, recheck_seconds: float = 1.0, clock=time.monotonic):
        self.folder = str(folder)
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._known: dict[str, tuple[tuple[int, int], str, float]] = {}  # name: (mtime and size, digest, seen at)
        self._lock = threading.Lock()

    def digest(self, filename: str) -> str | None:
        """The file's fingerprint, or None when ``filename`` is not a file inside the folder."""
        now = self._clock()
        known = self._known.get(filename)
        if known is not None and now - known[2] < self.recheck_seconds:
            return known[1]
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if not S_ISREG(stat.st_mode):
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        if known is not None and known[0] == key:
            digest = known[1]
        else:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_LENGTH]
        with self._lock:
            self._known[filename] = (key, digest, now)
        return digest

    def url_name(self, filename: str) -> str:
        """``css/lxp.css`` → ``css/lxp.<digest>.css``; a name that is no file stays as it is."""
        digest = self.digest(filename)
        if digest is None:
            return filename
        folder, base = posixpath.split(filename)
        stem, suffix = posixpath.splitext(base)
        if not stem:  # ".well-known"-like names: the digest goes at the end
            stem, suffix = base, ""
        return posixpath.join(folder, f"{stem}.{digest}{suffix}")

    def resolve(self, requested: str) -> tuple[str, bool]:
        """The file to send for a requested name, and whether the request named its current
        content (so it may be cached for good). A real file of that name wins; an outdated
        digest still gets the current file, but only revalidated."""
        if self.digest(requested) is not None:
            return requested, False
        folder, base = posixpath.split(requested)
        match = _FINGERPRINTED.match(base)
        if match is None:
            return requested, False
        original = posixpath.join(folder, match["stem"] + (match["suffix"] or ""))
        current = self.digest(original)
        if current is None:
            return requested, False
        return original, current == match["digest"]


def fingerprints() -> Fingerprints:
    """The current app's fingerprints of its static files."""
    fingerprints = current_app.extensions[EXTENSION]
    if fingerprints.folder != current_app.static_folder:  # the folder was moved (tests do)
        fingerprints = current_app.extensions[EXTENSION] = Fingerprints(
            current_app.static_folder, current_app.config["STATIC_RECHECK_SECONDS"]
        )
    return fingerprints


def _add_fingerprint(endpoint: str | None, values: dict) -> None:
    if endpoint == "static" and isinstance(values.get("filename"), str):
        values["filename"] = fingerprints().url_name(values["filename"])


def serve_static(filename: str):
    """The ``static`` endpoint: a fingerprinted name for good, any other revalidated."""
    real, for_good = fingerprints().resolve(filename)
    response = send_from_directory(current_app.static_folder, real, max_age=YEAR if for_good else 0)
    if response.mimetype in _TEXT_TYPES and response.status_code == 200:
        # Read the (small) file into the response, so Flask-Compress compresses it like a page;
        # it leaves streamed bodies alone (COMPRESS_STREAMS off: its streaming leaks the file).
        response.direct_passthrough = False
        response.make_sequence()
    if for_good:
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
        response.cache_control.public = True
    return response


def compile_templates(app: Flask) -> int:
    """Compile every template into the app's template cache; returns how many. gunicorn's master
    calls it before forking its workers (``deploy/gunicorn.conf.py``), so they share the compiled
    templates instead of each compiling its own copy on first use: again after every recycle
    (``max_requests``), with the first requests of each new worker waiting for it."""
    environment = app.jinja_env
    names = environment.list_templates(filter_func=lambda name: not name.startswith("."))
    for name in names:
        environment.get_template(name)
    return len(names)


def init_app(app: Flask) -> None:
    """Compression, fingerprinted static files and the trusted proxies, as the module says."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])  # no zstd: not installed
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_MIMETYPES", sorted(_TEXT_TYPES | _PAGE_TYPES))
    _compress(app)
    # Registered after Flask-Compress, so it runs before it (Flask runs them last first).
    app.after_request(_keep_out_of_browser_caches)

    # How often a static file is looked at on disk for edits (0: on every address of it).
    app.config.setdefault("STATIC_RECHECK_SECONDS", 1.0)
    app.extensions[EXTENSION] = Fingerprints(app.static_folder, app.config["STATIC_RECHECK_SECONDS"])
    app.url_defaults(_add_fingerprint)
    app.view_functions["static"] = serve_static
