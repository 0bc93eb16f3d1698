"""The trainer's desk: five queues (help requests, learners who may need a word, evidence to
review, conversations, coaching conversations due), each in its own order. The desk shows the
first ``SHOWN`` of each and how many more wait; a queue's own page shows it ``PER_PAGE`` at a
time, since a coach of hundreds may have hundreds waiting."""

from __future__ import annotations

from collections.abc import Callable

from lxp.accounts.models import User
from lxp.coaching import services as coaching
from lxp.coaching import threads
from lxp.core.paging import Page, page_of_list
from lxp.risk import services as risk
from lxp.workplace import services as workplace

SHOWN = 10
PER_PAGE = 20

# Each queue's name in the address, and what reads it whole for a trainer.
QUEUES: dict[str, Callable[[User], list]] = {
    "help": coaching.help_queue,
    "at-risk": risk.desk_flags,
    "evidence": workplace.reviews_waiting,
    "conversations": threads.coach_inbox,
    "checkpoints": threads.due_checkpoints,
}


def first_of_each(trainer: User) -> tuple[dict[str, list], dict[str, int]]:
    """Each queue's first ``SHOWN``, and how many more each has (0: none)."""
    shown, more = {}, {}
    for name, read in QUEUES.items():
        rows = read(trainer)
        shown[name], more[name] = rows[:SHOWN], max(len(rows) - SHOWN, 0)
    return shown, more


def queue_page(trainer: User, name: str, page: int) -> Page:
    """Page ``page`` of the queue ``name`` (one of ``QUEUES``), in its order."""
    return page_of_list(QUEUES[name](trainer), page, PER_PAGE)
