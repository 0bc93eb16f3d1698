"""``/metrics`` for Prometheus, open to a bearer token or to configured internal addresses."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, abort, current_app, request

from lxp.core.auth import public
from lxp.core.serving import allow_plain_http

bp = Blueprint("ops", __name__)


def _networks(setting: str | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in (setting or "").split(",") if part.strip()]


def _from_allowed_address() -> bool:
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in network for network in _networks(current_app.config.get("METRICS_ALLOW")))


def _bearer_matches(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@bp.get("/metrics")
@public
@allow_plain_http
def scrape():
    """Prometheus metrics. Without ``LXP_METRICS_TOKEN`` and ``LXP_METRICS_ALLOW`` the page
    does not exist (404); a request from outside the allowed addresses needs the token (401,
    or 404 when no token is configured)."""
    token = current_app.config.get("METRICS_TOKEN")
    if not (token and _bearer_matches(token)) and not _from_allowed_address():
        if token:
            return "a bearer token is needed\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"',
                                                       "Content-Type": "text/plain; charset=utf-8"}  # fmt: skip
        abort(404)
    from lxp.ops import metrics  # the web app loads it (create_app); the scheduler's app has no metrics

    body, content_type = metrics.render(request.headers.get("Accept"))
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}
