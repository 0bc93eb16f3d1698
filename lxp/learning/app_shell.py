"""The learner's app on the phone: the web app manifest (installable, ``display: standalone``
so iOS offers Web Push), the list of files the service worker keeps from its install on
(the shell: CSS, JS, icons, the offline page, at their fingerprinted addresses), and the
offline page itself. All three are public: browsers fetch a manifest without cookies, and
none of them holds anyone's data."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, url_for
from flask_babel import gettext as _

from lxp.core import sessions
from lxp.core.auth import public

bp = Blueprint("app_shell", __name__)

THEME_COLOUR = "#2b59c3"  # --accent in lxp.css
BACKGROUND_COLOUR = "#f4f6fa"  # --wash
# What a page needs to look and work right offline; the service worker fetches these on install.
SHELL_FILES = ("css/lxp.css", "js/offline.js", "js/mark_read.js", "js/zone_search.js", "js/push.js", "favicon.svg",
               "icons/icon-192.png", "icons/apple-touch-icon.png")  # fmt: skip


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest: name, icons (any and maskable), Today as the start."""
    icons = [{"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": "any"} for size in (192, 512)]  # fmt: skip
    icons += [{"src": url_for("static", filename=f"icons/maskable-{size}.png"), "sizes": f"{size}x{size}",
               "type": "image/png", "purpose": "maskable"} for size in (192, 512)]  # fmt: skip
    response = jsonify(
        id="/today",
        name="lxp",
        short_name="lxp",
        description=_("Your learning path, a few minutes a day."),
        start_url=url_for("learning.today"),
        scope="/",
        display="standalone",
        orientation="portrait",
        theme_color=THEME_COLOUR,
        background_color=BACKGROUND_COLOUR,
        icons=icons,
    )
    response.mimetype = "application/manifest+json"
    response.cache_control.no_cache = True
    return response


@bp.get("/offline/shell.json")
@public
def shell():
    """The addresses the service worker caches on install, so that the first visit's pages work
    offline: each static file at its current fingerprint, and the offline page."""
    sessions.leave_session_cookie()
    files = [url_for("static", filename=name) for name in SHELL_FILES]
    response = jsonify(static=files, offline=url_for("app_shell.offline"))
    response.cache_control.no_cache = True
    return response


@bp.get("/offline")
@public
def offline():
    """What the phone shows for a page it has no copy of while offline: it says so and lists
    the pages it does have (offline.js reads them from the cache)."""
    sessions.leave_session_cookie()
    return render_template("learning/offline.html")
