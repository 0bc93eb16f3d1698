"""Passwords known from breaches: refused wherever a password is set, with no network call.

The list ships with lxp (``data/common-passwords.txt.gz``, source and licence in
``data/README.md``): the passwords of lxp's minimum length or longer among the one million
most common in public breach corpora. Matching ignores case, so "Password1234" counts as
"password1234". Loaded once per process, on first use (about 110,000 entries).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

LIST_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@cache
def _known() -> frozenset[str]:
    with gzip.open(LIST_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def is_common(password: str) -> bool:
    """Whether ``password`` (ignoring case) is on the shipped list of breached passwords."""
    return (password or "").casefold() in _known()


def size() -> int:
    """How many passwords the list holds."""
    return len(_known())
