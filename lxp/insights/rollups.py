"""Rollups of the event log for the journey map, kept up incrementally (issue 20).

The log is read in order of (stored time, id) past a high-water mark (``RollupMark``); each
run takes what was stored more than ``SETTLE`` ago, so an event of a transaction still open
when the run looks cannot fall behind the mark. A run is a delta, never a recount:

- distinct counts (reached, finished, checked, failed, pulsed) are kept per station and day
  as "did it for the first time that day". For each learner-station pair the new events
  touch, the learner's stored first moment (``FirstMoment``, kept by this delta) is compared
  with the batch's, so a late event that is earlier than one already counted moves the learner
  to the earlier day, and a repeat adds nothing. The log before the batch is never read:
  retention may have deleted it;
- moods, effort and times on task are per event, added on the day they occurred;
- each learner's latest moment on a course (``LearnerEnd``) is merged with the batch for the
  learners it touches.

``rebuild`` recounts, but keeps what an organisation's retention made final (``RollupKept``).

Two runs at once: the mark's row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so the
second run does nothing; SQLite's single writer makes the second one wait and then find
nothing new). A reader (the journey map, a GET) never writes: it adds the same delta of the
events past the mark in memory to the rolled-up figures, which each process keeps and brings
forward when a roll-up moves the mark (``lxp.insights.rolled_up``). Every other change to the
rollups (``rebuild``, and ``keep_for_good`` before retention deletes rolled-up events) sets a
new generation on the mark (``_new_generation``), so the next map reads them whole. Erasing a
person changes none of them (their rows stay, under the pseudonym, with every figure).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, Integer, String, case, cast, delete, func, or_, select, true, tuple_, update

from lxp.accounts.models import User
from lxp.authoring.models import Course
from lxp.core import bulk
from lxp.core.inserts import dialect_insert
from lxp.core.time import utcnow
from lxp.events import CHECK_VERBS
from lxp.events import LearningEvent as E
from lxp.extensions import db
from lxp.insights import maths, rolled_up
from lxp.insights.models import FIRST_COUNTS, FirstMoment, LearnerEnd, RollupKept, RollupMark, StationDay

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
    ends: dict[tuple[int, int], End] = field(default_factory=dict)  # every course of each touched learner
    moments: dict[tuple[int, str, str], datetime] = field(default_factory=dict)  # (learner, ref, flag): new first
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


def changes(after: Position | None, until: Position | None, since: list | None = None) -> Changes:
    """The delta the events in (``after``, ``until``] make to the rollups (``until`` None: to
    the end of the log); ``since`` narrows the events further (``rebuild``). Reads only, so a
    GET may call it; nothing when no event is past ``after``."""
    found = Changes(until=until)
    extra = list(since or [])
    window = [*_after(after), *_upto(until), *extra]
    # A window past a mark is read once, in log order by the (stored time, id) index whatever the
    # table's statistics say, and measured in Python; an empty one is the usual case for a reader.
    # A large window, a first run or a rebuild is grouped in SQL.
    small = None if extra else _small_window(after, until)
    if small is not None:
        _add_small(found, small)
        return found
    whose = select(E.actor_id).where(*window)
    columns = []
    for name, verbs in FLAGS.items():
        new = E.occurred_at if verbs is None else case((E.verb.in_(verbs), E.occurred_at))
        columns.append(func.min(new).label(name))
    rows = db.session.execute(
        select(E.object_id, E.actor_id, *columns).where(*_at_stations(), *window).group_by(E.object_id, E.actor_id)
    ).all()  # fmt: skip
    _add_firsts(found, [(row[0], row[1], row._mapping) for row in rows], whose)
    _add_measures(found, window)
    ends = db.session.execute(
        select(E.actor_id, E.object_id, func.max(E.occurred_at), func.max(case((E.verb.in_(FINISH), 1), else_=0)))
        .where(*_at_stations(), *window)
        .group_by(E.actor_id, E.object_id)
    ).all()  # fmt: skip
    _add_ends(found, ends, whose)
    return found


def _add_small(found: Changes, rows: list) -> None:
    """``changes`` of a small window already read: its first moments and ends in Python."""
    stations = [row for row in rows if row.verb in maths.STATION_VERBS]
    firsts: dict[tuple[str, int], dict[str, datetime]] = {}
    ends: dict[tuple[int, str], list] = {}
    for row in stations:
        moments = firsts.setdefault((row.object_id, row.actor_id), {})
        for name, verbs in FLAGS.items():
            if (verbs is None or row.verb in verbs) and (name not in moments or row.occurred_at < moments[name]):
                moments[name] = row.occurred_at
        end = ends.setdefault((row.actor_id, row.object_id), [row.occurred_at, 0])
        end[0] = max(end[0], row.occurred_at)
        end[1] = max(end[1], int(row.verb in FINISH))
    actors = sorted({actor for _, actor in firsts})
    if actors:
        _add_firsts(found, [(ref, actor, values) for (ref, actor), values in firsts.items()], actors)
    _add_measures_of(found, rows)
    if actors:
        _add_ends(found, [(actor, ref, at, done) for (actor, ref), (at, done) in ends.items()], actors)


def _add_firsts(found: Changes, batch: list, whose) -> None:
    """The "first time" changes of the batch's first moments per (station, learner) and flag,
    against each learner's first moments so far (``FirstMoment``, not the log before the batch:
    retention may have deleted that)."""
    known = {
        (row.learner_id, row.ref, row.flag): row.first_at
        for row in db.session.execute(
            select(FirstMoment.learner_id, FirstMoment.ref, FirstMoment.flag, FirstMoment.first_at)
            .where(FirstMoment.learner_id.in_(whose))
        )
    }  # fmt: skip
    for ref, actor, values in batch:
        for name in FIRST_COUNTS:
            batch_at, old = _moment(values.get(name)), known.get((actor, ref, name))
            new = old if batch_at is None or (old is not None and old <= batch_at) else batch_at
            if new is None or new == old:
                continue
            found.moments[(actor, ref, name)] = new
            new_day, old_day = _day(new), (None if old is None else _day(old))
            if new_day == old_day:
                continue
            if old_day is not None:
                found.day(ref, old_day).firsts[name] -= 1
            found.day(ref, new_day).firsts[name] += 1


def _moment(value) -> datetime | None:
    """A ``min(occurred_at)`` as an aware UTC datetime (SQLite may give it back as text)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


def _add_ends(found: Changes, rows: list, whose) -> None:
    """Each touched learner's latest moment per course: their stored ``LearnerEnd`` rows merged
    with the batch's (learner, station, latest moment, finished 0/1) ``rows`` (a later moment
    wins, a tie adds its stations, finishes add up), so the map's drop-off keeps what retention
    deleted."""
    ends: dict[tuple[int, int], End] = {
        (row.course_id, row.learner_id): End(row.last_at, tuple(row.last_refs), frozenset(row.finished_refs))
        for row in db.session.execute(
            select(LearnerEnd.course_id, LearnerEnd.learner_id, LearnerEnd.last_at, LearnerEnd.last_refs,
                   LearnerEnd.finished_refs).where(LearnerEnd.learner_id.in_(whose)))
    }  # fmt: skip
    per: dict[tuple[int, int], list] = {}
    for actor, ref, last_at, done in rows:
        course = course_of(ref)
        if course is not None:
            per.setdefault((course, actor), []).append((ref, _moment(last_at), done))
    for key, stations in per.items():
        last_at = max(at for _, at, _ in stations)
        last_refs = {r for r, at, _ in stations if at == last_at}
        finished_refs = {r for r, _, done in stations if done}
        before = ends.get(key)
        if before is not None:
            finished_refs |= before.finished_refs
            if before.last_at > last_at:
                last_at, last_refs = before.last_at, set(before.last_refs)
            elif before.last_at == last_at:
                last_refs |= set(before.last_refs)
        ends[key] = End(last_at, tuple(sorted(last_refs)), frozenset(finished_refs))
    found.ends.update(ends)


# --- writing ---------------------------------------------------------------------------------


def _claim_mark(wait: bool = False) -> RollupMark | None:
    """The mark's row, locked for this transaction; None when another run holds it (PostgreSQL,
    unless ``wait``)."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(dialect_insert(RollupMark).values(name=MARK).on_conflict_do_nothing(index_elements=["name"]))
    if dialect == "postgresql":
        return db.session.execute(
            select(RollupMark).where(RollupMark.name == MARK).with_for_update(skip_locked=not wait)
        ).scalar_one_or_none()
    # SQLite: write first, so this transaction holds the one write lock before it reads the mark;
    # a write that changes nothing, as the time the mark was set keys the map's kept figures.
    db.session.execute(update(RollupMark).where(RollupMark.name == MARK).values(name=MARK))
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
    """Roll the log up again (after a bulk import of old events), keeping what retention made
    final: for an organisation with a "rolled up for good until" date (``RollupKept``), its
    station days before that day, its learners' first moments before it and their latest
    moments stay, and only its events from that date on are recounted. Returns how many
    station-days changed; flushes, the caller commits."""
    kept = dict(db.session.execute(select(RollupKept.organisation_id, RollupKept.until_at)).all())
    if kept:  # anything late counted first, so what is kept is complete (without, all is recounted below)
        roll_up(settle=timedelta(0))
    kept_members = select(User.id).where(User.organisation_id.in_(list(kept)))
    kept_courses = select(Course.id).where(Course.organisation_id.in_(list(kept)))
    db.session.execute(delete(StationDay).where(StationDay.course_id.not_in(kept_courses)))
    db.session.execute(delete(FirstMoment).where(FirstMoment.learner_id.not_in(kept_members)))
    db.session.execute(delete(LearnerEnd).where(LearnerEnd.learner_id.not_in(kept_members)))
    since = [E.actor_id.not_in(kept_members)]
    for organisation_id, until_at in kept.items():
        members = select(User.id).where(User.organisation_id == organisation_id)
        courses = select(Course.id).where(Course.organisation_id == organisation_id)
        db.session.execute(
            delete(StationDay).where(StationDay.course_id.in_(courses), StationDay.day >= until_at.date())
        )
        db.session.execute(
            delete(FirstMoment).where(FirstMoment.learner_id.in_(members), FirstMoment.first_at >= until_at)
        )
        since.append(E.actor_id.in_(members) & (E.occurred_at >= until_at))
    mark = _claim_mark(wait=True)
    _new_generation()
    until = newest(None, None)
    db.session.expire_all()
    if until is None:
        return 0
    delta = changes(None, until, [or_(*since)])
    _apply(delta)
    mark = db.session.get(RollupMark, MARK)
    mark.until_at, mark.until_id, mark.updated_at = until.at, until.id, utcnow()
    db.session.flush()
    return len(delta.days)


def keep_for_good(organisation_id: int, until_at: datetime) -> None:
    """Note that the organisation's events before ``until_at`` are about to be deleted: its
    rollups before it are final (``rebuild`` keeps them). Never moves the date back. A new
    generation: some of the events may be past the mark the map's kept figures are of, which
    bringing them forward reads."""
    _new_generation()
    row = db.session.get(RollupKept, organisation_id)
    if row is None:
        db.session.add(RollupKept(organisation_id=organisation_id, until_at=until_at))
    elif until_at > row.until_at:
        row.until_at = until_at
    db.session.flush()


def _new_generation() -> None:
    """Mark the rollups as changed by something other than a roll-up of the events past the mark:
    processes read them whole again instead of bringing what they keep forward."""
    db.session.execute(update(RollupMark).where(RollupMark.name == MARK).values(generation=uuid.uuid4()))


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
    _apply_moments(delta.moments)
    learners = sorted({learner for _, learner in delta.ends})
    for chunk in _chunks(learners, 1000):
        db.session.execute(delete(LearnerEnd).where(LearnerEnd.learner_id.in_(chunk)))
    bulk.insert_many(LearnerEnd.__table__, [
        {"course_id": course, "learner_id": learner, "last_at": end.last_at, "last_refs": list(end.last_refs),
         "finished_refs": sorted(end.finished_refs)}
        for (course, learner), end in delta.ends.items()
    ])  # fmt: skip
    db.session.flush()


def _apply_moments(moments: dict[tuple[int, str, str], datetime]) -> None:
    """Store the learners' new first moments (a moment only ever moves earlier), in bulk: a
    first roll-up or a rebuild writes one row per learner, station and flag."""
    learners = sorted({learner for learner, _, _ in moments})
    stored = set()
    for chunk in _chunks(learners, 1000):
        found = db.session.execute(select(FirstMoment.learner_id, FirstMoment.ref, FirstMoment.flag)
                                   .where(FirstMoment.learner_id.in_(chunk)))  # fmt: skip
        stored.update(tuple(row) for row in found)
    rows = [{"learner_id": k[0], "ref": k[1], "flag": k[2], "first_at": at} for k, at in moments.items()]
    new = [row for row in rows if (row["learner_id"], row["ref"], row["flag"]) not in stored]
    moved = [row for row in rows if (row["learner_id"], row["ref"], row["flag"]) in stored]
    bulk.insert_many(FirstMoment.__table__, new)  # no ORM bookkeeping per row; COPY on PostgreSQL
    if moved:
        db.session.execute(update(FirstMoment), moved)  # by primary key


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- reading ---------------------------------------------------------------------------------


def mark() -> Position | None:
    row = db.session.get(RollupMark, MARK)
    return None if row is None or row.until_at is None else Position(row.until_at, row.until_id)


@dataclass(frozen=True)
class Seen:
    """The mark as a reader saw it: where it stands, when it was set and its generation."""

    position: Position
    stamp: datetime | None
    generation: uuid.UUID | None

    def followed_by(self, later: Seen | None) -> bool:
        """Whether only roll-ups can have moved the mark from here to ``later``."""
        return later is not None and later.generation == self.generation and later.position > self.position


def _mark_now() -> Seen | None:
    """The mark, read afresh (not from the session's identity map: a roll-up in another process
    may have moved it since); None before the first roll-up."""
    row = db.session.execute(
        select(RollupMark.until_at, RollupMark.until_id, RollupMark.updated_at, RollupMark.generation)
        .where(RollupMark.name == MARK)
    ).first()  # fmt: skip
    if row is None or row.until_at is None:
        return None
    return Seen(Position(row.until_at, row.until_id), row.updated_at, row.generation)


def station_figures(course_id: int, refs: list[str], now: datetime) -> tuple[dict[str, maths.StationCounts], int]:
    """What ``queries.station_counts`` and ``queries.times_and_moods`` give for everyone on the
    course over all time, from the rollups plus the events past the mark (added in memory).
    The rolled-up part is kept per process (``rolled_up``), so a read is the mark, the events
    past it and the mark again; the first read after a roll-up moved the mark brings the kept
    figures forward (``_brought_forward``), the first after any other change sums the station
    days in SQL and reads all the learners' latest moments on the course."""
    what = (str(db.engine.url), course_id, tuple(refs))
    for _ in range(3):
        seen = _mark_now()
        held = None if seen is None else rolled_up.kept.get(what)
        if held is not None and held[0] == seen:
            figures, read = held[1], False
        else:
            figures, read = None, True
            if held is not None and held[0].followed_by(seen):
                figures = _brought_forward(held[1], course_id, refs, held[0].position, seen.position)
            if figures is None:
                figures = _read_rolled_up(course_id, refs)
        tail = changes(None if seen is None else seen.position, None)
        # A roll-up that committed meanwhile (PostgreSQL reads each statement afresh) would have
        # counted the tail twice or read first moments past it, and a new generation may have
        # deleted events the figures were brought forward by: read again under the new mark.
        if _mark_now() == seen:
            if read and seen is not None:
                rolled_up.kept.put(what, seen, figures)
            break
    touched: dict[str, DayDelta] = {}  # the kept totals are shared: the tail adds to copies
    wanted = set(refs)
    for (ref, _), change in tail.days.items():
        if ref in wanted:
            touched[ref] = _plus(touched.get(ref, figures.totals.get(ref)), change)
    place = {ref: n for n, ref in enumerate(refs)}
    fresh = {
        learner: _latest(end, place, refs[-1]) for (course, learner), end in tail.ends.items() if course == course_id
    }
    dropped, learners = rolled_up.drop_off(figures, fresh, now - timedelta(days=maths.DROP_AFTER_DAYS))
    counts = {**figures.counts, **{ref: _counts(total) for ref, total in touched.items()}}
    return {
        ref: replace(station, dropped=dropped[place[ref]]) for ref, station in counts.items() if station is not None
    }, learners


def _counts(e: DayDelta) -> maths.StationCounts | None:
    """A station's counts from its totals (None when nobody reached it), before drop-off."""
    if e.firsts["reached"] <= 0:
        return None
    return maths.StationCounts(
        reached=e.firsts["reached"], finished=e.firsts["finished"], checked=e.firsts["checked"],
        failed=e.firsts["failed"], pulse_learners=e.firsts["pulsed"], moods=tuple(e.moods),
        effort_total=e.effort_total, effort_answers=e.effort_answers,
        durations=tuple(sorted((s, n) for s, n in e.durations.items() if n)),
    )  # fmt: skip


def _plus(entry: DayDelta | None, change: DayDelta) -> DayDelta:
    """A new ``DayDelta``: ``entry`` (if any) and ``change`` added up."""
    total = DayDelta()
    for part in (entry, change):
        if part is None:
            continue
        total.firsts.update(part.firsts)
        total.moods = [a + b for a, b in zip(total.moods, part.moods, strict=True)]
        total.effort_total += part.effort_total
        total.effort_answers += part.effort_answers
        total.durations.update(part.durations)
    return total


def _latest(end: End, place: dict[str, int], final: str) -> rolled_up.LatestMoment:
    """A learner's latest moment as the drop-off needs it: the furthest along of its stations
    (a tie: several) and whether they finished the final station."""
    furthest = max((place[ref] for ref in end.last_refs if ref in place), default=-1)
    return rolled_up.LatestMoment(end.last_at, furthest, final in end.finished_refs)


def _json_entries(column):
    """A JSON object's entries as a table of (key, value) rows, value as text."""
    if db.engine.dialect.name == "postgresql":
        return func.json_each_text(column).table_valued("key", "value")
    return func.json_each(column).table_valued("key", "value")


def _read_rolled_up(course_id: int, refs: list[str]) -> rolled_up.RolledUp:
    """The course's station days summed per station (in SQL) and its learners' latest moments."""
    totals = _station_sums(refs)
    durations = _json_entries(StationDay.durations)
    for ref, seconds, finishes in db.session.execute(
        select(StationDay.ref, durations.c.key, func.sum(cast(durations.c.value, Integer)))
        .select_from(StationDay).join(durations, true())
        .where(StationDay.ref.in_(refs)).group_by(StationDay.ref, durations.c.key)
    ):  # fmt: skip
        totals[ref].durations[int(seconds)] += finishes
    moments = _latest_moments(course_id, refs)
    counts = {ref: _counts(total) for ref, total in totals.items()}
    return rolled_up.rolled_up(totals, counts, moments, len(refs))


def _brought_forward(
    figures: rolled_up.RolledUp, course_id: int, refs: list[str], after: Position, until: Position
) -> rolled_up.RolledUp | None:
    """The course's figures at mark ``until``, from ``figures`` kept at ``after`` when only
    roll-ups moved the mark in between: the times on task of the events in between added to
    the kept ones (the histograms, read whole, are most of the station days' cost), the plain
    sums read again (a first time depends on the learner's first moments before those events,
    which the rollups no longer hold once rolled past them), and the latest moments of the
    learners those events touched read again. None when more than ``SMALL_WINDOW`` events lie
    in between: reading whole is then as quick. ``figures`` stay as they are."""
    rows = _small_window(after, until)
    if rows is None:
        return None
    between = Changes(until=until)
    _add_measures_of(between, rows)
    timed: dict[str, Counter] = {}
    for (ref, _), change in between.days.items():
        timed.setdefault(ref, Counter()).update(change.durations)
    totals, counts = _station_sums(refs), {}
    for ref, total in totals.items():
        kept = figures.totals.get(ref)
        if kept is not None and not timed.get(ref) and _same_sums(kept, total):
            totals[ref], counts[ref] = kept, figures.counts[ref]  # untouched: shared as they are
            continue
        total.durations.update(kept.durations if kept is not None else {})
        total.durations.update(timed.get(ref, {}))
        counts[ref] = _counts(total)
    # From the rows already read: SQLite would scan the log for a subquery of the window.
    touched = sorted(
        {r.actor_id for r in rows if r.verb in maths.STATION_VERBS and course_of(r.object_id) == course_id}
    )
    moments: dict[int, rolled_up.LatestMoment] = {}
    for chunk in _chunks(touched, 1000):
        moments.update(_latest_moments(course_id, refs, chunk))
    return rolled_up.brought_forward(figures, totals, counts, moments)


def _same_sums(one: DayDelta, other: DayDelta) -> bool:
    """Whether two stations' totals have the same sums (times on task aside)."""
    return (one.firsts, one.moods, one.effort_total, one.effort_answers) == (
        other.firsts, other.moods, other.effort_total, other.effort_answers
    )  # fmt: skip


def _station_sums(refs: list[str]) -> dict[str, DayDelta]:
    """The stations' first-time counts, moods and effort summed over their days (no times on task)."""
    totals: dict[str, DayDelta] = {}
    sums = [func.sum(getattr(StationDay, name)) for name in (*FIRST_COUNTS, "effort_total", "effort_answers")]
    moods = [func.sum(StationDay.moods[n].as_integer()) for n in range(5)]
    for ref, *values in db.session.execute(
        select(StationDay.ref, *sums, *moods).where(StationDay.ref.in_(refs)).group_by(StationDay.ref)
    ):  # fmt: skip
        entry = totals[ref] = DayDelta()
        entry.firsts.update(dict(zip(FIRST_COUNTS, values, strict=False)))
        entry.effort_total, entry.effort_answers = values[len(FIRST_COUNTS)], values[len(FIRST_COUNTS) + 1]
        entry.moods = [value or 0 for value in values[len(FIRST_COUNTS) + 2 :]]
    return totals


def _latest_moments(
    course_id: int, refs: list[str], whose: list[int] | None = None
) -> dict[int, rolled_up.LatestMoment]:
    """The latest moments on the course of its learners (``whose``: of those only)."""
    place = {ref: n for n, ref in enumerate(refs)}
    final = json.dumps(refs[-1])
    through = cast(LearnerEnd.finished_refs, String).contains(final, autoescape=True)
    places: dict[str, int] = {}  # the text of a learner's latest stations -> its place: few differ
    moments = {}
    query = select(LearnerEnd.learner_id, LearnerEnd.last_at, cast(LearnerEnd.last_refs, String), through).where(
        LearnerEnd.course_id == course_id
    )
    if whose is not None:
        query = query.where(LearnerEnd.learner_id.in_(whose))
    for learner, last_at, last_refs, is_through in db.session.execute(query):
        if last_refs not in places:
            places[last_refs] = max((place[ref] for ref in json.loads(last_refs) if ref in place), default=-1)
        moments[learner] = rolled_up.LatestMoment(last_at, places[last_refs], bool(is_through))
    return moments
