"""Flask-Talisman, with each view's security headers worked out once per process.

Talisman builds every header again for every response: it looks up the view's options and
joins the Content-Security-Policy and the Permissions-Policy from their parts, about 70 µs a
response, a tenth of all the health probe costs. Those headers depend only on the view (its
``talisman_view_options``, such as the sandbox of file downloads) and, for HSTS, on whether the
request came over HTTPS; lxp uses no CSP nonce, which would make each response's differ. So
Talisman sets them on the first response of each view and scheme, and the others get a copy.
Except for a view whose options are worked out per request (a ``dict`` subclass that reads the
request, like the package player's framing rule): Talisman sets those every time. Imported only
by the web app (the scheduler's app serves no responses).
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import current_app, request
from flask_talisman import Talisman
from werkzeug.datastructures import Headers


class KeptHeadersTalisman(Talisman):
    """``Talisman`` whose response headers are kept per endpoint and scheme."""

    def init_app(self, app, **options) -> None:
        if options.get("content_security_policy_nonce_in"):
            raise ValueError("a CSP nonce makes every response's headers differ: use Talisman itself")
        self._kept: dict[tuple[str | None, bool], list[tuple[str, str]]] = {}
        super().init_app(app, **options)

    def _set_response_headers(self, response):
        view = current_app.view_functions.get(request.endpoint)
        if type(getattr(view, "talisman_view_options", {})) is not dict:  # options per request
            return super()._set_response_headers(response)
        secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"  # as HSTS asks
        key = (request.endpoint, secure)
        kept = self._kept.get(key)
        if kept is None:
            blank = SimpleNamespace(headers=Headers())
            super()._set_response_headers(blank)
            kept = self._kept[key] = list(blank.headers.items())
        for name, value in kept:
            response.headers[name] = value  # set, not added: as Talisman does
        return response
