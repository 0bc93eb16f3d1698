"""The trainer's desk: five queues (help requests, learners who may need a word, evidence to
review, conversations, coaching conversations due), each in its own order. The desk shows the
first ``SHOWN`` of each and how many more wait; a queue's own page shows it ``PER_PAGE`` at a
time, since a coach of hundreds may have hundreds waiting.

Queues whose order the database can follow are read a page at a time and counted there; the
conversations (those waiting for the coach first, by how long, which read marks decide) and the
conversations due (from each learner's stored plan) are ordered in Python and read whole."""

from __future__ import annotations

from collections.abc import Callable

from lxp.accounts.models import User
from lxp.coaching import services as coaching
from lxp.coaching import threads
from lxp.core.paging import page_of_list, paginate
from lxp.risk import services as risk
from lxp.workplace import services as workplace

SHOWN = 10
PER_PAGE = 20

# Each queue's name in the address and its statement for a trainer, in order.
IN_SQL: dict[str, Callable] = {
    "help": coaching.help_queue_query,
    "at-risk": risk.desk_flags_query,
    "evidence": workplace.reviews_waiting_query,
}
# Each queue's name and what reads it whole, ordered, for a trainer.
IN_PYTHON: dict[str, Callable[[User], list]] = {
    "conversations": threads.coach_inbox,
    "checkpoints": threads.due_checkpoints,
}
QUEUES = (*IN_SQL, *IN_PYTHON)  # the desk's order


def first_of_each(trainer: User) -> tuple[dict[str, list], dict[str, int]]:
    """Each queue's first ``SHOWN``, and how many more each has (0: none)."""
    shown, more = {}, {}
    for name in QUEUES:
        found = queue_page(trainer, name, 1, SHOWN)
        shown[name], more[name] = found.items, max(found.total - SHOWN, 0)
    return shown, more


def queue_page(trainer: User, name: str, page: int, per_page: int = PER_PAGE):
    """Page ``page`` of the queue ``name`` (one of ``QUEUES``), in its order (a page past the end
    is the last): a ``core.paging.Page`` or Flask-SQLAlchemy's ``Pagination``, which read alike."""
    if name in IN_SQL:
        return paginate(IN_SQL[name](trainer), page, per_page)
    return page_of_list(IN_PYTHON[name](trainer), page, per_page)
