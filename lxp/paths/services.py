"""Journeys: starting and changing one, and keeping its plan current.

The planner is pure; this module feeds it from the database: the catalogue from the course
versions the journey is on, the learner's state from their learning events. Every change that
can move the plan (a goal change, a completion, a failed check) ends in ``replan``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload, selectinload

from lxp import completions, events
from lxp.authoring import competency_names as competency_cache
from lxp.authoring.kinds import KINDS
from lxp.authoring.models import (
    Competency,
    Course,
    CourseVersion,
    Goal,
    Item,
    Module,
    Outcome,
    Package,
    PackageItem,
    goal_competencies,
)
from lxp.authoring.services import current_published
from lxp.core.errors import Conflict, Invalid
from lxp.core.statements import one_of, prepared
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths import planner, rhythm
from lxp.paths.models import Journey, JourneyCourse, journey_goals
from lxp.paths.storage import plan_from_json, plan_to_json

MIN_WEEKLY_MINUTES, MAX_WEEKLY_MINUTES = 15, 1200
OPEN = ("active", "paused")

log = logging.getLogger("lxp.paths")


def item_ref(course_id: int, key: str) -> str:
    """The stable name of an item for paths and events: ``"<course id>:<item key>"``."""
    return f"{course_id}:{key}"


def offered_goals(learner) -> list[Goal]:
    """Goals of the learner's organisation that draw on at least one published course;
    those in the learner's language first."""
    # With their courses' versions and their packages: the goal lists show them for every goal.
    goals = db.session.execute(
        select(Goal).where(Goal.organisation_id == learner.organisation_id).order_by(Goal.title)
        .options(selectinload(Goal.courses).selectinload(Course.versions), selectinload(Goal.packages))
    ).scalars().all()  # fmt: skip
    offered = [g for g in goals if any(current_published(c) for c in g.courses)]
    return sorted(offered, key=lambda g: (g.language != (learner.locale or "en"), g.title.lower()))


@prepared
def _open_journey():
    query = select(Journey).where(Journey.learner_id == bindparam("learner_id"), one_of(Journey.status, OPEN))
    return query.order_by(Journey.id.desc()).limit(1)


@prepared
def _open_journey_with_parts():
    return _open_journey().options(joinedload(Journey.goals), joinedload(Journey.package), joinedload(Journey.courses))


def open_journey(learner, *, with_parts: bool = False) -> Journey | None:
    """The learner's open (active or paused) journey, the newest if there were ever two.
    ``with_parts`` loads its goals, package and course versions in the same statement, for the
    page that shows them all (the path page): three statements fewer there."""
    learner_id = {"learner_id": learner.id}
    if not with_parts:
        return db.session.execute(_open_journey(), learner_id).scalars().first()
    return db.session.execute(_open_journey_with_parts(), learner_id).unique().scalars().one_or_none()


def open_journeys_of(learner_ids) -> dict[int, Journey]:
    """``open_journey`` of each of the learners, by learner id (those with none left out), their
    course versions loaded: one statement and one for the versions, however many learners."""
    ids = sorted(set(learner_ids))
    if not ids:
        return {}
    found: dict[int, Journey] = {}
    for journey in db.session.execute(
        select(Journey).where(Journey.learner_id.in_(ids), one_of(Journey.status, OPEN))
        .order_by(Journey.id.desc()).options(selectinload(Journey.courses))
    ).scalars():  # fmt: skip
        found.setdefault(journey.learner_id, journey)  # the newest first
    return found


@dataclass(frozen=True)
class JourneyChoice:
    goal_ids: tuple[int, ...]
    package_id: int | None
    target_date: date | None
    weekly_minutes: int
    modalities: tuple[str, ...]


def _check_choice(learner, choice: JourneyChoice) -> tuple[list[Goal], Package | None]:
    offered = {g.id: g for g in offered_goals(learner)}
    if not choice.goal_ids:
        raise Invalid(_l("Choose at least one goal."), field="goals")
    if any(goal_id not in offered for goal_id in choice.goal_ids):
        raise Invalid(_l("Choose goals from the list."), field="goals")
    goals = [offered[goal_id] for goal_id in sorted(set(choice.goal_ids))]
    package = None
    if choice.package_id is not None:
        package = next((p for g in goals for p in g.packages if p.id == choice.package_id), None)
        if package is None:
            raise Invalid(_l("Choose a package of the goals you picked."), field="package")
    if not MIN_WEEKLY_MINUTES <= choice.weekly_minutes <= MAX_WEEKLY_MINUTES:
        raise Invalid(_l("Give between %(low)d and %(high)d minutes a week.", low=MIN_WEEKLY_MINUTES,
                         high=MAX_WEEKLY_MINUTES), field="weekly_minutes")  # fmt: skip
    if choice.target_date is not None and choice.target_date <= date.today():
        raise Invalid(_l("Choose a target date in the future."), field="target_date")
    if not choice.modalities or not set(choice.modalities) <= set(planner.MODALITIES):
        raise Invalid(_l("Choose at least one way of learning."), field="modalities")
    return goals, package


def start_journey(learner, choice: JourneyChoice) -> Journey:
    """Start the learner's journey and plan it. Raises ``Invalid`` for a bad choice and
    ``Conflict`` when one is already open (change that one instead)."""
    goals, package = _check_choice(learner, choice)
    if open_journey(learner) is not None:
        raise Conflict(_l("You already have a path. Change it instead of starting another."))
    journey = Journey(learner_id=learner.id, start_date=date.today())
    db.session.add(journey)
    _apply_choice(learner, journey, goals, package, choice)
    db.session.flush()
    return journey


def change_journey(learner, journey: Journey, choice: JourneyChoice) -> Journey:
    """Change goals, package or calendar; the path follows. Raises ``Invalid``."""
    goals, package = _check_choice(learner, choice)
    _apply_choice(learner, journey, goals, package, choice)
    db.session.flush()
    return journey


def _apply_choice(learner, journey: Journey, goals: list[Goal], package: Package | None, choice: JourneyChoice) -> None:
    new_goals = {g.id for g in goals} - {g.id for g in journey.goals}
    journey.goals = goals
    journey.package = package
    journey.target_date = choice.target_date
    journey.weekly_minutes = choice.weekly_minutes
    journey.modalities = sorted(set(choice.modalities))
    frozen = {jc.course_id for jc in journey.courses}
    for course in sorted({c for g in goals for c in g.courses}, key=lambda c: c.id):
        version = current_published(course)
        if version is not None and course.id not in frozen:  # learners keep the version they started on
            journey.courses.append(JourneyCourse(course_id=course.id, version_id=version.id))
    db.session.flush()
    for goal_id in sorted(new_goals):
        events.record(actor_id=learner.id, verb="registered", object_type="goal", object_id=goal_id,
                      context={"journey": journey.id, "package": package.id if package else None})  # fmt: skip
    replan(journey)


def set_paused(learner, journey: Journey, paused: bool) -> None:
    """Pause or resume the journey (reminders stop while it is paused)."""
    if journey.status == ("paused" if paused else "active"):
        return  # already so: a second tap changes nothing
    journey.status = "paused" if paused else "active"
    events.record(actor_id=learner.id, verb="suspended" if paused else "resumed", object_type="journey",
                  object_id=journey.id)  # fmt: skip
    if not paused:
        replan(journey)
    db.session.flush()


# --- feeding the planner -------------------------------------------------------------------


@dataclass(frozen=True)
class _VersionItem:
    key: str
    title: str
    kind: str
    minutes: int
    sort: tuple[int, int]  # module position, item position
    teaches: frozenset[str]
    assesses: frozenset[str]
    prerequisites: tuple[str, ...]
    alternatives: tuple[str, ...]
    sections: tuple[str, ...] = ()  # the parts of its course the item sits in (a cmi5 AU's blocks)


# A course version that left review (published or archived) never changes again: its items and
# outcomes are kept per process, keyed by version id. A new version has a new id, so publishing
# needs no invalidation; drafts and versions in review are always read afresh.
FROZEN_STATUSES = frozenset({"published", "archived"})
_CACHE_LIMIT = 1000
_frozen_items: dict[int, tuple[_VersionItem, ...]] = {}
_frozen_outcomes: dict[int, tuple[tuple[str, frozenset[str]], ...]] = {}


def forget_frozen_versions() -> None:
    """Empty the per-process cache (only needed when version ids start again: an emptied database)."""
    _frozen_items.clear()
    _frozen_outcomes.clear()


def _remember(cache: dict, version_id: int, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[version_id] = value


def _frozen_version_ids(version_ids: list[int]) -> set[int]:
    rows = db.session.execute(select(CourseVersion.id, CourseVersion.status).where(CourseVersion.id.in_(version_ids)))
    return {version_id for version_id, status in rows if status in FROZEN_STATUSES}


def _version_items(version_ids: list[int]) -> dict[int, tuple[_VersionItem, ...]]:
    """Each version's items in module and item order: from the cache, else one query with its
    relations (loaded together), remembered when the version is frozen."""
    found = {v: _frozen_items[v] for v in version_ids if v in _frozen_items}
    missing = [v for v in version_ids if v not in found]
    if not missing:
        return found
    rows = db.session.execute(
        select(Item, Module.position)
        .join(Module, Item.module_id == Module.id)
        .where(Item.version_id.in_(missing))
        .options(selectinload(Item.teaches), selectinload(Item.assesses),
                 selectinload(Item.prerequisites), selectinload(Item.alternatives))
    ).all()  # fmt: skip
    loaded: dict[int, list[_VersionItem]] = {v: [] for v in missing}
    for item, module_position in rows:
        loaded[item.version_id].append(_VersionItem(
            key=item.key, title=item.title, kind=item.kind, minutes=item.minutes, sort=(module_position, item.position),
            teaches=frozenset(c.code for c in item.teaches), assesses=frozenset(c.code for c in item.assesses),
            prerequisites=tuple(p.key for p in item.prerequisites), alternatives=tuple(a.key for a in item.alternatives),
            sections=KINDS[item.kind].sections(item.content),
        ))  # fmt: skip
    frozen = _frozen_version_ids(missing)
    for version_id, items in loaded.items():
        found[version_id] = tuple(sorted(items, key=lambda i: i.sort))
        if version_id in frozen:
            _remember(_frozen_items, version_id, found[version_id])
    return found


def catalogue(journey: Journey) -> list[planner.CatalogueItem]:
    """The items of the course versions the journey is on, in course order (frozen versions
    from the per-process cache; otherwise two queries)."""
    courses = [(jc.version_id, jc.course_id) for jc in journey.courses]
    per_version = _version_items([version_id for version_id, _ in courses])
    found = []
    for version_id, course_id in courses:
        for item in per_version[version_id]:
            found.append(planner.CatalogueItem(
                ref=item_ref(course_id, item.key), title=item.title, kind=item.kind,
                modality=KINDS[item.kind].modality, minutes=item.minutes, order=len(found),
                teaches=item.teaches, assesses=item.assesses,
                prerequisites=tuple(item_ref(course_id, p) for p in item.prerequisites),
                alternatives=tuple(item_ref(course_id, a) for a in item.alternatives),
            ))  # fmt: skip
    return found


def _version_outcomes(version_ids: list[int]) -> dict[int, tuple[tuple[str, frozenset[str]], ...]]:
    """Each version's outcomes as (statement, competency codes), cached like its items."""
    found = {v: _frozen_outcomes[v] for v in version_ids if v in _frozen_outcomes}
    missing = [v for v in version_ids if v not in found]
    if not missing:
        return found
    rows = db.session.execute(
        select(Outcome).where(Outcome.version_id.in_(missing)).order_by(Outcome.version_id, Outcome.position)
        .options(selectinload(Outcome.competencies))
    ).scalars()  # fmt: skip
    loaded: dict[int, list] = {v: [] for v in missing}
    for outcome in rows:
        loaded[outcome.version_id].append((outcome.statement, frozenset(c.code for c in outcome.competencies)))
    frozen = _frozen_version_ids(missing)
    for version_id, outcomes in loaded.items():
        found[version_id] = tuple(outcomes)
        if version_id in frozen:
            _remember(_frozen_outcomes, version_id, found[version_id])
    return found


def learner_state(learner_id: int) -> planner.LearnerState:
    """What the learner has done and shown, from their completions (``lxp.completions``, kept
    with every event and refolded by a void), so it stays when retention deletes old events.
    One statement."""
    completed, mastered, placement = set(), set(), set()
    failed_checks = []
    for row in sorted(completions.of(learner_id), key=lambda r: r.object_id):
        if row.object_type == "competency":
            mastered.add(row.object_id)
            if row.placement:
                placement.add(row.object_id)
        else:
            completed.add(row.object_id)
            if row.check_verb == "failed" and row.failed_competencies:
                failed_checks.append(planner.FailedCheck(row.object_id, frozenset(row.failed_competencies)))
    return planner.LearnerState(frozenset(mastered), frozenset(completed), tuple(failed_checks), frozenset(placement))


def week_start(today: date | None = None) -> date:
    """The Monday of this week: plans run in weeks from Monday to Sunday."""
    today = today or date.today()
    return today - timedelta(days=today.weekday())


def calendar(journey: Journey, today: date | None = None) -> planner.Calendar:
    return planner.Calendar(
        start=week_start(today),
        weekly_minutes=journey.weekly_minutes,
        target=journey.target_date,
        preferred_modalities=frozenset(journey.modalities or planner.MODALITIES),
        live_dates=_live_dates(journey),
    )


LiveDates = Callable[[int, int, datetime], dict[str, list[date]]]
_live_dates_source: list[LiveDates] = []


def live_dates_source(source: LiveDates) -> LiveDates:
    """Register where the planner reads the dates of the live sessions a learner can attend:
    ``source(journey_id, learner_id, now)`` gives them per item ref. ``lxp.live`` registers
    itself (it builds on paths, so paths cannot import it); a second source replaces the first.
    Returns ``source``, so it works as a decorator."""
    _live_dates_source[:] = [source]
    return source


def _live_dates(journey: Journey) -> tuple[tuple[str, tuple[date, ...]], ...]:
    """The dates of the live sessions the learner can attend, per item ref (one query)."""
    if journey.id is None or not _live_dates_source:
        return ()
    found = _live_dates_source[0](journey.id, journey.learner_id, utcnow())
    return tuple((ref, tuple(days)) for ref, days in sorted(found.items()))


Assigned = Callable[[Journey, date], tuple[planner.Assignment, ...]]
_assigned_source: list[Assigned] = []
_after_replan: list[Callable[[Journey, planner.Plan], None]] = []


def assignments_source(source: Assigned) -> Assigned:
    """Register where the planner reads what the organisation assigns the journey's learner:
    ``source(journey, today)``. ``lxp.assignments`` registers itself (it builds on paths); a
    second source replaces the first. Returns ``source`` (a decorator)."""
    _assigned_source[:] = [source]
    return source


def after_replan(listener: Callable[[Journey, planner.Plan], None]) -> Callable:
    """Call ``listener(journey, plan)`` each time a plan is stored (in the same transaction)."""
    if listener not in _after_replan:
        _after_replan.append(listener)
    return listener


def planner_assignments(journey: Journey, today: date | None = None) -> tuple[planner.Assignment, ...]:
    if journey.learner_id is None or not _assigned_source:
        return ()
    return _assigned_source[0](journey, today or date.today())


@prepared
def _goal_competencies():
    """(goal id, title, competency code or None) of the goals of journey ``:journey_id``, by title."""
    return (
        select(Goal.id, Goal.title, Competency.code)
        .join(journey_goals, journey_goals.c.goal_id == Goal.id)
        .outerjoin(goal_competencies, goal_competencies.c.goal_id == Goal.id)
        .outerjoin(Competency, Competency.id == goal_competencies.c.competency_id)
        .where(journey_goals.c.journey_id == bindparam("journey_id"))
        .order_by(Goal.title, Goal.id)
    )


def planner_goals(journey: Journey) -> list[planner.Goal]:
    """The journey's goals as the planner takes them. Goals the journey has loaded (or was just
    given) are read as they stand; otherwise one statement instead of one per goal and its
    competencies, on every completion."""
    if journey.id is None or "goals" not in sa_inspect(journey).unloaded:
        return [planner.Goal(str(g.id), g.title, frozenset(c.code for c in g.competencies)) for g in journey.goals]
    found: dict[int, tuple[str, set[str]]] = {}
    for goal_id, title, code in db.session.execute(_goal_competencies(), {"journey_id": journey.id}):
        codes = found.setdefault(goal_id, (title, set()))[1]
        if code is not None:
            codes.add(code)
    return [planner.Goal(str(goal_id), title, frozenset(codes)) for goal_id, (title, codes) in found.items()]


@prepared
def _package_entries():
    """(title, course id, item key, mandatory) of package ``:package_id``'s items in order; one row
    with None for an empty package."""
    return (
        select(Package.title, PackageItem.course_id, PackageItem.item_key, PackageItem.mandatory)
        .outerjoin(PackageItem, PackageItem.package_id == Package.id)
        .where(Package.id == bindparam("package_id"))
        .order_by(PackageItem.position, PackageItem.course_id, PackageItem.item_key)
    )


def planner_package(journey: Journey) -> planner.Package | None:
    """The journey's package as the planner takes it, read like ``planner_goals``: one
    statement when the journey has not loaded it, instead of the package and then its items."""
    if journey.id is None or "package" not in sa_inspect(journey).unloaded:
        package = journey.package
        if package is None:
            return None
        entries = tuple((item_ref(e.course_id, e.item_key), e.mandatory) for e in package.entries)
        return planner.Package(str(package.id), package.title, entries)
    if journey.package_id is None:
        return None
    rows = db.session.execute(_package_entries(), {"package_id": journey.package_id}).all()
    entries = tuple(
        (item_ref(course_id, key), mandatory) for _, course_id, key, mandatory in rows if course_id is not None
    )
    return planner.Package(str(journey.package_id), rows[0].title, entries)


def planner_choices(choices: dict) -> planner.Choices:
    """The learner's stored choices (``Journey.choices``) as the planner takes them."""
    return planner.Choices(
        swaps=tuple(sorted((choices.get("swaps") or {}).items())),
        moves=tuple((ref, before) for ref, before in choices.get("moves") or ()),
    )


def plan_for(journey: Journey, choices: dict, today: date | None = None) -> planner.Plan:
    """What the plan would be with these choices (nothing stored)."""
    return planner.plan(planner_goals(journey), catalogue(journey), learner_state(journey.learner_id),
                        calendar(journey, today), planner_package(journey), planner_choices(choices),
                        planner_assignments(journey, today))  # fmt: skip


_REPLANNING = "lxp_replanning"


def replanning_memo() -> dict | None:
    """While ``replan`` runs: a dict its sources and ``after_replan`` listeners share, so what
    one has read for this plan the other need not read again (the learner's assigned work, read
    for the planner and again to complete what the new plan finished). None otherwise."""
    return db.session.info.get(_REPLANNING)


def first_conversation_due(plan: planner.Plan) -> date | None:
    """The earliest due date of the plan's open coaching checkpoints (None: none is due)."""
    return min((step.due for step in plan.open_steps
                if step.due is not None and (kind := KINDS.get(step.kind)) is not None and kind.coached),
               default=None)  # fmt: skip


def replan(journey: Journey, today: date | None = None) -> planner.Plan:
    """Plan the journey afresh from its goals, calendar, choices and the learner's events; store it."""
    outermost = _REPLANNING not in db.session.info
    if outermost:
        db.session.info[_REPLANNING] = {}
    try:
        result = plan_for(journey, journey.choices or {}, today)
        journey.plan = {**plan_to_json(result), "week_start": week_start(today).isoformat()}
        journey.plan_steps = len(result.steps)
        journey.coached_due_on = first_conversation_due(result)
        journey.planned_at = utcnow()
        for listener in list(_after_replan):
            listener(journey, result)
    finally:
        if outermost:
            db.session.info.pop(_REPLANNING, None)
    return result


def refresh_plan(journey: Journey, cause: str, today: date | None = None) -> planner.Plan | None:
    """Replan after something that is already recorded and must stand (a completion, a check,
    a session booked). Replanning is derived work: it runs in a savepoint, so when it fails (a
    planner defect, a database error) only the replanning is undone. The failure is logged with
    the learner and ``cause``, the journey is marked stale, and the plan is rebuilt on its next
    read (``current_plan``) or scheduler tick (``refresh_stale_plans``). Returns the new plan,
    or None when replanning failed. Never raises for a failure of the planning itself."""
    try:
        with db.session.begin_nested():
            result = replan(journey, today=today)
            journey.plan_stale_since = None
    except Exception:
        log.exception("replanning journey %s of learner %s failed after %s; the plan is marked stale",
                      journey.id, journey.learner_id, cause)  # fmt: skip
        journey.plan_stale_since = journey.plan_stale_since or utcnow()
        return None
    return result


def refresh_stale_plans(limit: int = 500, today: date | None = None, batch: int = 50) -> int:
    """Store afresh the plans that reads can only rebuild in memory (``current_plan``): those
    that could not be rebuilt after an event, and active ones made before this week began
    (oldest first, at most ``limit`` a run); returns how many were rebuilt. A journey that
    fails again stays stale. Journeys are loaded ``batch`` at a time and let go once stored: a
    Monday's journeys with their old and new plans, all held at once, raised the long-lived
    scheduler's high-water mark in step with the number of stale plans (issue 20)."""
    monday = datetime.combine(week_start(today), datetime.min.time(), tzinfo=UTC)
    order = (Journey.plan_stale_since, Journey.planned_at, Journey.id)
    stale_ids = db.session.scalars(
        select(Journey.id)
        .where(Journey.status == "active",
               Journey.plan_stale_since.is_not(None) | Journey.planned_at.is_(None) | (Journey.planned_at < monday))
        .order_by(*order)
        .limit(limit)
    ).all()  # fmt: skip
    rebuilt = 0
    for start in range(0, len(stale_ids), batch):
        journeys = db.session.scalars(
            select(Journey).where(Journey.id.in_(stale_ids[start : start + batch])).order_by(*order)
        ).all()
        wanted = [journey for journey in journeys if journey.plan_stale_since or _outdated(journey, today)]
        rebuilt += sum(refresh_plan(journey, "the scheduler's retry", today=today) is not None for journey in wanted)
        db.session.flush()
        del journeys, wanted  # let this batch go before the next is loaded (the session holds clean rows weakly)
    return rebuilt


def _outdated(journey: Journey, today: date | None) -> bool:
    made_in = (journey.plan or {}).get("week_start")
    return made_in is None or date.fromisoformat(made_in) < week_start(today)


def current_plan(journey: Journey, today: date | None = None) -> planner.Plan:
    """The journey's plan as it stands today, read only: nothing is written.

    The stored plan, or one planned afresh in memory when it never was, when replanning after
    an event failed, or when it was made before this week began (so a learner who fell behind
    sees the rest spread over the weeks ahead). The scheduler job ``paths.rebuild_stale_plans``
    or the learner's next write stores it. When it cannot be planned now, the stored plan is
    shown with every step the events say is done marked done: what the learner did always shows."""
    today = today or date.today()
    # A paused journey keeps its plan, if it has one.
    wanted = not journey.plan or (
        (_outdated(journey, today) or journey.plan_stale_since) and journey.status == "active"
    )
    if wanted:
        try:
            return plan_for(journey, journey.choices or {}, today)
        except Exception:
            log.exception("planning journey %s of learner %s for reading failed; showing the stored plan",
                          journey.id, journey.learner_id)  # fmt: skip
    if not journey.plan:
        return planner.Plan((), (), (), planner.Feasibility(True, week_start(today), 0, 0))
    stored = plan_from_json(journey.plan)
    if journey.plan_stale_since is None and not wanted:
        return stored
    done = learner_state(journey.learner_id).completed
    return replace(stored, steps=tuple(replace(s, done=True, week=None) if s.ref in done else s for s in stored.steps))


@dataclass(frozen=True)
class Outlook:
    """What the path page, Today and the API tell the learner about their target date."""

    status: str  # finished, on_track or late (``planner.Feasibility.status``)
    finish: date
    target: date | None
    target_passed: bool  # the target date lies before today
    late_by_days: int
    weekly_minutes: int  # the learner's own budget
    weekly_minutes_needed: int | None  # a budget the learner may choose that makes the target, if one does
    optional_left: int = 0  # open optional steps of a finished path


def outlook(journey: Journey, plan: planner.Plan, today: date | None = None) -> Outlook:
    """The plan's feasibility as the learner hears it. A budget above what a journey may have
    is no advice, so it is left out (moving the target date is the way then)."""
    today = today or date.today()
    feasibility = plan.feasibility
    needed = feasibility.weekly_minutes_needed
    return Outlook(
        status=feasibility.status,
        finish=feasibility.finish,
        target=journey.target_date,
        target_passed=journey.target_date is not None and journey.target_date < today,
        late_by_days=feasibility.late_by_days,
        weekly_minutes=journey.weekly_minutes,
        weekly_minutes_needed=needed if needed is not None and needed <= MAX_WEEKLY_MINUTES else None,
        optional_left=len(plan.open_steps) if feasibility.finished else 0,
    )


def competency_names(organisation_id: int, locale: str | None = None) -> dict[str, str]:
    """Competency code -> name in ``locale`` where translated, for showing reasons in words
    (kept per process until a competency of the organisation changes)."""
    return competency_cache.names_in(organisation_id, locale)


@prepared
def _learner_work():
    return select(LearningEvent.object_id, LearningEvent.occurred_at).where(
        LearningEvent.actor_id == bindparam("learner_id"), LearningEvent.object_type == "item",
        one_of(LearningEvent.verb, events.WORK_VERBS), LearningEvent.occurred_at >= bindparam("since"))  # fmt: skip


def weekly_rhythm(journey: Journey, plan: planner.Plan, today: date | None = None) -> list:
    """The weeks since the journey began (``rhythm.Week``), each met when the learner did their
    own planned minutes; minutes come from the stored plan, so this costs one query, over the
    weeks shown only (months into a programme, the rest would be read for nothing)."""
    today = today or date.today()
    minutes = {step.ref: step.minutes for step in plan.steps}
    since = datetime.combine(rhythm.earliest_shown(today), datetime.min.time(), tzinfo=UTC)
    rows = db.session.execute(_learner_work(), {"learner_id": journey.learner_id, "since": since}).all()
    work = [(occurred.date(), minutes.get(ref, 0)) for ref, occurred in rows]
    return rhythm.weeks(work, journey.start_date, journey.weekly_minutes, today)


def outcomes_reached(journey: Journey) -> list[str]:
    """Outcome statements of the journey's courses whose competencies the learner has all shown."""
    mastered = learner_state(journey.learner_id).mastered
    version_ids = [journey_course.version_id for journey_course in journey.courses]
    per_version = _version_outcomes(version_ids)
    return [statement for v in version_ids for statement, codes in per_version[v] if codes and codes <= mastered]


@dataclass(frozen=True)
class SwapPreview:
    step: planner.CatalogueItem
    alternative: planner.CatalogueItem
    now: planner.Plan
    then: planner.Plan


def preview_swap(journey: Journey, ref: str, alternative_ref: str) -> SwapPreview:
    """What doing ``alternative_ref`` instead of step ``ref`` would change. Raises ``Invalid``
    when it is not one of that step's alternatives."""
    items = {item.ref: item for item in catalogue(journey)}
    step, alternative = items.get(ref), items.get(alternative_ref)
    if step is None or alternative is None or alternative_ref not in step.alternatives:
        raise Invalid(_l("That is not another way to do this step."), field="alternative")
    return SwapPreview(
        step, alternative, current_plan(journey), plan_for(journey, _with_swap(journey, ref, alternative_ref))
    )


def _with_swap(journey: Journey, ref: str, alternative_ref: str) -> dict:
    choices = journey.choices or {}
    return {**choices, "swaps": {**(choices.get("swaps") or {}), ref: alternative_ref}}


def swap_step(learner, journey: Journey, ref: str, alternative_ref: str) -> planner.Plan:
    """Do the alternative instead of the step from now on. Raises ``Invalid``."""
    preview_swap(journey, ref, alternative_ref)
    journey.choices = _with_swap(journey, ref, alternative_ref)
    result = replan(journey)
    db.session.flush()
    return result


def _without_swap(journey: Journey, ref: str) -> dict:
    choices = journey.choices or {}
    return {**choices, "swaps": {k: v for k, v in (choices.get("swaps") or {}).items() if k != ref}}


def preview_undo_swap(journey: Journey, ref: str) -> SwapPreview:
    """What going back to step ``ref`` (swapped for an alternative earlier) would change; the
    preview's ``step`` is the alternative done now. Raises ``Invalid`` when ``ref`` was not swapped."""
    chosen = (journey.choices or {}).get("swaps") or {}
    items = {item.ref: item for item in catalogue(journey)}
    if ref not in chosen or ref not in items or chosen[ref] not in items:
        raise Invalid(_l("That step was not swapped."), field="step")
    return SwapPreview(
        items[chosen[ref]], items[ref], current_plan(journey), plan_for(journey, _without_swap(journey, ref))
    )


def undo_swap(learner, journey: Journey, ref: str) -> planner.Plan:
    """Do step ``ref`` again instead of the alternative chosen for it. Raises ``Invalid``."""
    preview_undo_swap(journey, ref)
    journey.choices = _without_swap(journey, ref)
    result = replan(journey)
    db.session.flush()
    return result


def swapped_steps(journey: Journey) -> dict[str, planner.CatalogueItem]:
    """For each alternative the learner chose, the step it stands in for (to offer going back)."""
    chosen = (journey.choices or {}).get("swaps") or {}
    if not chosen:
        return {}
    items = {item.ref: item for item in catalogue(journey)}
    return {alternative: items[ref] for ref, alternative in chosen.items() if ref in items}


@dataclass(frozen=True)
class MovePreview:
    step: planner.Step
    now: planner.Plan
    then: planner.Plan


def _with_move(journey: Journey, ref: str, before: str | None) -> dict:
    choices = journey.choices or {}
    moves = [move for move in choices.get("moves") or () if move[0] != ref]
    return {**choices, "moves": [*moves, [ref, before]]}


def preview_move(journey: Journey, ref: str, before: str | None) -> MovePreview:
    """What moving optional step ``ref`` just before step ``before`` (or last, when None) would
    change. Raises ``Invalid`` when ``ref`` is not an open optional step, or when the move would
    put it before a step it needs or after one that needs it."""
    now = current_plan(journey)
    step = next((s for s in now.open_steps if s.ref == ref), None)
    if step is None or not step.optional:
        raise Invalid(_l("Only optional steps you have not done yet can be moved."), field="step")
    if before is not None and before not in {s.ref for s in now.open_steps}:
        raise Invalid(_l("Choose a step of your path that is still to do."), field="before")
    then = plan_for(journey, _with_move(journey, ref, before))
    if [s.ref for s in then.open_steps] == [s.ref for s in now.open_steps]:
        raise Invalid(_l("This step cannot move there: it must stay after the steps it needs and before the steps that need it."),
                      field="before")  # fmt: skip
    return MovePreview(step, now, then)


def move_step(learner, journey: Journey, ref: str, before: str | None) -> planner.Plan:
    """Move an optional step from now on (see ``preview_move``). Raises ``Invalid``."""
    preview_move(journey, ref, before)
    journey.choices = _with_move(journey, ref, before)
    result = replan(journey)
    db.session.flush()
    return result


def alternatives_of(journey: Journey) -> dict[str, list[planner.CatalogueItem]]:
    """For each item of the journey's courses, the items that can stand in for it."""
    items = {item.ref: item for item in catalogue(journey)}
    return {
        ref: [items[a] for a in item.alternatives if a in items] for ref, item in items.items() if item.alternatives
    }


def sections_of(journey: Journey) -> dict[str, str]:
    """For each item of the journey's courses that sits in parts of its course (a cmi5 AU's
    blocks), those parts' titles joined outermost first, as the path shows them."""
    courses = [(jc.version_id, jc.course_id) for jc in journey.courses]
    per_version = _version_items([version_id for version_id, _ in courses])
    return {item_ref(course_id, item.key): " · ".join(item.sections)
            for version_id, course_id in courses for item in per_version[version_id] if item.sections}  # fmt: skip


def move_targets(plan: planner.Plan) -> dict[str, dict[str, str]]:
    """For each open optional step, the ``before`` value of moving it one place earlier or later
    ("" meaning last), for the path page's links; whether a move is allowed is checked on preview."""
    refs = [step.ref for step in plan.open_steps]
    targets = {}
    for n, step in enumerate(plan.open_steps):
        if not step.optional:
            continue
        targets[step.ref] = {}
        if n > 0:
            targets[step.ref]["earlier"] = refs[n - 1]
        if n < len(refs) - 1:
            targets[step.ref]["later"] = refs[n + 2] if n + 2 < len(refs) else ""
    return targets
