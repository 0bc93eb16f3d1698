"""A weekly rhythm rather than a daily streak: a week counts when the learner gave the time
they planned for it themselves. Pure: dates and minutes in, weeks out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Week:
    starts: date  # a Monday
    minutes: int
    met: bool


WEEKS_SHOWN = 6


def earliest_shown(today: date, last: int = WEEKS_SHOWN) -> date:
    """The Monday of the oldest week ``weeks`` can show: work before it changes nothing."""
    return today - timedelta(days=today.weekday(), weeks=last - 1)


def weeks(work: Iterable[tuple[date, int]], start: date, weekly_minutes: int, today: date,
          last: int = WEEKS_SHOWN) -> list[Week]:  # fmt: skip
    """The last ``last`` whole-or-current weeks since ``start`` (Monday to Sunday), oldest first.

    ``work`` is (day, minutes) of what the learner did. The current week counts as met once
    the minutes are reached; until then it is simply not met yet.
    """
    first_monday = start - timedelta(days=start.weekday())
    this_monday = today - timedelta(days=today.weekday())
    totals: dict[date, int] = {}
    for day, minutes in work:
        monday = day - timedelta(days=day.weekday())
        totals[monday] = totals.get(monday, 0) + minutes
    mondays = []
    monday = this_monday
    while monday >= first_monday and len(mondays) < last:
        mondays.append(monday)
        monday -= timedelta(days=7)
    return [Week(m, totals.get(m, 0), totals.get(m, 0) >= weekly_minutes) for m in reversed(mondays)]
