"""Rollups of the event log for the journey map, kept up incrementally (issue 20).

The log is read in order of (stored time, id) past a high-water mark (``RollupMark``); each
run takes what was stored more than ``SETTLE`` ago, so an event of a transaction still open
when the run looks cannot fall behind the mark. A run is a delta, never a recount:

- distinct counts (reached, finished, checked, failed, pulsed) are kept per station and day
  as "did it for the first time that day". For each learner-station pair the new events
  touch, the first moments before and after the batch are compared, so a late event that is
  earlier than one already counted moves the learner to the earlier day, and a repeat adds
  nothing;
- moods, effort and times on task are per event, added on the day they occurred;
- each learner's latest moment on a course (``LearnerEnd``) is recomputed for the learners
  the batch touches.

Two runs at once: the mark's row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so the
second run does nothing; SQLite's single writer makes the second one wait and then find
nothing new). A reader (the journey map, a GET) never writes: it adds the same delta of the
events past the mark in memory (``Tail``).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, String, case, cast, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from lxp.core.time import utcnow
from lxp.events import CHECK_VERBS
from lxp.events import LearningEvent as E
from lxp.extensions import db
from lxp.insights import maths
from lxp.insights.models import FIRST_COUNTS, LearnerEnd, RollupMark, StationDay

MARK = "journey_map"
MANY_ACTORS = 2000  # a window touching more learners is recounted over the whole log, still exactly
SMALL_WINDOW = 20_000  # events read one by one; a larger window is counted in SQL
SETTLE = timedelta(minutes=1)  # longer than any request or job that records events takes to commit
FINISH = maths.FINISH_VERBS
FLAGS = {
    "reached": None,  # any station verb
    "finished": FINISH,
    "checked": CHECK_VERBS,
    "failed": ("failed",),
    "pulsed": ("responded",),
}


@dataclass(frozen=True, order=True)
class Position:
    """Where an event stands in the log: (stored time, id)."""

    at: datetime
    id: uuid.UUID


@dataclass
class DayDelta:
    firsts: Counter = field(default_factory=Counter)  # FIRST_COUNTS -> change
    moods: list = field(default_factory=lambda: [0, 0, 0, 0, 0])
    effort_total: int = 0
    effort_answers: int = 0
    durations: Counter = field(default_factory=Counter)  # seconds -> finishes


@dataclass(frozen=True)
class End:
    last_at: datetime
    last_refs: tuple[str, ...]
    finished_refs: frozenset[str]


@dataclass
class Changes:
    """What the events in (``after``, ``until``] change: per (station, day) and per (course, learner)."""

    days: dict[tuple[str, date], DayDelta] = field(default_factory=dict)
    ends: dict[tuple[int, int], End] = field(default_factory=dict)
    until: Position | None = None

    def day(self, ref: str, on: date) -> DayDelta:
        return self.days.setdefault((ref, on), DayDelta())


def course_of(ref: str) -> int | None:
    """The course id of ``"<course id>:<item key>"``; None for anything else."""
    head, _, _ = ref.partition(":")
    return int(head) if head.isdigit() else None


def _day(value) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value if type(value) is date else value.date()


def _utc_day(column):
    if db.engine.dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _after(position: Position | None):
    # The plain ``recorded_at >=`` lets either database use the (recorded_at, id) index.
    if position is None:
        return []
    return [E.recorded_at >= position.at, tuple_(E.recorded_at, E.id) > tuple_(position.at, position.id)]


def _upto(position: Position | None):
    return [] if position is None else [tuple_(E.recorded_at, E.id) <= tuple_(position.at, position.id)]


def _at_stations():
    return [E.object_type == "item", E.verb.in_(maths.STATION_VERBS)]


def newest(after: Position | None, settled_before: datetime | None) -> Position | None:
    """The last event past ``after`` stored before ``settled_before`` (all when None)."""
    query = select(E.recorded_at, E.id).where(*_after(after)).order_by(E.recorded_at.desc(), E.id.desc()).limit(1)
    if settled_before is not None:
        query = query.where(E.recorded_at < settled_before)
    row = db.session.execute(query).first()
    return None if row is None else Position(row[0], row[1])


def changes(after: Position | None, until: Position | None) -> Changes:
    """The delta the events in (``after``, ``until``] make to the rollups (``until`` None: to
    the end of the log). Three statements; reads only, so a GET may call it."""
    found = Changes(until=until)
    window = [*_after(after), *_upto(until)]
    if after is not None and newest(after, None if until is None else until.at + timedelta(microseconds=1)) is None:
        return found  # nothing past the mark: the usual case for a reader
    # A small window is read in log order by the (stored time, id) index, whatever the table's
    # statistics say, and its learners' rows then come by the actor index; a large window or a
    # first run counts over the whole log (still exactly: pairs it does not touch cancel out).
    small = _small_window(after, until)
    touched = None if small is None else {(r.actor_id, r.object_id) for r in small if r.verb in maths.STATION_VERBS}
    actors = None if touched is None else sorted({actor for actor, _ in touched})
    whose = [] if actors is None else [E.actor_id.in_(actors)]
    # First moments per pair and flag, before the batch and with it.
    before = tuple_(E.recorded_at, E.id) <= tuple_(after.at, after.id) if after is not None else None
    columns = []
    for name, verbs in FLAGS.items():
        new = E.occurred_at if verbs is None else case((E.verb.in_(verbs), E.occurred_at))
        columns.append(func.min(new).label(f"{name}_new"))
        if before is not None:
            old = before if verbs is None else before & E.verb.in_(verbs)
            columns.append(func.min(case((old, E.occurred_at))).label(f"{name}_old"))
    rows = db.session.execute(
        select(E.object_id, E.actor_id, *columns).where(*_at_stations(), *_upto(until), *whose)
        .group_by(E.object_id, E.actor_id)
    ).all()  # fmt: skip
    for row in rows:
        ref, values = row[0], row._mapping
        if touched is not None and (row[1], ref) not in touched:
            continue
        for name in FIRST_COUNTS:
            new = values[f"{name}_new"]
            old = values.get(f"{name}_old") if before is not None else None
            new_day, old_day = (None if new is None else _day(new)), (None if old is None else _day(old))
            if new_day == old_day:
                continue
            if old_day is not None:
                found.day(ref, old_day).firsts[name] -= 1
            if new_day is not None:
                found.day(ref, new_day).firsts[name] += 1
    if small is None:
        _add_measures(found, window)
    else:
        _add_measures_of(found, small)
    _add_ends(found, whose, until)
    return found


def _small_window(after: Position | None, until: Position | None) -> list | None:
    """The item events in (``after``, ``until``], when there are at most ``SMALL_WINDOW``."""
    if after is None:
        return None
    rows = db.session.execute(
        select(E.recorded_at, E.id, E.object_type, E.actor_id, E.object_id, E.verb, E.occurred_at, E.result)
        .where(*_after(after), *_upto(until)).order_by(E.recorded_at, E.id).limit(SMALL_WINDOW + 1)
    ).all()  # fmt: skip
    if len(rows) > SMALL_WINDOW:
        return None
    return [row for row in rows if row.object_type == "item"]


def _whole(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _add_measures_of(found: Changes, rows: list) -> None:
    """``_add_measures`` for a small window already read."""
    for row in rows:
        if row.verb not in (*FINISH, "responded"):
            continue
        result = row.result if isinstance(row.result, dict) else {}
        entry = found.day(row.object_id, row.occurred_at.date())
        duration = result.get("duration")
        seconds = maths.parse_duration(duration if isinstance(duration, str) else None)
        if seconds is not None:
            entry.durations[seconds] += 1
        extensions = result.get("extensions") if isinstance(result.get("extensions"), dict) else {}
        mood, effort = _whole(extensions.get("mood")), _whole(extensions.get("effort"))
        if mood is not None and 1 <= mood <= 5:
            entry.moods[mood - 1] += 1
            if effort is not None:
                entry.effort_total += effort
                entry.effort_answers += 1


def _add_measures(found: Changes, window: list) -> None:
    """Times on task of the finishes, moods and effort of the pulses, per station and day."""
    duration = E.result["duration"].as_string()
    mood = E.result[("extensions", "mood")].as_integer()
    effort = E.result[("extensions", "effort")].as_integer()
    day = _utc_day(E.occurred_at)
    rows = db.session.execute(
        select(E.object_id, day, duration, mood, effort, func.count())
        .where(E.object_type == "item", E.verb.in_((*FINISH, "responded")), *window)
        .group_by(E.object_id, day, duration, mood, effort)
    ).all()  # fmt: skip
    for ref, on, text_value, mood_value, effort_value, count in rows:
        entry = found.day(ref, _day(on))
        seconds = maths.parse_duration(text_value)
        if seconds is not None:
            entry.durations[seconds] += count
        if mood_value is not None and 1 <= mood_value <= 5:
            entry.moods[mood_value - 1] += count
            if effort_value is not None:
                entry.effort_total += effort_value * count
                entry.effort_answers += count


def _add_ends(found: Changes, whose: list, until: Position | None) -> None:
    """Each touched learner's latest moment per course, recomputed over their whole log."""
    finished = func.max(case((E.verb.in_(FINISH), 1), else_=0))
    rows = db.session.execute(
        select(E.actor_id, E.object_id, func.max(E.occurred_at), finished)
        .where(*_at_stations(), *_upto(until), *whose)
        .group_by(E.actor_id, E.object_id)
    ).all()  # fmt: skip
    per: dict[tuple[int, int], list] = {}
    for actor, ref, last_at, done in rows:
        course = course_of(ref)
        if course is not None:
            per.setdefault((course, actor), []).append((ref, last_at, done))
    for key, stations in per.items():
        last_at = max(at for _, at, _ in stations)
        found.ends[key] = End(last_at, tuple(sorted(r for r, at, _ in stations if at == last_at)),
                              frozenset(r for r, _, done in stations if done))  # fmt: skip


# --- writing ---------------------------------------------------------------------------------


def _claim_mark(wait: bool = False) -> RollupMark | None:
    """The mark's row, locked for this transaction; None when another run holds it (PostgreSQL,
    unless ``wait``)."""
    dialect = db.session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(make(RollupMark).values(name=MARK).on_conflict_do_nothing(index_elements=["name"]))
    if dialect == "postgresql":
        return db.session.execute(
            select(RollupMark).where(RollupMark.name == MARK).with_for_update(skip_locked=not wait)
        ).scalar_one_or_none()
    # SQLite: write first, so this transaction holds the one write lock before it reads the mark.
    db.session.execute(update(RollupMark).where(RollupMark.name == MARK).values(updated_at=utcnow()))
    return db.session.execute(
        select(RollupMark).where(RollupMark.name == MARK).execution_options(populate_existing=True)
    ).scalar_one()


def roll_up(now: datetime | None = None, settle: timedelta = SETTLE) -> int | None:
    """Add the events stored up to ``settle`` before ``now`` and past the mark to the rollups
    and move the mark; returns how many station-days changed, or None when another run holds
    the mark. Flushes; the caller commits (one job run or CLI command)."""
    mark = _claim_mark()
    if mark is None:
        return None
    after = Position(mark.until_at, mark.until_id) if mark.until_at is not None else None
    until = newest(after, (now or utcnow()) - settle)
    if until is None:
        return 0
    delta = changes(after, until)
    _apply(delta)
    mark.until_at, mark.until_id, mark.updated_at = until.at, until.id, utcnow()
    db.session.flush()
    return len(delta.days)


def rebuild() -> int:
    """Forget the rollups and roll the whole log up again (after a bulk import of old events)."""
    _claim_mark(wait=True)
    db.session.execute(delete(StationDay))
    db.session.execute(delete(LearnerEnd))
    db.session.execute(update(RollupMark).where(RollupMark.name == MARK).values(until_at=None, until_id=None))
    db.session.expire_all()
    return roll_up(settle=timedelta(0)) or 0


def _apply(delta: Changes) -> None:
    refs = sorted({ref for ref, _ in delta.days})
    stored = {}
    for chunk in _chunks(refs, 500):
        for row in db.session.execute(select(StationDay).where(StationDay.ref.in_(chunk))).scalars():
            stored[(row.ref, row.day)] = row
    new_rows = []
    for (ref, on), change in delta.days.items():
        row = stored.get((ref, on))
        if row is None:
            row = StationDay(ref=ref, day=on, course_id=course_of(ref) or 0, reached=0, finished=0, checked=0,
                             failed=0, pulsed=0, moods=[0] * 5, effort_total=0, effort_answers=0, durations={})  # fmt: skip
            new_rows.append(row)
        for name in FIRST_COUNTS:
            setattr(row, name, getattr(row, name) + change.firsts[name])
        row.moods = [a + b for a, b in zip(row.moods, change.moods, strict=True)]
        row.effort_total += change.effort_total
        row.effort_answers += change.effort_answers
        durations = Counter({int(k): v for k, v in row.durations.items()})
        durations.update(change.durations)
        row.durations = {str(k): v for k, v in sorted(durations.items())}
    db.session.add_all(new_rows)
    learners = sorted({learner for _, learner in delta.ends})
    for chunk in _chunks(learners, 1000):
        db.session.execute(delete(LearnerEnd).where(LearnerEnd.learner_id.in_(chunk)))
    if delta.ends:
        db.session.execute(insert(LearnerEnd), [
            {"course_id": course, "learner_id": learner, "last_at": end.last_at, "last_refs": list(end.last_refs),
             "finished_refs": sorted(end.finished_refs)}
            for (course, learner), end in delta.ends.items()
        ])  # fmt: skip
    db.session.flush()


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- reading ---------------------------------------------------------------------------------


def mark() -> Position | None:
    row = db.session.get(RollupMark, MARK)
    return None if row is None or row.until_at is None else Position(row.until_at, row.until_id)


def station_figures(course_id: int, refs: list[str], now: datetime) -> tuple[dict[str, maths.StationCounts], int]:
    """What ``queries.station_counts`` and ``queries.times_and_moods`` give for everyone on the
    course over all time, from the rollups plus the events past the mark (added in memory).
    Three statements and the tail's; O(stations × days + learners), not O(events)."""
    tail = changes(mark(), None)
    totals: dict[str, DayDelta] = {}
    read = [getattr(StationDay, name) for name in ("ref", *FIRST_COUNTS, "moods", "effort_total", "effort_answers")]
    for row in db.session.execute(select(*read, StationDay.durations).where(StationDay.ref.in_(refs))):
        entry = totals.setdefault(row.ref, DayDelta())
        for name in FIRST_COUNTS:
            entry.firsts[name] += getattr(row, name)
        entry.moods = [a + b for a, b in zip(entry.moods, row.moods, strict=True)]
        entry.effort_total += row.effort_total
        entry.effort_answers += row.effort_answers
        entry.durations.update({int(k): v for k, v in row.durations.items()})
    wanted = set(refs)
    for (ref, _), change in tail.days.items():
        if ref not in wanted:
            continue
        entry = totals.setdefault(ref, DayDelta())
        entry.firsts.update(change.firsts)
        entry.moods = [a + b for a, b in zip(entry.moods, change.moods, strict=True)]
        entry.effort_total += change.effort_total
        entry.effort_answers += change.effort_answers
        entry.durations.update(change.durations)
    cutoff = now - timedelta(days=maths.DROP_AFTER_DAYS)
    final = refs[-1]
    fresh = {learner: end for (course, learner), end in tail.ends.items() if course == course_id}
    # Grouped in the database: the learners' latest stations, gone or not, through or not.
    stations = cast(LearnerEnd.last_refs, String)
    gone = LearnerEnd.last_at < cutoff
    through = cast(LearnerEnd.finished_refs, String).contains(json.dumps(final), autoescape=True)
    groups = [
        (tuple(json.loads(text_value)), bool(is_gone), bool(is_through), count)
        for text_value, is_gone, is_through, count in db.session.execute(
            select(stations, gone, through, func.count())
            .where(LearnerEnd.course_id == course_id, *([LearnerEnd.learner_id.not_in(fresh)] if fresh else []))
            .group_by(stations, gone, through)
        )
    ]  # fmt: skip
    groups += [(end.last_refs, end.last_at < cutoff, final in end.finished_refs, 1) for end in fresh.values()]
    dropped, learners = _drop_off(groups, refs)
    return {
        ref: maths.StationCounts(
            reached=e.firsts["reached"], finished=e.firsts["finished"], checked=e.firsts["checked"],
            failed=e.firsts["failed"], pulse_learners=e.firsts["pulsed"], moods=tuple(e.moods),
            effort_total=e.effort_total, effort_answers=e.effort_answers,
            durations=tuple(sorted((s, n) for s, n in e.durations.items() if n)), dropped=dropped.get(ref, 0),
        )
        for ref, e in totals.items() if e.firsts["reached"] > 0
    }, learners  # fmt: skip


def _drop_off(groups, refs: list[str]) -> tuple[Counter, int]:
    """Learners who stopped at each station for good (as ``queries.station_counts``) and how many
    learners there are, from (latest stations, gone for ``DROP_AFTER_DAYS``, went through the
    final station, how many): the furthest along of the latest stations on a tie."""
    position = {ref: n for n, ref in enumerate(refs)}
    dropped, learners = Counter(), 0
    for last_refs, is_gone, is_through, count in groups:
        places = [position[r] for r in last_refs if r in position]
        if not places:
            continue
        learners += count
        if is_gone and not is_through:
            dropped[refs[max(places)]] += count
    return dropped, learners
