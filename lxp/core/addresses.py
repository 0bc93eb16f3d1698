"""lxp's Flask class: the pages' own addresses built once per process.

A Today page asks ``url_for`` about 36 times (navigation, each step's card, its forms), and
werkzeug builds each address again from the URL rules: about 7% of the page's time. In a
request, an address of an endpoint with given values is always the same (lxp uses no host or
subdomain rules, and its one ``url_defaults`` function touches static files only), so it is
remembered per script root, endpoint and values; a static file's per file and fingerprint
(``lxp.core.serving``: the fingerprint follows the file's content, so its address does too).
Not remembered: addresses relative to the current blueprint (``.name``), external ones and
those with an anchor, method or scheme, values other than text and whole numbers, and anything
outside a request. A ``url_defaults`` function for pages would have to be pure in the endpoint
and values (``tests/integration/test_addresses.py`` holds the list).
"""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_request

from lxp.core import serving

_PLAIN = frozenset({str, int})  # values an address may be remembered by
KEPT = 4096  # addresses per process, then forgotten all at once (a path's steps, ids of threads...)


class Lxp(Flask):
    """Flask, with ``url_for`` remembering the pages' addresses as the module says."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses: dict[tuple, str] = {}

    def url_for(self, endpoint: str, /, *, _anchor=None, _method=None, _scheme=None, _external=None, **values) -> str:
        context = _cv_request.get(None)
        if (context is None or _anchor is not None or _method is not None or _scheme is not None or _external
                or endpoint[:1] == "."):  # fmt: skip
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)  # fmt: skip
        for value in values.values():
            if type(value) not in _PLAIN:  # a list for a query string, an object: built every time
                return super().url_for(endpoint, _external=_external, **values)
        key = (context.request.script_root, endpoint, *values.items())
        if endpoint == "static":  # and the file's current fingerprint (a stat), or None: no such file
            key = (*key, serving.fingerprints().digest(values.get("filename", "")))
        address = self._addresses.get(key)
        if address is not None:
            return address
        address = super().url_for(endpoint, _external=_external, **values)
        if len(self._addresses) >= KEPT:
            self._addresses.clear()
        self._addresses[key] = address
        return address
