"""docs/security.md proves each requirement by naming a test: every test it names must exist,
or the map claims a proof that is gone (a renamed or deleted test)."""

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`((?:unit|integration|e2e)/[\w/]+\.py)::(\w+)")


@cache  # the map names over a hundred tests in a few dozen files: parse each file once
def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_the_security_map_names_exists():
    text = (ROOT / "docs/security.md").read_text()
    references = REFERENCE.findall(text)
    assert len(references) > 100  # the map names its proofs this way
    missing = sorted({f"{file}::{name}" for file, name in references
                      if not (ROOT / "tests" / file).exists() or name not in _tests_in(ROOT / "tests" / file)})  # fmt: skip
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
