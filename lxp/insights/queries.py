"""Set-wise SQL for the insights: a few statements per page, counted in the database.

A million events cannot travel to Python in under a second, so the journey map is counted
per station in SQL (first per learner and station, then per station) and only the counts,
the distinct times on task and each learner's last event come back. Every statement runs on
SQLite and PostgreSQL. ``population`` is a subquery of learner ids chosen by ``services``,
or None for everyone who learned on the course.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    distinct,
    func,
    literal,
    literal_column,
    select,
    table,
    union_all,
)

from lxp.authoring.models import Item
from lxp.coaching.models import HelpRequest
from lxp.events import CHECK_VERBS, SOCIAL_VERBS
from lxp.events import LearningEvent as E
from lxp.extensions import db
from lxp.insights import maths
from lxp.paths.models import Journey, JourneyCourse

FINISH = maths.FINISH_VERBS


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _in_range(column, start: date | None, end: date | None) -> list:
    """Conditions for ``start <= column < end + 1 day`` (a range of whole UTC days)."""
    found = []
    if start is not None:
        found.append(column >= _moment(start))
    if end is not None:
        found.append(column < _moment(end + timedelta(days=1)))
    return found


def _among(column, population: Select | None) -> list:
    """``column IN population``; nothing when ``population`` is None (everyone on the course)."""
    return [] if population is None else [column.in_(population)]


def _course_events(refs: list[str], population: Select | None, start: date | None, end: date | None) -> list:
    return [
        E.object_type == "item",
        E.object_id.in_(refs),
        *_among(E.actor_id, population),
        *_in_range(E.occurred_at, start, end),
    ]


def _verbs(verbs) -> object:
    """``verb IN (...)`` with the verbs written into the statement, so PostgreSQL can match the
    partial indexes of migration 0015 (their predicates name these verbs)."""
    return E.verb.in_(bindparam("verbs", list(verbs), expanding=True, literal_execute=True))


def _result_text(*path: str):
    """The text at ``path`` in the event's result; on PostgreSQL written exactly as the index
    of migration 0015 has it, so the value comes from the index instead of parsing JSON."""
    if db.engine.dialect.name == "postgresql":
        return literal_column(f"(learning_events.result #>> '{{{','.join(path)}}}')", String)
    return E.result[path if len(path) > 1 else path[0]].as_string()


def _result_integer(*path: str):
    if db.engine.dialect.name == "postgresql":
        return literal_column(f"((learning_events.result #>> '{{{','.join(path)}}}')::integer)", Integer)
    return E.result[path if len(path) > 1 else path[0]].as_integer()


# PostgreSQL settings for the statements that count a course's events: no JIT compilation (it
# costs about 0.1 s per statement, more than it saves at this size); enough memory to group a
# hundred thousand learner-station pairs without spilling to disk; and no nested loops. Without
# fresh statistics (after a bulk load, or a table that grew since autovacuum's last ANALYZE) the
# planner guesses one row for each grouped set and joins them in nested loops that are really
# quadratic: the journey map of one cohort of 2,500 learners took 83 s, the people tab of 3,000
# learners 13 s, where hash joins take a tenth of a second either way.
AGGREGATE_SETTINGS = {"jit": "off", "work_mem": "64MB", "enable_nestloop": "off"}


@contextmanager
def counting_events():
    """Run the statements inside with ``AGGREGATE_SETTINGS`` on PostgreSQL (nothing on SQLite),
    then give the rest of the transaction its usual settings back; one statement each way.
    Should a statement inside fail, the transaction is rolled back, and the settings with it."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        changes = [func.set_config(name, value, True) for name, value in AGGREGATE_SETTINGS.items()]
        db.session.execute(select(*changes))
    yield
    if postgresql:
        setting = table("pg_settings", column("name"), column("reset_val"))
        db.session.execute(select(func.set_config(setting.c.name, setting.c.reset_val, True))
                           .where(setting.c.name.in_(list(AGGREGATE_SETTINGS))))  # fmt: skip


def _flag(condition):
    return func.max(case((condition, 1), else_=0))


def station_counts(refs: list[str], population: Select | None, now: datetime, start=None, end=None) -> tuple[dict[str, maths.StationCounts], int]:  # fmt: skip
    """Per station: learners who reached it, finished it, took and failed its check, and who
    stopped there for good (as ``maths.stopped_for_good``, judged at ``now``); and how many
    learners there are. One statement: per learner and station first, then per station."""
    per = (
        select(E.object_id.label("ref"), E.actor_id.label("actor"), _flag(E.verb.in_(FINISH)).label("finished"),
               _flag(E.verb.in_(CHECK_VERBS)).label("checked"), _flag(E.verb == "failed").label("failed"),
               _flag(E.verb == "responded").label("pulsed"), func.max(E.occurred_at).label("last_at"))
        .where(*_course_events(refs, population, start, end), _verbs(maths.STATION_VERBS))
        .group_by(E.object_id, E.actor_id)
        .cte("per_learner")
    )  # fmt: skip
    p = per.c
    # Each learner's latest moment, then the station of it (the furthest along on a tie):
    # grouping instead of a window function, which would sort every learner-station pair.
    latest = select(p.actor, func.max(p.last_at).label("at")).group_by(p.actor).cte("latest")
    position = case(*[(p.ref == ref, n) for n, ref in enumerate(refs)], else_=-1)
    ends = (
        select(p.actor, latest.c.at, func.max(position).label("position"))
        .join(latest, and_(latest.c.actor == p.actor, latest.c.at == p.last_at))
        .group_by(p.actor, latest.c.at)
        .cte("ends")
    )
    through = select(p.actor).where(p.ref == refs[-1], p.finished == 1)
    cutoff = now - timedelta(days=maths.DROP_AFTER_DAYS)
    zero = literal(0)
    stations = select(literal("station").label("kind"), p.ref, func.count(), func.sum(p.finished),
                      func.sum(p.checked), func.sum(p.failed), func.sum(p.pulsed)).group_by(p.ref)  # fmt: skip
    stops = (
        select(literal("stop"), cast(ends.c.position, String), func.count(), zero, zero, zero, zero)
        .where(ends.c.at < cutoff, ends.c.actor.not_in(through))
        .group_by(ends.c.position)
    )
    everyone = select(literal("learners"), literal(""), func.count(), zero, zero, zero, zero).select_from(ends)
    rows = db.session.execute(union_all(stations, stops, everyone)).all()
    found, dropped, learners = {}, {}, 0
    for kind, ref, count, finished, checked, failed, pulsed in rows:
        if kind == "learners":
            learners = count
        elif kind == "stop":
            dropped[refs[int(ref)]] = count
        else:
            found[ref] = (count, int(finished or 0), int(checked or 0), int(failed or 0), int(pulsed or 0))
    return {
        ref: maths.StationCounts(reached=reached, finished=finished, checked=checked, failed=failed,
                                 pulse_learners=pulsed, dropped=dropped.get(ref, 0))
        for ref, (reached, finished, checked, failed, pulsed) in found.items()
    }, learners  # fmt: skip


def times_and_moods(refs: list[str], population: Select | None, start=None, end=None) -> dict[str, dict]:
    """Per station, what only the events' results say: times on task of the finishes as
    (seconds, how many), pulses per mood 1..5, and the perceived effort's total and number
    of answers. One pass over the finishes and pulses that groups equal values, so a million
    events come back as a few thousand rows."""
    duration = _result_text("duration")
    mood = _result_integer("extensions", "mood")
    effort = _result_integer("extensions", "effort")
    rows = db.session.execute(
        select(E.object_id, duration, mood, effort, func.count())
        .where(*_course_events(refs, population, start, end), _verbs((*FINISH, "responded")))
        .group_by(E.object_id, duration, mood, effort)
    ).all()  # fmt: skip
    found: dict[str, dict] = {}
    for ref, text_value, mood_value, effort_value, count in rows:
        entry = found.setdefault(ref, {"durations": {}, "moods": [0] * 5, "effort_total": 0, "effort_answers": 0})
        seconds = maths.parse_duration(text_value)
        if seconds is not None:
            entry["durations"][seconds] = entry["durations"].get(seconds, 0) + count
        if mood_value is not None and 1 <= mood_value <= 5:
            entry["moods"][mood_value - 1] += count
            if effort_value is not None:
                entry["effort_total"] += effort_value * count
                entry["effort_answers"] += count
    return {ref: {**entry, "durations": tuple(sorted(entry["durations"].items())), "moods": tuple(entry["moods"])}
            for ref, entry in found.items()}  # fmt: skip


def help_asked(refs: list[str], population: Select | None, start=None, end=None) -> list[maths.HelpAsked]:
    """The "I'm stuck" requests raised on the stations, with when they were resolved."""
    rows = db.session.execute(
        select(HelpRequest.item_ref, HelpRequest.created_at, HelpRequest.resolved_at).where(
            HelpRequest.item_ref.in_(refs), *_among(HelpRequest.learner_id, population),
            *_in_range(HelpRequest.created_at, start, end))
    ).all()  # fmt: skip
    return [maths.HelpAsked(ref, asked, resolved) for ref, asked, resolved in rows]


def social_reach(refs: list[str], population: Select | None, start=None, end=None) -> dict[str, int]:
    """Station ref -> how many people were active about it in the spaces (cohorts' and courses') (posted,
    replied, helped, endorsed), leaving out statements voided since (a deleted post)."""
    item = E.context["item"].as_string()
    rows = db.session.execute(
        select(E.id, item, E.actor_id).where(
            E.verb.in_(SOCIAL_VERBS), E.object_type.in_(("space_thread", "space_post")), item.in_(refs),
            *_among(E.actor_id, population), *_in_range(E.occurred_at, start, end))
    ).all()  # fmt: skip
    if not rows:
        return {}
    voided = set(db.session.scalars(select(E.object_id).where(
        E.verb == "voided", E.object_type == "event", E.object_id.in_([str(r[0]) for r in rows]))))  # fmt: skip
    people: dict[str, set[int]] = defaultdict(set)
    for event_id, ref, actor in rows:
        if str(event_id) not in voided:
            people[ref].add(actor)
    return {ref: len(actors) for ref, actors in people.items()}


# --- satisfaction ------------------------------------------------------------------------


def _month(column):
    """The first day of the column's month, as text ``YYYY-MM-01`` on either database."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-01")
    return func.strftime("%Y-%m-01", column)


def nps_answers(course_id: int, population: Select | None, start=None, end=None) -> list[tuple[date, int]]:
    """(day, 0-10 score) of the recommend answers on journeys that include the course."""
    score = E.result[("score", "raw")].as_integer()
    journeys = select(cast(JourneyCourse.journey_id, String(64))).where(JourneyCourse.course_id == course_id)
    rows = db.session.execute(
        select(E.occurred_at, score).where(
            E.verb == "responded", E.object_type == "journey", E.object_id.in_(journeys),
            *_among(E.actor_id, population), score.is_not(None), *_in_range(E.occurred_at, start, end))
    ).all()  # fmt: skip
    return [(at.date(), value) for at, value in rows]


def pulses_by_month(refs: list[str], population: Select | None, start=None, end=None) -> list[maths.PulseMonth]:
    """Per month: learners who gave a pulse on the course, pulses, and the sum of their moods."""
    mood = E.result[("extensions", "mood")].as_integer()
    month = _month(E.occurred_at)
    rows = db.session.execute(
        select(month, func.count(distinct(E.actor_id)), func.count(), func.sum(mood))
        .where(*_course_events(refs, population, start, end), E.verb == "responded", mood.is_not(None))
        .group_by(month).order_by(month)
    ).all()  # fmt: skip
    return [
        maths.PulseMonth(date.fromisoformat(m), learners, pulses, int(total or 0))
        for m, learners, pulses, total in rows
    ]


def comments(refs: list[str], population: Select | None, start=None, end=None, per_station: int = 50) -> dict[str, list[tuple[datetime, int | None, str]]]:  # fmt: skip
    """Free-text pulse comments per station, newest first, as (when, mood, text): no names."""
    text = E.result["response"].as_string()
    mood = E.result[("extensions", "mood")].as_integer()
    rows = db.session.execute(
        select(E.object_id, E.occurred_at, mood, text)
        .where(*_course_events(refs, population, start, end), E.verb == "responded", text.is_not(None), text != "")
        .order_by(E.occurred_at.desc())
    ).all()  # fmt: skip
    found: dict[str, list] = {}
    for ref, at, value, said in rows:
        listed = found.setdefault(ref, [])
        if len(listed) < per_station:
            listed.append((at, value, said))
    return found


# --- people ------------------------------------------------------------------------------


def activity_of(learners: Select) -> dict[int, tuple[datetime | None, int]]:
    """Per learner of the ``learners`` subquery: their latest moment at a station and how many
    items they have finished (one statement, on the index of migration 0015 on PostgreSQL)."""
    done = func.count(distinct(case((E.verb.in_(FINISH), E.object_id))))
    rows = db.session.execute(
        select(E.actor_id, func.max(E.occurred_at), done)
        .where(E.object_type == "item", E.actor_id.in_(learners), _verbs(maths.STATION_VERBS))
        .group_by(E.actor_id)
    ).all()  # fmt: skip
    return {actor: (last, int(count or 0)) for actor, last, count in rows}


def open_help_of(learners: Select) -> dict[int, int]:
    rows = db.session.execute(
        select(HelpRequest.learner_id, func.count())
        .where(HelpRequest.learner_id.in_(learners), HelpRequest.status != "resolved")
        .group_by(HelpRequest.learner_id)
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class JourneyFacts:
    start: date
    target: date | None
    steps: int  # on the stored plan, or the items of its courses before a plan is stored


def journeys_of(learners: Select) -> dict[int, JourneyFacts]:
    """Each learner's latest journey: start, target and how many steps (two statements; the
    plan's steps as counted when it was stored, the plan itself not read)."""
    rows = db.session.execute(
        select(Journey.learner_id, Journey.id, Journey.start_date, Journey.target_date, Journey.plan_steps)
        .where(Journey.learner_id.in_(learners))
        .order_by(Journey.id)
    ).all()  # fmt: skip
    items = dict(db.session.execute(
        select(JourneyCourse.journey_id, func.count(Item.id)).join(Item, Item.version_id == JourneyCourse.version_id)
        .where(JourneyCourse.journey_id.in_(select(Journey.id).where(Journey.learner_id.in_(learners))))
        .group_by(JourneyCourse.journey_id)
    ).all())  # fmt: skip
    return {learner: JourneyFacts(start, target, steps or items.get(journey_id, 0))
            for learner, journey_id, start, target, steps in rows}  # fmt: skip


PACKAGE_VERBS = ("launched", "completed", "passed", "abandoned", "suspended")


def package_unit_flags(refs: list[str], population: Select | None, start: date | None,
                       end: date | None) -> list[tuple]:  # fmt: skip
    """Per learner and unit of ``refs``: the unit's ref and whether they launched, completed,
    passed, abandoned and suspended it (1 or 0 each, in ``PACKAGE_VERBS`` order)."""
    flags = [func.max(case((E.verb == verb, 1), else_=0)) for verb in PACKAGE_VERBS]
    return db.session.execute(
        select(E.object_id, *flags)
        .where(E.object_type == "item", E.object_id.in_(refs), E.verb.in_(PACKAGE_VERBS),
               *_among(E.actor_id, population), *_in_range(E.occurred_at, start, end))
        .group_by(E.object_id, E.actor_id)
    ).all()  # fmt: skip
