"""The analytics maths: plain data in, numbers out. No Flask, no database.

The queries (``queries.py``) count in SQL what is too big to carry to Python (a million
events) and hand the counts here; ``tally`` does the same counting from a list of events,
so the tests can work out right answers by hand and prove the SQL agrees with them.

Privacy rules live here, once: a number describing fewer than ``MIN_GROUP`` learners is not
shown (None), and a Net Promoter Score needs ``MIN_NPS_ANSWERS`` answers.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

MIN_GROUP = 5  # aggregates of fewer learners are not shown
MIN_NPS_ANSWERS = 10  # no Net Promoter Score from fewer answers
DROP_AFTER_DAYS = 14  # no activity for this long after the last step: stopped for good
UNSEEN_AFTER_DAYS = 7  # a learner not seen for this long is flagged for their trainer
PACE_TOLERANCE = 0.1  # share of the path a learner may trail the straight line to their target

FINISH_VERBS = ("completed", "passed", "attended")
# What shows a learner at a station. Not ``progressed``: a player sends many of those between
# ``launched`` and the finish, and leaving them out keeps the journey map's scan small.
STATION_VERBS = ("launched", "initialized", "attempted", "completed", "passed", "failed", "attended", "missed",
                 "responded", "retracted", "suspended", "resumed", "terminated")  # fmt: skip


def shown(learners: int, value):
    """``value`` when it describes at least ``MIN_GROUP`` learners, else None (not shown)."""
    return value if learners >= MIN_GROUP else None


class Histogram:
    """Values given as (value, how many times), sorted and summed once, so that each quantile
    afterwards is a binary search (the journey map asks a station's times for three of them)."""

    __slots__ = ("_ends", "_values")

    def __init__(self, pairs: Iterable[tuple[float, int]]) -> None:
        self._values: list[float] = []
        self._ends: list[int] = []  # how many values up to and including this one
        seen = 0
        for value, count in sorted((value, count) for value, count in pairs if count > 0):
            seen += count
            self._values.append(value)
            self._ends.append(seen)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (0..1), interpolating linearly between neighbours as
        ``statistics.median`` does for q = 0.5; None when empty."""
        if not self._ends:
            return None
        position = q * (self._ends[-1] - 1)
        below, above = math.floor(position), math.ceil(position)
        low = self._values[bisect.bisect_right(self._ends, below)]
        high = self._values[bisect.bisect_right(self._ends, above)]
        return low + (high - low) * (position - below)


def quantile(histogram: Iterable[tuple[float, int]], q: float) -> float | None:
    """The ``q`` quantile of one histogram (see ``Histogram.quantile``); build a ``Histogram``
    once to ask it for several."""
    return Histogram(histogram).quantile(q)


def parse_duration(text: str | None) -> int | None:
    """Seconds of an ISO 8601 duration as lxp records it (``PT90S``, ``PT1H2M3S``); None otherwise."""
    if not text or not text.startswith("PT"):
        return None
    if text[2:-1].isdigit() and text[-1] == "S":  # what lxp writes: PT<seconds>S
        return int(text[2:-1])
    seconds, number = 0.0, ""
    for char in text[2:]:
        if char.isdigit() or char == ".":
            number += char
        elif char in "HMS" and number:
            seconds += float(number) * {"H": 3600, "M": 60, "S": 1}[char]
            number = ""
        else:
            return None
    return None if number else int(seconds)


# --- input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    """One item of the course, in path order."""

    ref: str
    title: str
    module: str
    kind: str
    modality: str
    minutes: int  # the author's estimate
    is_check: bool = False  # its result says whether the learner can do it (the caller asks the item's kind)


@dataclass(frozen=True)
class Event:
    """The part of a learning event the maths reads."""

    learner: int
    verb: str
    ref: str
    at: datetime
    seconds: int | None = None  # time on task
    mood: int | None = None  # 1..5 from a pulse
    effort: int | None = None  # 1..5 from a pulse
    pulse: bool = False


@dataclass(frozen=True)
class StationCounts:
    """What the database counts per station (distinct learners unless said otherwise)."""

    reached: int = 0
    finished: int = 0
    checked: int = 0  # passed or failed a check
    failed: int = 0  # failed it at least once
    pulse_learners: int = 0
    moods: tuple[int, ...] = (0, 0, 0, 0, 0)  # pulses with mood 1..5
    effort_total: int = 0
    effort_answers: int = 0
    durations: tuple[tuple[int, int], ...] = ()  # (seconds, how many finishes took that long)
    dropped: int = 0  # learners who stopped here for good (see ``stopped_for_good``)


@dataclass(frozen=True)
class LastSeen:
    """A learner's latest event on the course: where, when, and whether it finished the course."""

    learner: int
    ref: str
    at: datetime
    through: bool = False


@dataclass(frozen=True)
class HelpAsked:
    ref: str
    asked: datetime
    resolved: datetime | None = None


def tally(events: Iterable[Event], order: Sequence[str], now: datetime) -> tuple[dict[str, StationCounts], int]:
    """Count events per station as ``queries.station_counts`` does in SQL, and how many
    learners there are: the reference the tests hold the SQL to. A learner went through when
    they finished the last station of ``order``; ``dropped`` follows ``stopped_for_good``."""
    reached, finished, checked, failed, pulsed = (defaultdict(set) for _ in range(5))
    moods = defaultdict(lambda: [0] * 5)
    efforts, durations = defaultdict(list), defaultdict(lambda: defaultdict(int))
    last: dict[tuple[int, str], datetime] = {}
    for e in events:
        if e.verb not in STATION_VERBS:
            continue
        reached[e.ref].add(e.learner)
        if e.verb in FINISH_VERBS:
            finished[e.ref].add(e.learner)
            if e.seconds is not None:
                durations[e.ref][e.seconds] += 1
        if e.verb in ("passed", "failed"):
            checked[e.ref].add(e.learner)
        if e.verb == "failed":
            failed[e.ref].add(e.learner)
        if e.pulse and e.mood is not None:
            pulsed[e.ref].add(e.learner)
            moods[e.ref][e.mood - 1] += 1
            if e.effort is not None:
                efforts[e.ref].append(e.effort)
        last[e.learner, e.ref] = max(e.at, last.get((e.learner, e.ref), e.at))
    through = finished[order[-1]] if order else set()
    dropped = stopped_for_good([LastSeen(learner, ref, at, learner in through) for (learner, ref), at in last.items()],
                               order, now)  # fmt: skip
    counts = {
        ref: StationCounts(
            reached=len(reached[ref]),
            finished=len(finished[ref]),
            checked=len(checked[ref]),
            failed=len(failed[ref]),
            pulse_learners=len(pulsed[ref]),
            moods=tuple(moods[ref]),
            effort_total=sum(efforts[ref]),
            effort_answers=len(efforts[ref]),
            durations=tuple(sorted(durations[ref].items())),
            dropped=dropped.get(ref, 0),
        )  # fmt: skip
        for ref in reached
    }
    return counts, len({learner for learner, _ in last})


def stopped_for_good(last_seen: Iterable[LastSeen], order: Sequence[str], now: datetime,
                     after_days: int = DROP_AFTER_DAYS) -> dict[str, int]:  # fmt: skip
    """Learners per station who stopped there for good: their latest event is on it, they did
    not go through the course, and nothing came from them for ``after_days``. When two latest
    events share a moment, the one further along the path counts."""
    position = {ref: n for n, ref in enumerate(order)}
    latest: dict[int, LastSeen] = {}
    through: set[int] = set()
    for seen in last_seen:
        if seen.ref not in position:
            continue
        if seen.through:
            through.add(seen.learner)
        best = latest.get(seen.learner)
        if best is None or (seen.at, position[seen.ref]) > (best.at, position[best.ref]):
            latest[seen.learner] = seen
    cutoff = now - timedelta(days=after_days)
    dropped: dict[str, int] = defaultdict(int)
    for learner, seen in latest.items():
        if learner not in through and seen.at < cutoff:
            dropped[seen.ref] += 1
    return dict(dropped)


# --- the journey map -----------------------------------------------------------------------


@dataclass(frozen=True)
class StationFacts:
    """One station of the map; every number is None when fewer than ``MIN_GROUP`` learners reached it."""

    station: Station
    counts: StationCounts = field(repr=False)
    help: tuple[HelpAsked, ...] = field(default=(), repr=False)
    social: int = 0  # learners who posted, replied, helped or were endorsed about it in a cohort space

    @property
    def shown(self) -> bool:
        return self.counts.reached >= MIN_GROUP

    @property
    def social_reach(self) -> int | None:
        """Colleagues active about this station in the spaces (cohorts' and courses') (posted, replied, helped,
        endorsed); None when the station is not shown."""
        return shown(self.counts.reached, self.social)

    @property
    def reached(self) -> int | None:
        return shown(self.counts.reached, self.counts.reached)

    @property
    def finished(self) -> int | None:
        return shown(self.counts.reached, self.counts.finished)

    @property
    def finish_rate(self) -> float | None:
        return shown(self.counts.reached, self.counts.finished / self.counts.reached if self.counts.reached else None)

    @cached_property
    def times(self) -> Histogram:
        """The times on task of the finishes, in seconds, sorted once."""
        return Histogram(self.counts.durations)

    def _minutes(self, q: float) -> float | None:
        value = self.times.quantile(q)
        return shown(min(self.counts.reached, self.counts.finished), None if value is None else value / 60)

    @property
    def median_minutes(self) -> float | None:
        return self._minutes(0.5)

    @property
    def spread(self) -> tuple[float, float] | None:
        """The middle half of times on task, in minutes (25th to 75th percentile)."""
        low, high = self._minutes(0.25), self._minutes(0.75)
        return None if low is None or high is None else (low, high)

    @property
    def overrun(self) -> float | None:
        """Median time on task over the estimate: 1.5 means half as long again."""
        median = self.median_minutes
        return None if median is None or not self.station.minutes else median / self.station.minutes

    @property
    def moods(self) -> tuple[int, ...] | None:
        return shown(self.counts.pulse_learners, self.counts.moods)

    @property
    def mood_average(self) -> float | None:
        total = sum(self.counts.moods)
        if not total:
            return None
        return shown(self.counts.pulse_learners, sum((n + 1) * c for n, c in enumerate(self.counts.moods)) / total)

    @property
    def effort_average(self) -> float | None:
        if not self.counts.effort_answers:
            return None
        return shown(self.counts.pulse_learners, self.counts.effort_total / self.counts.effort_answers)

    @property
    def help_requests(self) -> int | None:
        return shown(self.counts.reached, len(self.help))

    @property
    def open_help_requests(self) -> int | None:
        return shown(self.counts.reached, sum(1 for h in self.help if h.resolved is None))

    @property
    def hours_to_resolve(self) -> float | None:
        """Median hours from "I'm stuck" to resolved, over the resolved requests."""
        hours = [((h.resolved - h.asked).total_seconds() / 3600, 1) for h in self.help if h.resolved is not None]
        return shown(self.counts.reached, quantile(hours, 0.5))

    @property
    def dropped(self) -> int | None:
        return shown(self.counts.reached, self.counts.dropped)

    @property
    def drop_rate(self) -> float | None:
        return shown(self.counts.reached, self.counts.dropped / self.counts.reached if self.counts.reached else None)

    @property
    def first_try_rate(self) -> float | None:
        """Share of the learners who took this check and passed without failing first."""
        c = self.counts
        return shown(c.checked, (c.checked - c.failed) / c.checked if c.checked else None)


@dataclass(frozen=True)
class Friction:
    kind: str  # drop, mood, overrun, help
    facts: StationFacts
    value: float


@dataclass(frozen=True)
class JourneyMap:
    stations: tuple[StationFacts, ...]
    learners: int  # in the population the filters chose

    @property
    def shown(self) -> bool:
        return self.learners >= MIN_GROUP

    @property
    def modules(self) -> list[tuple[str, list[StationFacts]]]:
        grouped: list[tuple[str, list[StationFacts]]] = []
        for facts in self.stations:
            if not grouped or grouped[-1][0] != facts.station.module:
                grouped.append((facts.station.module, []))
            grouped[-1][1].append(facts)
        return grouped

    @property
    def friction(self) -> list[Friction]:
        """The biggest drop, the lowest mood, the largest overrun, the most help requests:
        one station each, only among shown numbers, and only where there is friction at all."""
        found = []
        for kind, value, worst, worth in (
            ("drop", lambda f: f.dropped, max, lambda v: v > 0),
            ("mood", lambda f: f.mood_average, min, lambda v: True),
            ("overrun", lambda f: f.overrun, max, lambda v: v > 1),
            ("help", lambda f: f.help_requests, max, lambda v: v > 0),
        ):
            candidates = [(value(f), f) for f in self.stations if value(f) is not None]
            if not candidates:
                continue
            best = worst(v for v, _ in candidates)
            if worth(best):
                found.append(Friction(kind, next(f for v, f in candidates if v == best), best))
        return found


def journey_map(stations: Sequence[Station], counts: dict[str, StationCounts], help_asked: Iterable[HelpAsked],
                learners: int, social: dict[str, int] | None = None) -> JourneyMap:  # fmt: skip
    """Put together the map from the counts, the help requests and the social reach (station
    ref -> colleagues active about it in the spaces (cohorts' and courses')), stations in path order."""
    help_by_ref: dict[str, list[HelpAsked]] = defaultdict(list)
    for asked in help_asked:
        help_by_ref[asked.ref].append(asked)
    social = social or {}
    return JourneyMap(
        tuple(StationFacts(s, counts.get(s.ref, StationCounts()), tuple(help_by_ref[s.ref]), social.get(s.ref, 0))
              for s in stations),
        learners,
    )  # fmt: skip


# --- modalities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModalityFacts:
    modality: str
    stations: int
    reached: int = 0
    finished: int = 0
    checked_after: int = 0
    failed_after: int = 0
    pulse_learners: int = 0
    moods: tuple[int, ...] = (0, 0, 0, 0, 0)
    effort_total: int = 0
    effort_answers: int = 0
    minutes_taken: float = 0.0  # median minutes x finishes, summed over stations with times
    minutes_estimated: float = 0.0

    @property
    def completion(self) -> float | None:
        return shown(self.reached, self.finished / self.reached if self.reached else None)

    @property
    def success_after(self) -> float | None:
        """First-try pass rate of the checks that follow this modality's stations on the path."""
        return shown(self.checked_after, (self.checked_after - self.failed_after) / self.checked_after if self.checked_after else None)  # fmt: skip

    @property
    def mood_average(self) -> float | None:
        total = sum(self.moods)
        return shown(self.pulse_learners, sum((n + 1) * c for n, c in enumerate(self.moods)) / total if total else None)

    @property
    def effort_average(self) -> float | None:
        return shown(self.pulse_learners, self.effort_total / self.effort_answers if self.effort_answers else None)

    @property
    def time_against_estimate(self) -> float | None:
        return shown(self.reached, self.minutes_taken / self.minutes_estimated if self.minutes_estimated else None)


def compare_modalities(journey: JourneyMap, modalities: Sequence[str]) -> list[ModalityFacts]:
    """Each modality's stations summed: completion, first-try success in the next check after
    them on the path, mood, perceived effort and time on task against the estimate."""
    stations = journey.stations
    result = []
    for modality in modalities:
        mine = [f for f in stations if f.station.modality == modality]
        following = {}
        for n, facts in enumerate(stations):
            if facts.station.modality != modality:
                continue
            after = next((f for f in stations[n + 1 :] if f.station.is_check), None)
            if after is not None:
                following[after.station.ref] = after
        taken = estimated = 0.0
        for f in mine:
            median = f.times.quantile(0.5)
            if median is not None:
                taken += median / 60 * f.counts.finished
                estimated += f.station.minutes * f.counts.finished
        result.append(ModalityFacts(
            modality, len(mine),
            reached=sum(f.counts.reached for f in mine), finished=sum(f.counts.finished for f in mine),
            checked_after=sum(f.counts.checked for f in following.values()),
            failed_after=sum(f.counts.failed for f in following.values()),
            pulse_learners=sum(f.counts.pulse_learners for f in mine),
            moods=tuple(sum(f.counts.moods[i] for f in mine) for i in range(5)),
            effort_total=sum(f.counts.effort_total for f in mine),
            effort_answers=sum(f.counts.effort_answers for f in mine),
            minutes_taken=taken, minutes_estimated=estimated,
        ))  # fmt: skip
    return result


# --- satisfaction --------------------------------------------------------------------------


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def breakdown(self) -> tuple[int, int, int] | None:
        """(promoters, passives, detractors), or None from fewer than ``MIN_GROUP`` answers."""
        return shown(self.answers, (self.promoters, self.passives, self.detractors))

    @property
    def score(self) -> int | None:
        """Promoters' share minus detractors' share, in points (-100..100); None under the
        minimum sample, where one answer would swing it wildly."""
        if self.answers < MIN_NPS_ANSWERS:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)


def nps(scores: Iterable[int]) -> Nps:
    """Net Promoter counts of 0-10 answers: 9-10 promote, 7-8 are passive, 0-6 detract."""
    scores = list(scores)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return Nps(len(scores), promoters, len(scores) - promoters - detractors, detractors)


def month_of(day: date) -> date:
    return day.replace(day=1)


def nps_by_month(answers: Iterable[tuple[date, int]]) -> list[tuple[date, Nps]]:
    """NPS per calendar month, oldest first."""
    months: dict[date, list[int]] = defaultdict(list)
    for day, score in answers:
        months[month_of(day)].append(score)
    return [(month, nps(scores)) for month, scores in sorted(months.items())]


@dataclass(frozen=True)
class PulseMonth:
    month: date
    learners: int
    pulses: int
    mood_total: int

    @property
    def mood_average(self) -> float | None:
        return shown(self.learners, self.mood_total / self.pulses if self.pulses else None)


def pulses_by_month(pulses: Iterable[tuple[date, int, int]]) -> list[PulseMonth]:
    """Mood per calendar month from (day, learner, mood); the average only from 5 learners on."""
    learners: dict[date, set[int]] = defaultdict(set)
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, learner, mood in pulses:
        month = month_of(day)
        learners[month].add(learner)
        totals[month][0] += 1
        totals[month][1] += mood
    return [PulseMonth(m, len(learners[m]), *totals[m]) for m in sorted(totals)]


# --- people --------------------------------------------------------------------------------


def pace(start: date, target: date | None, today: date, done: int, total: int) -> str:
    """Where a learner stands against their target date: ``finished``, ``no_target``,
    ``on_track`` or ``behind`` (trailing the straight line from start to target by more than
    ``PACE_TOLERANCE`` of the path, or past the target with steps left)."""
    if total and done >= total:
        return "finished"
    if target is None:
        return "no_target"
    if today >= target:
        return "behind"
    span = (target - start).days
    expected = 1.0 if span <= 0 else min(max((today - start).days / span, 0.0), 1.0)
    share = done / total if total else 0.0
    return "behind" if share < expected - PACE_TOLERANCE else "on_track"
