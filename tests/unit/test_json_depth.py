"""The depth scan that runs before any JSON body is parsed."""

import json

from lxp.core.json_depth import MAX_DEPTH, too_deep


def test_brackets_inside_strings_do_not_count():
    body = json.dumps({"text": "[" * 5000, "quote": '\\"[[[' * 100, "list": [[["fine"]]]}).encode()
    assert not too_deep(body)


def test_one_level_past_the_limit_is_too_deep_and_the_limit_itself_is_not():
    assert not too_deep(("[" * MAX_DEPTH + "]" * MAX_DEPTH).encode())
    assert too_deep(("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).encode())
    assert too_deep(('{"a":' * 1000).encode())  # unclosed: still refused before parsing
