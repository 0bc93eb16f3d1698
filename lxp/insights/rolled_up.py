"""A course's rolled-up figures, kept per process until the rollups' mark moves (issue 20).

The journey map for everyone reads the rollups (``lxp.insights.rollups``): the station totals
and each learner's latest moment. They only change when a roll-up moves the mark, so each
process keeps them under a key of (database, course, stations, the mark's position and the
time it was set) and reads only the events past the mark on each request. A moved mark is a new
key: nothing is ever invalidated; the first read under it replaces the course's older figures.

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
    """A thread-safe LRU of ``RolledUp`` by key, bounded in courses and moments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: OrderedDict[tuple, RolledUp] = OrderedDict()
        self._moments = 0

    def get(self, key: tuple) -> RolledUp | None:
        with self._lock:
            figures = self._figures.get(key)
            if figures is not None:
                self._figures.move_to_end(key)
            return figures

    def put(self, key: tuple, figures: RolledUp) -> None:
        """Keep ``figures`` under ``key`` (what they are of, then the mark: position, time set),
        dropping what was kept of the same course under an older mark."""
        if len(figures.moments) > MOMENTS:
            return
        with self._lock:
            if key in self._figures:
                return
            for older in [k for k in self._figures if k[:-2] == key[:-2]]:
                self._moments -= len(self._figures.pop(older).moments)
            self._figures[key] = figures
            self._moments += len(figures.moments)
            while len(self._figures) > COURSES or self._moments > MOMENTS:
                _, gone = self._figures.popitem(last=False)
                self._moments -= len(gone.moments)

    def clear(self) -> None:
        with self._lock:
            self._figures.clear()
            self._moments = 0


kept = _Kept()


def forget_rolled_up() -> None:
    """Empty the per-process figures (tests empty tables and roll back, which no mark records)."""
    kept.clear()
