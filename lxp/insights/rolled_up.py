"""A course's rolled-up figures, kept per process and brought forward as the rollups' mark moves (issue 20).

The journey map for everyone reads the rollups (``lxp.insights.rollups``): the station totals
and each learner's latest moment. They only change when the rollups do, so each process keeps
them per (database, course, stations) with the mark they were read at (its position, the time
it was set and its generation) and reads only the events past the mark on each request. When
a roll-up has moved the mark since (same generation, later position), the kept figures are
brought forward (``brought_forward``: the learners the events in between touched get their new
latest moments) instead of read again; anything else that changes the rollups sets a new
generation, and the next read is a whole one. Kept figures are never changed in place: threads
share them, so bringing forward builds new ones.

Held in memory: per station the summed totals (person-free), per learner their latest moment
on the course (as ``insight_learner_ends``, ids and times, no content). Bounded to ``COURSES``
courses and ``MOMENTS`` learners' moments in all.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

COURSES = 256
MOMENTS = 2_000_000


@dataclass(frozen=True)
class LatestMoment:
    """A learner's latest moment on the course, as the drop-off needs it."""

    at: datetime
    place: int  # the furthest along of its stations in the course's order; -1: none of them
    through: bool  # finished the course's final station


@dataclass(frozen=True)
class RolledUp:
    """What is rolled up of one course: station totals (read only) and the learners' latest
    moments, also sorted by time per station for those not through, so the drop-off at any
    moment is a bisection."""

    totals: dict[str, Any]  # per station: what a tail adds to (``rollups.DayDelta``)
    counts: dict[str, Any]  # per station: the totals as the map counts them, before drop-off; None: not reached
    moments: dict[int, LatestMoment]
    waiting: tuple[tuple[datetime, ...], ...]  # per place: latest moments of learners not through
    learners: int  # learners whose latest moment is at one of the stations


def rolled_up(
    totals: dict[str, Any], counts: dict[str, Any], moments: dict[int, LatestMoment], places: int
) -> RolledUp:
    """``RolledUp`` of the totals and the learners' latest moments on a course of ``places`` stations."""
    waiting: list[list[datetime]] = [[] for _ in range(places)]
    learners = 0
    for moment in moments.values():
        if moment.place < 0:
            continue
        learners += 1
        if not moment.through:
            waiting[moment.place].append(moment.at)
    return RolledUp(totals, counts, moments, tuple(tuple(sorted(at)) for at in waiting), learners)


def brought_forward(
    figures: RolledUp, totals: dict[str, Any], counts: dict[str, Any], moments: dict[int, LatestMoment]
) -> RolledUp:
    """New figures: ``figures`` with ``totals`` and ``counts`` instead of theirs and ``moments``
    replacing the latest moments of the learners in it (``figures`` stay as they are)."""
    kept = dict(figures.moments)
    removed: dict[int, list[datetime]] = {}
    added: dict[int, list[datetime]] = {}
    learners = figures.learners
    for learner, moment in moments.items():
        before = kept.get(learner)
        if before == moment:
            continue
        kept[learner] = moment
        for sign, counted, into in ((-1, before, removed), (1, moment, added)):
            if counted is None or counted.place < 0:
                continue
            learners += sign
            if not counted.through:
                into.setdefault(counted.place, []).append(counted.at)
    waiting = tuple(
        _replaced(times, removed.get(place, []), added.get(place, [])) if place in removed or place in added else times
        for place, times in enumerate(figures.waiting)
    )
    return RolledUp(totals, counts, kept, waiting, learners)


def _replaced(times: tuple[datetime, ...], removed: list[datetime], added: list[datetime]) -> tuple[datetime, ...]:
    """The sorted ``times`` without ``removed`` (each one of them) and with ``added``: slices and
    a merge, not a loop over every learner waiting at the place."""
    cut = []
    for at, many in Counter(removed).items():
        start = bisect_left(times, at)
        cut.extend(range(start, start + many))
    pieces, start = [], 0
    for index in sorted(cut):
        pieces.append(times[start:index])
        start = index + 1
    pieces.append(times[start:])
    return tuple(sorted(chain(*pieces, added)))  # sorted runs: a linear merge


def drop_off(figures: RolledUp, fresh: dict[int, LatestMoment], cutoff: datetime) -> tuple[Counter, int]:
    """Per place, the learners who stopped there for good (latest moment before ``cutoff``,
    final station not finished), and how many learners there are; ``fresh`` replaces the
    rolled-up moments of the learners the events past the mark touched."""
    dropped = Counter({place: bisect_left(times, cutoff) for place, times in enumerate(figures.waiting)})
    learners = figures.learners
    for learner, moment in fresh.items():
        for sign, counted in ((-1, figures.moments.get(learner)), (1, moment)):
            if counted is None or counted.place < 0:
                continue
            learners += sign
            if not counted.through and counted.at < cutoff:
                dropped[counted.place] += sign
    return dropped, learners


class _Kept:
    """A thread-safe LRU of ``RolledUp`` with the mark they are of, per (database, course,
    stations), bounded in courses and moments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: OrderedDict[tuple, tuple[Any, RolledUp]] = OrderedDict()
        self._moments = 0

    def get(self, what: tuple) -> tuple[Any, RolledUp] | None:
        """The mark and the figures kept of ``what``, if any."""
        with self._lock:
            held = self._figures.get(what)
            if held is not None:
                self._figures.move_to_end(what)
            return held

    def put(self, what: tuple, mark: Any, figures: RolledUp) -> None:
        """Keep ``figures`` of ``what`` at ``mark``, instead of what was kept of it."""
        with self._lock:
            gone = self._figures.pop(what, None)
            if gone is not None:
                self._moments -= len(gone[1].moments)
            if len(figures.moments) > MOMENTS:
                return
            self._figures[what] = (mark, figures)
            self._moments += len(figures.moments)
            while len(self._figures) > COURSES or self._moments > MOMENTS:
                _, (_, gone_figures) = self._figures.popitem(last=False)
                self._moments -= len(gone_figures.moments)

    def clear(self) -> None:
        with self._lock:
            self._figures.clear()
            self._moments = 0


kept = _Kept()


def forget_rolled_up() -> None:
    """Empty the per-process figures (tests empty tables and roll back, which no mark records)."""
    kept.clear()
