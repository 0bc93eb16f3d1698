"""A page of a longer list, for the ``pager`` macro (it reads as Flask-SQLAlchemy's
``Pagination`` does): for lists the page works out itself, such as one sorted in Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_

from lxp.extensions import db


@dataclass(frozen=True)
class Page:
    items: list
    page: int  # from 1
    pages: int  # at least 1, also for an empty list
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def pages_for(total: int, per_page: int) -> int:
    return max(-(-total // per_page), 1)


def clamped(page: int | None, pages: int) -> int:
    """``page`` within 1..``pages``; None (or past the end) is the last."""
    return pages if page is None else min(max(page, 1), pages)


def page_of_list(rows: Sequence, page: int | None, per_page: int) -> Page:
    """Page ``page`` of ``rows`` (clamped as ``clamped``)."""
    pages = pages_for(len(rows), per_page)
    page = clamped(page, pages)
    return Page(list(rows[(page - 1) * per_page : page * per_page]), page, pages, len(rows))


def paginate(statement, page: int | None, per_page: int):
    """Flask-SQLAlchemy's ``Pagination`` of ``statement`` (ordered): page ``page``, clamped as
    ``clamped`` (a page past the end, as after the last rows there were taken away, is the last)."""
    found = db.paginate(statement, page=max(page or 1, 1), per_page=per_page, error_out=False)
    if page is None or found.page > found.pages > 0:
        found = db.paginate(statement, page=max(found.pages, 1), per_page=per_page, error_out=False)
    return found


def beyond(columns: Sequence, after: Sequence, *, descending: bool = False):
    """The SQL condition "this row comes after the row whose ``columns`` were ``after``" in a list
    ordered by ``columns`` (all ascending, or all ``descending``; the last never ties, an id): an
    API's cursor read in SQL, so a page costs the same however deep in the list it is."""
    column, value = columns[0], after[0]
    past = column < value if descending else column > value
    if len(columns) == 1:
        return past
    return or_(past, and_(column == value, beyond(columns[1:], after[1:], descending=descending)))
