"""SCIM filters (RFC 7644 §3.4.2.2) read into a small tree: a pure engine, no Flask, no database.

``parse(text)`` returns the tree or raises ``FilterError``; the resource services turn the tree
into SQL, and ``matches`` evaluates it against a resource's JSON (for PATCH paths such as
``members[value eq "12"]``). Attribute names are compared case-insensitively, so paths come out
lower-cased, without the core schema's URN (``urn:…:core:2.0:User:userName`` is ``username``);
an extension's attributes keep their URN prefix (``urn:…:enterprise:2.0:user:department``).
A value path ``emails[type eq "work" and value co "@x"]`` becomes the same tree with the outer
attribute put in front of each inner path (``emails.type``, ``emails.value``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"})
CORE_PREFIXES = (
    "urn:ietf:params:scim:schemas:core:2.0:user:",
    "urn:ietf:params:scim:schemas:core:2.0:group:",
)


class FilterError(ValueError):
    """The filter is not one lxp can read; the message says where."""


@dataclass(frozen=True)
class Compare:
    path: str
    op: str
    value: object  # str, int, float, bool or None


@dataclass(frozen=True)
class Present:
    path: str


@dataclass(frozen=True)
class And:
    left: object
    right: object


@dataclass(frozen=True)
class Or:
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    inner: object


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<punct>[()\[\]])
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w:.$-]))
      | (?P<word>[A-Za-z$][\w:.$-]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, object]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FilterError(f"cannot read the filter at character {position + 1}: {text[position : position + 20]!r}")
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "string":
            try:
                value: object = json.loads(raw)
            except ValueError:
                raise FilterError(f"bad string {raw}") from None
        elif kind == "number":
            value = float(raw) if any(c in raw for c in ".eE") else int(raw)
        else:
            value = raw
        tokens.append((kind, value))
        position = match.end()
    return tokens


def normalise_path(raw: str) -> str:
    """An attribute path lower-cased and without the core schemas' URN."""
    path = raw.lower()
    for prefix in CORE_PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        token = self.peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.index += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "word" and str(token[1]).lower() in words:
            self.index += 1
            return str(token[1]).lower()
        return None

    def expect(self, punct: str) -> None:
        token = self.take()
        if token != ("punct", punct):
            raise FilterError(f"expected {punct!r}, found {token[1]!r}")

    def parse_or(self, prefix: str):
        node = self.parse_and(prefix)
        while self.keyword("or"):
            node = Or(node, self.parse_and(prefix))
        return node

    def parse_and(self, prefix: str):
        node = self.parse_unary(prefix)
        while self.keyword("and"):
            node = And(node, self.parse_unary(prefix))
        return node

    def parse_unary(self, prefix: str):
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            node = self.parse_or(prefix)
            self.expect(")")
            return node
        if token and token[0] == "word" and str(token[1]).lower() == "not":
            following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
            if following == ("punct", "("):
                self.index += 2
                node = self.parse_or(prefix)
                self.expect(")")
                return Not(node)
        return self.parse_attribute(prefix)

    def parse_attribute(self, prefix: str):
        kind, raw = self.take()
        if kind != "word":
            raise FilterError(f"expected an attribute name, found {raw!r}")
        path = prefix + normalise_path(str(raw))
        if self.peek() == ("punct", "["):
            if prefix:
                raise FilterError("a value path cannot hold another")
            self.take()
            node = self.parse_or(path + ".")
            self.expect("]")
            token = self.peek()
            if token and token[0] == "word" and str(token[1]).startswith("."):
                self.take()  # emails[type eq "work"].value: a sub-attribute after the brackets
            return node
        operator = self.take()
        op = str(operator[1]).lower() if operator[0] == "word" else ""
        if op == "pr":
            return Present(path)
        if op not in COMPARE_OPS:
            raise FilterError(f"unknown operator {operator[1]!r}")
        kind, value = self.take()
        if kind == "word":
            words = {"true": True, "false": False, "null": None}
            if str(value).lower() not in words:
                raise FilterError(f"a value must be a string, number, true, false or null, not {value!r}")
            value = words[str(value).lower()]
        elif kind == "punct":
            raise FilterError(f"expected a value, found {value!r}")
        return Compare(path, op, value)


def parse(text: str):
    """The tree of a SCIM filter. Raises ``FilterError``."""
    if not text or not text.strip():
        raise FilterError("the filter is empty")
    if len(text) > 2000:
        raise FilterError("the filter is too long")
    parser = _Parser(text)
    node = parser.parse_or("")
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek()[1]!r}")
    return node


def paths_in(node) -> set[str]:
    """Every attribute path the filter names."""
    if isinstance(node, Compare | Present):
        return {node.path}
    if isinstance(node, And | Or):
        return paths_in(node.left) | paths_in(node.right)
    return paths_in(node.inner)


# --- evaluating against a resource's JSON (PATCH paths) -------------------------------------


def _values(resource: dict, path: str) -> list:
    current = [resource]
    for part in path.split("."):
        found = []
        for item in current:
            if isinstance(item, dict):
                for key, value in item.items():
                    if key.lower() == part:
                        found.extend(value if isinstance(value, list) else [value])
        current = found
    return current


def _as_time(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _compare(actual, op: str, expected) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        left_time, right_time = _as_time(actual), _as_time(expected)
        if left_time is not None and right_time is not None and op in {"gt", "ge", "lt", "le", "eq", "ne"}:
            actual, expected = left_time, right_time
        else:
            actual, expected = actual.lower(), expected.lower()
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if isinstance(actual, str) and isinstance(expected, str):
        if op == "co":
            return expected in actual
        if op == "sw":
            return actual.startswith(expected)
        if op == "ew":
            return actual.endswith(expected)
    if op in {"gt", "ge", "lt", "le"} and type(actual) is type(expected) and not isinstance(actual, bool):
        return {"gt": actual > expected, "ge": actual >= expected, "lt": actual < expected, "le": actual <= expected}[
            op
        ]
    return False


def matches(node, resource: dict) -> bool:
    """Whether ``resource`` (a JSON object, e.g. one member of a group) satisfies the filter."""
    if isinstance(node, And):
        return matches(node.left, resource) and matches(node.right, resource)
    if isinstance(node, Or):
        return matches(node.left, resource) or matches(node.right, resource)
    if isinstance(node, Not):
        return not matches(node.inner, resource)
    values = [v for v in _values(resource, node.path) if v is not None and v != ""]
    if isinstance(node, Present):
        return bool(values)
    if node.op == "ne":
        return all(_compare(v, "ne", node.value) for v in values)
    return any(_compare(v, node.op, node.value) for v in values)
