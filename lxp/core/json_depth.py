"""Refuse JSON request bodies nested deeper than any lxp input needs, before anything parses them.

Python's ``json`` recurses once per level, so about a thousand levels raise ``RecursionError``
in whichever parser meets the body first (webargs for the API, ``request.get_json`` in a few
pages). A scan that only counts brackets outside strings runs first, on every JSON request,
and answers 400: a problem body for the API, the error page elsewhere.
"""

from __future__ import annotations

import re

from flask import abort, request
from flask_babel import gettext as _

MAX_DEPTH = 64  # our deepest input (an xAPI statement with extensions) needs a handful

# A whole string literal (escapes included, possessive so it never backtracks) or one bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text ``raw`` opens more than ``limit`` arrays or objects inside each other.
    Brackets inside strings do not count; malformed text is left to the parser to refuse."""
    depth = 0
    for match in _TOKENS.finditer(raw):
        char = match.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def refuse_deep_json():
    """``before_request``: 400 for a JSON body nested deeper than ``MAX_DEPTH``."""
    if not request.is_json:
        return None
    if not too_deep(request.get_data(cache=True)):
        return None
    from lxp.api import problems

    detail = _("The JSON body is nested too deeply (more than %(limit)d levels).", limit=MAX_DEPTH)
    if problems.is_api_request():
        return problems.problem(400, detail)
    abort(400)


def init_app(app) -> None:
    app.before_request(refuse_deep_json)
