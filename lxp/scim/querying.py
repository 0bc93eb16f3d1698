"""A SCIM filter tree turned into a SQLAlchemy condition over a resource's columns.

Each resource names its filterable attributes in an ``Attributes`` map: path → (expression,
kind). Kinds: ``text`` (compared case-insensitively, as RFC 7643 says for userName, e-mail and
display names), ``exact`` (case-sensitive: ids, externalId), ``bool``, ``time``, ``id``
(a whole number shown as text), ``const`` (a literal: every lxp e-mail is the primary work one)
and ``custom`` (a function of the operator and value, for ``members.value``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, false, func, not_, or_, select, true

from lxp.scim.filters import And, Compare, FilterError, Not, Or, Present, parse
from lxp.scim.protocol import ScimError

ORDERING = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__"}


def _time(value) -> datetime:
    if not isinstance(value, str):
        raise FilterError('a date needs a string such as "2026-01-01T00:00:00Z"')
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(f"not a date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare_text(column, op: str, value, *, exact: bool):
    if not isinstance(value, str):
        if value is None and op in {"eq", "ne"}:
            return column.is_(None) if op == "eq" else column.is_not(None)
        raise FilterError(f"{op} needs a string here")
    left, right = (column, value) if exact else (func.lower(column), value.lower())
    if op == "ne":
        return or_(column.is_(None), left != right)
    if op == "eq":
        compared = left == right
    elif op == "co":
        compared = left.contains(right, autoescape=True)
    elif op == "sw":
        compared = left.startswith(right, autoescape=True)
    elif op == "ew":
        compared = left.endswith(right, autoescape=True)
    else:
        compared = getattr(left, ORDERING[op])(right)
    if exact and right and op in {"co", "sw", "ew"}:
        compared = and_(compared, _case_exact(left, op, right))
    # An absent attribute matches nothing, and "not" of it everything: never SQL's unknown.
    return and_(column.is_not(None), compared)


def _case_exact(left, op: str, right: str):
    """The same test again, letter case counted: SQLite's LIKE ignores the case of ASCII letters,
    so ``externalId co "E"`` found "e" there (PostgreSQL's LIKE counts it). ``replace``, ``substr``
    and ``=`` count case on both; LIKE before them has made sure ``left`` is long enough."""
    if op == "co":
        return func.replace(left, right, "") != left
    if op == "sw":
        return func.substr(left, 1, len(right)) == right
    return func.substr(left, func.length(left) - len(right) + 1) == right


def condition(node, attributes: dict):
    """The SQL condition of a filter tree. Raises ``ScimError`` 400 ``invalidFilter`` for an
    attribute lxp cannot filter on or an operator that does not fit its type."""
    try:
        return _condition(node, attributes)
    except FilterError as error:
        raise ScimError(400, str(error), "invalidFilter") from None


def _condition(node, attributes: dict):
    if isinstance(node, And):
        return and_(_condition(node.left, attributes), _condition(node.right, attributes))
    if isinstance(node, Or):
        return or_(_condition(node.left, attributes), _condition(node.right, attributes))
    if isinstance(node, Not):
        return not_(_condition(node.inner, attributes))
    if node.path not in attributes:
        raise FilterError(f"lxp cannot filter on {node.path!r}")
    column, kind = attributes[node.path]
    if kind == "custom":  # a callable (op, value) → condition; op "pr" for present
        return column("pr", None) if isinstance(node, Present) else column(node.op, node.value)
    if isinstance(node, Present):
        if kind == "const":
            return true()
        return and_(column.is_not(None), column != "") if kind in {"text", "exact"} else column.is_not(None)
    assert isinstance(node, Compare)
    op, value = node.op, node.value
    if kind in {"text", "exact"}:
        return _compare_text(column, op, value, exact=kind == "exact")
    if kind == "id":
        if op not in {"eq", "ne"}:
            raise FilterError("ids compare with eq and ne only")
        number = int(value) if isinstance(value, str) and value.isdigit() and len(value) < 18 else None
        matched = column == number if number is not None else false()
        return matched if op == "eq" else not_(matched)
    if kind == "bool":
        if op not in {"eq", "ne"} or not isinstance(value, bool):
            raise FilterError("a true/false attribute compares with eq or ne and true or false")
        return column.is_(value) if op == "eq" else column.is_not(value)
    if kind == "time":
        if op in {"co", "sw", "ew"}:
            raise FilterError(f"{op} does not apply to a date")
        moment = _time(value)
        if op == "eq":
            return column == moment
        if op == "ne":
            return column != moment
        return getattr(column, ORDERING[op])(moment)
    # const: a literal every row shares
    matched = _python_compare(column, op, value)
    return true() if matched else false()


def _python_compare(constant, op: str, value) -> bool:
    if isinstance(constant, str) and isinstance(value, str):
        constant, value = constant.lower(), value.lower()
    if op == "eq":
        return constant == value
    if op == "ne":
        return constant != value
    if isinstance(constant, str) and isinstance(value, str):
        return {"co": value in constant, "sw": constant.startswith(value), "ew": constant.endswith(value)}.get(
            op, False
        ) or (op in ORDERING and getattr(constant, ORDERING[op])(value))
    return False


def sort_column(sort_by: str | None, attributes: dict):
    """The column to sort by, or None; an attribute lxp does not sort on is ignored (RFC 7644
    lets a provider fall back to its own order)."""
    if not sort_by:
        return None
    entry = attributes.get(sort_by.lower().removeprefix("urn:ietf:params:scim:schemas:core:2.0:user:")
                           .removeprefix("urn:ietf:params:scim:schemas:core:2.0:group:"))  # fmt: skip
    if entry is None or entry[1] in {"const", "custom"}:
        return None
    column, kind = entry
    return func.lower(column) if kind == "text" else column


def page_of(statement, filter_text: str | None, attributes, sort_by: str | None, descending: bool, start: int,
            count: int, tiebreak):  # fmt: skip
    """A list request over ``statement``: the statement counting every match of the filter, and
    the one reading the page asked for (sorted by ``sort_by``, then ``tiebreak``). Raises
    ``ScimError`` 400 ``invalidFilter``."""
    if filter_text:
        try:
            tree = parse(filter_text)
        except FilterError as error:
            raise ScimError(400, str(error), "invalidFilter") from None
        statement = statement.where(condition(tree, attributes))
    counting = select(func.count()).select_from(statement.subquery())
    column = sort_column(sort_by, attributes)
    order = [] if column is None else [column.desc() if descending else column.asc()]
    return counting, statement.order_by(*order, tiebreak).offset(start - 1).limit(count)
