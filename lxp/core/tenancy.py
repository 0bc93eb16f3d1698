"""Tenancy: every organisation sees only its own rows.

One rule, used by every feature that looks a row up by an id someone sent: the row must exist
and belong to the viewer's organisation, and when it does not the answer is the same
``NotFound`` either way, so an id of another organisation tells nothing about it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lxp.core.errors import NotFound
from lxp.extensions import db

T = TypeVar("T")


def _own_organisation(row) -> int | None:
    return row.organisation_id


def get_in_organisation(model: type[T], ident, organisation_id: int, message, *,
                        organisation_of: Callable[[T], int | None] = _own_organisation,
                        field: str | None = None) -> T:  # fmt: skip
    """The ``model`` row with primary key ``ident`` when it belongs to organisation
    ``organisation_id``. Raises ``NotFound(message, field=field)`` when there is no such row,
    when it is another organisation's, and for an ``ident`` of None.

    ``organisation_of`` reads the organisation of a row that does not hold it itself (an item
    belongs to its course's organisation)."""
    row = db.session.get(model, ident) if ident is not None else None
    if row is None or organisation_of(row) != organisation_id:
        raise NotFound(message, field=field)
    return row
