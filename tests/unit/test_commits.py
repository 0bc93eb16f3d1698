"""Only the unit of work ends a transaction: no ``.commit()`` call anywhere else in ``lxp/``.

Read from the source with ``ast``, so it holds for code paths no other test runs; the guard
(``UNIT_OF_WORK_GUARD``) catches the same at run time, naming the caller.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lxp"
ALLOWED = {PACKAGE / "core" / "unit_of_work.py"}


def commit_calls(source: str) -> list[int]:
    """Line numbers of every call of an attribute named ``commit`` (``db.session.commit()``,
    ``session.commit()``, ``unit_of_work.commit()``, ``connection.commit()`` …)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
    ]


def test_the_check_finds_a_commit():
    assert commit_calls("def f():\n    x = 1\n    db.session.commit()\n") == [3]
    assert commit_calls("with boundary('x'):\n    db.session.flush()\n") == []


def test_no_commit_outside_the_unit_of_work():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED
        for line in commit_calls(path.read_text(encoding="utf-8"))
    ]
    assert not found, (
        "commit() outside lxp/core/unit_of_work.py (flush instead; the request, job or command "
        f"commits, or use unit_of_work.boundary): {found}"
    )
