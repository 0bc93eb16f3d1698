"""The trainer's desk: five queues (help requests, learners who may need a word, evidence to
review, conversations, coaching conversations due), each in its own order. The desk shows the
first ``SHOWN`` of each and how many more wait; a queue's own page shows it ``PER_PAGE`` at a
time, since a coach of hundreds may have hundreds waiting.

Four queues are ordered by the database, which reads a page and counts the rest; the
conversations due come from each learner's stored plan, so they are ordered in Python (only the
journeys with one due are read: ``Journey.coached_due_on``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxp.accounts.models import User
from lxp.coaching import services as coaching
from lxp.coaching import threads
from lxp.core.paging import Page, page_of_list, paginate
from lxp.risk import services as risk
from lxp.workplace import services as workplace

SHOWN = 10
PER_PAGE = 20


def _rows_as_they_are(_trainer: User, rows: list) -> list:
    return rows


@dataclass(frozen=True)
class Queue:
    """How the desk reads one queue for a trainer: ``query``, its statement in order, with
    ``shown`` making a page of its rows into what the page shows; or else ``whole``, the queue
    read and ordered in Python."""

    query: Callable[[User], object] | None = None
    shown: Callable[[User, list], list] = _rows_as_they_are
    whole: Callable[[User], list] | None = None


# Each queue by its name in the address, in the desk's order.
QUEUES: dict[str, Queue] = {
    "help": Queue(query=coaching.help_queue_query),
    "at-risk": Queue(query=risk.desk_flags_query),
    "evidence": Queue(query=workplace.reviews_waiting_query),
    "conversations": Queue(query=threads.coach_inbox_query, shown=threads.with_read_state),
    "checkpoints": Queue(whole=threads.due_checkpoints),
}


def first_of_each(trainer: User) -> tuple[dict[str, list], dict[str, int]]:
    """Each queue's first ``SHOWN``, and how many more each has (0: none)."""
    shown, more = {}, {}
    for name in QUEUES:
        found = queue_page(trainer, name, 1, SHOWN)
        shown[name], more[name] = found.items, max(found.total - SHOWN, 0)
    return shown, more


def queue_page(trainer: User, name: str, page: int, per_page: int = PER_PAGE) -> Page:
    """Page ``page`` of the queue ``name`` (one of ``QUEUES``), in its order (a page past the end
    is the last)."""
    queue = QUEUES[name]
    if queue.whole is not None:
        return page_of_list(queue.whole(trainer), page, per_page)
    found = paginate(queue.query(trainer), page, per_page)
    return Page(queue.shown(trainer, list(found.items)), found.page, max(found.pages, 1), found.total)
