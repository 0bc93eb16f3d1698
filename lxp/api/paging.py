"""Cursor pagination with stable ordering.

A list is sorted by a key that never ties (e.g. (time, id)); a page token carries the last
key of the page before, the list's name and the caller, signed with the app's secret, so a
client cannot forge one, and a token from another list (or another person) is refused with a
400 instead of silently paging something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import marshmallow as ma
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeSerializer

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT))
    page_token = ma.fields.String(load_default=None, validate=ma.validate.Length(max=500),
                                  metadata={"description": "next_page_token of the page before"})  # fmt: skip


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A schema ``{items: [...], next_page_token}`` around ``item_schema``."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next_page_token": ma.fields.String(allow_none=True, required=True,
                                            metadata={"description": "null on the last page"}),
    })  # fmt: skip


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp.api.page")


def _jsonable(key) -> list:
    return [k.isoformat() if hasattr(k, "isoformat") else k for k in key]


def cursor(page_token: str | None, *, list_name: str, shape: tuple[Callable, ...] | None = None) -> list | None:
    """The last key of the page before, read from ``page_token`` (None for the first page), for
    lists paged in SQL; with ``shape``, each part of it read by its function (``int``,
    ``datetime.fromisoformat``...). Answers 400 (problem+json) for a token that is forged,
    belongs to another list or user, or is of another shape (one an older lxp made)."""
    if not page_token:
        return None
    try:
        data = _serializer().loads(page_token)
    except BadSignature:
        abort(400, message=_l("This page token is not valid."))
    if not isinstance(data, dict) or data.get("l") != list_name or data.get("u") != current_user.id:
        abort(400, message=_l("This page token belongs to another list."))
    if not isinstance(data.get("a"), list) or (shape is not None and len(data["a"]) != len(shape)):
        abort(400, message=_l("This page token is not valid."))
    if shape is None:
        return data["a"]
    try:
        return [read(part) for read, part in zip(shape, data["a"], strict=True)]
    except (TypeError, ValueError):
        abort(400, message=_l("This page token is not valid."))


def page_of(rows: list, *, list_name: str, key: Callable, limit: int) -> dict:
    """``{items, next_page_token}`` from ``rows`` already in order after the cursor, fetched
    ``limit + 1`` at most: one more than the page says there is a next one."""
    page = rows[:limit]
    next_token = None
    if len(rows) > limit:
        next_token = _serializer().dumps({"l": list_name, "u": current_user.id, "a": _jsonable(key(page[-1]))})
    return {"items": page, "next_page_token": next_token}


def paginate(rows: Iterable, *, list_name: str, key: Callable, limit: int, page_token: str | None) -> dict:
    """One page of ``rows`` (any order; sorted here by ``key``) as ``{items, next_page_token}``:
    for short lists read whole; long ones page in SQL with ``cursor`` and ``page_of``.

    Answers 400 (problem+json) for a token that is forged or belongs to another list or user.
    """
    after = cursor(page_token, list_name=list_name)
    ordered = sorted(rows, key=lambda row: _jsonable(key(row)))
    if after is not None:
        ordered = [row for row in ordered if _jsonable(key(row)) > list(after)]
    return page_of(ordered[: limit + 1], list_name=list_name, key=key, limit=limit)
