"""Insights for L&D: who may see what, which learners a page counts, and the pages' numbers.

Admins see their whole organisation; a trainer sees the learners they coach and may filter
to their own cohorts only. Every number goes through ``maths``, which hides what describes
fewer than five learners. Nothing here writes.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select

from lxp.accounts.models import User, UserRole
from lxp.authoring import kinds
from lxp.authoring.models import Course, CourseVersion, Goal, Item, Module, Package, goal_courses
from lxp.authoring.services import current_published
from lxp.coaching.threads import coached_learner_ids
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.paging import Page, page_of_list
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.insights import maths, queries, rollups
from lxp.paths.models import Journey
from lxp.paths.planner import MODALITIES


@dataclass(frozen=True)
class Filters:
    cohort_id: int | None = None
    start: date | None = None
    end: date | None = None
    language: str | None = None
    package_id: int | None = None


def require_viewer(user: User) -> None:
    """Raises ``NotAllowed`` unless the user is an admin or a trainer."""
    if not user.has_any_role(("admin", "trainer")):
        raise NotAllowed(_l("Insights are for trainers and L&D admins."))


def sees_everyone(user: User) -> bool:
    return user.has_role("admin")


def cohorts_for(user: User) -> list[Cohort]:
    """The cohorts the user may filter to: all of the organisation for an admin, a trainer's own."""
    query = select(Cohort).where(Cohort.organisation_id == user.organisation_id).order_by(Cohort.name)
    if not sees_everyone(user):
        query = query.where(Cohort.coach_id == user.id)
    return list(db.session.execute(query).scalars())


def packages_for(course: Course) -> list[Package]:
    """The packages of the goals that draw on the course."""
    return list(db.session.execute(
        select(Package).join(Goal, Goal.id == Package.goal_id).join(goal_courses, goal_courses.c.goal_id == Goal.id)
        .where(goal_courses.c.course_id == course.id).order_by(Goal.title, Package.position)
    ).scalars())  # fmt: skip


def check_filters(user: User, filters: Filters, course: Course | None = None) -> None:
    """Raises ``Invalid`` for a range ending before it starts or a package not of the course,
    ``NotFound`` for an unknown cohort and ``NotAllowed`` for a trainer's cohort not theirs."""
    if filters.start and filters.end and filters.end < filters.start:
        raise Invalid(
            _l("The end of the period is before its start. Choose an end on or after the start."), field="end"
        )
    if filters.cohort_id is not None:
        cohort = get_in_organisation(Cohort, filters.cohort_id, user.organisation_id, _l("There is no such cohort."),
                                     field="cohort")  # fmt: skip
        if not sees_everyone(user) and cohort.coach_id != user.id:
            raise NotAllowed(_l("You can see the cohorts you coach only; “%(name)s” is not one of them.",
                                name=cohort.name), field="cohort")  # fmt: skip
    if (
        filters.package_id is not None
        and course is not None
        and filters.package_id not in {p.id for p in packages_for(course)}
    ):
        raise Invalid(_l("Choose a package of this course."), field="package")


def population(user: User, filters: Filters) -> Select:
    """A subquery of the ids of the learners the user may see and the filters choose.
    Call ``check_filters`` first."""
    query = (
        select(User.id)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == "learner"))
        .where(User.organisation_id == user.organisation_id)
    )
    if not sees_everyone(user):
        coached = coached_learner_ids(user)
        query = query.where(User.id.in_(select(coached.c[0])))
    if filters.cohort_id is not None:
        query = query.where(User.id.in_(select(cohort_members.c.user_id).where(cohort_members.c.cohort_id == filters.cohort_id)))  # fmt: skip
    if filters.language:
        query = query.where(func.coalesce(User.locale, "en") == filters.language)
    if filters.package_id is not None:
        query = query.where(exists().where(Journey.learner_id == User.id, Journey.package_id == filters.package_id))
    return query


def course_population(user: User, filters: Filters) -> Select | None:
    """``population`` for a course's pages; None when an admin looks at everyone without a
    filter: only the organisation's people learn on its courses, so the statements need not
    check who each event is from (a tenth of a second saved on a million events)."""
    if sees_everyone(user) and filters.cohort_id is None and not filters.language and filters.package_id is None:
        return None
    return population(user, filters)


# --- courses -----------------------------------------------------------------------------


def courses_for(user: User) -> list[tuple[Course, CourseVersion]]:
    """The organisation's courses that have been published, with the version to map, by title."""
    courses = db.session.execute(select(Course).where(Course.organisation_id == user.organisation_id)).scalars()
    found = [(c, _mapped_version(c)) for c in courses]
    return sorted(((c, v) for c, v in found if v is not None), key=lambda cv: cv[1].title.lower())


def _mapped_version(course: Course) -> CourseVersion | None:
    published = current_published(course)
    if published is not None:
        return published
    shown = [v for v in course.versions if v.published_at is not None]
    return shown[-1] if shown else None


def course_for(user: User, course_id: int) -> tuple[Course, CourseVersion]:
    """A published course of the user's organisation and the version whose stations the map
    shows. Raises ``NotAllowed`` (not a trainer or admin) and ``NotFound``."""
    require_viewer(user)
    course = db.session.get(Course, course_id)
    version = _mapped_version(course) if course is not None and course.organisation_id == user.organisation_id else None
    if version is None:
        raise NotFound(_l("There is no published course with that number. Choose one from the list of courses."))
    return course, version


def stations_of(course: Course, version: CourseVersion) -> list[maths.Station]:
    """Every item of the version in path order (module, then item), one query."""
    rows = db.session.execute(
        select(Item, Module.title).join(Module, Module.id == Item.module_id)
        .where(Item.version_id == version.id).order_by(Module.position, Module.id, Item.position, Item.id)
    ).all()  # fmt: skip
    stations = []
    for item, module in rows:
        kind = kinds.get(item.kind)
        stations.append(maths.Station(f"{course.id}:{item.key}", item.title, module, item.kind, kind.modality,
                                      item.minutes, is_check=kind.is_check))  # fmt: skip
    return stations


def _now_for(filters: Filters) -> datetime:
    """The moment drop-off is judged at: now, or the end of a period in the past."""
    now = utcnow()
    if filters.end is None:
        return now
    return min(now, datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=UTC))


def journey_map(user: User, course_id: int, filters: Filters) -> tuple[Course, CourseVersion, maths.JourneyMap]:
    """The journey map of a course for the learners the user may see and the filters choose.
    Raises as ``course_for`` and ``check_filters``."""
    course, version = course_for(user, course_id)
    check_filters(user, filters, course)
    stations = stations_of(course, version)
    refs = [s.ref for s in stations]
    if not refs:
        return course, version, maths.JourneyMap((), 0)
    who = course_population(user, filters)
    # Everyone over all time: the rollups, O(stations × days), whatever the log's size, on the
    # planner's usual settings; a group or a period: the events, with the settings for counting them.
    everyone = who is None and filters.start is None and filters.end is None
    with nullcontext() if everyone else queries.counting_events():
        if everyone:
            counts, learners = rollups.station_figures(course.id, refs, _now_for(filters))
        else:
            counts, learners = _station_figures_from_events(refs, who, filters)
        asked = queries.help_asked(refs, who, filters.start, filters.end)
        social = queries.social_reach(refs, who, filters.start, filters.end)
    return course, version, maths.journey_map(stations, counts, asked, learners, social)


def _station_figures_from_events(refs: list[str], who, filters: Filters) -> tuple[dict, int]:
    """The station counts straight from the events: for a group of learners or a period, which
    person-free daily rollups cannot tell (a learner counts once however many days they came)."""
    counts, learners = queries.station_counts(refs, who, _now_for(filters), filters.start, filters.end)
    for ref, measured in queries.times_and_moods(refs, who, filters.start, filters.end).items():
        if ref in counts:
            counts[ref] = replace(counts[ref], **measured)
    return counts, learners


def modalities(user: User, course_id: int, filters: Filters):
    """The four modalities compared on the course (see ``maths.compare_modalities``)."""
    course, version, journey = journey_map(user, course_id, filters)
    return course, version, journey, maths.compare_modalities(journey, MODALITIES)


@dataclass(frozen=True)
class Satisfaction:
    nps: maths.Nps
    nps_by_month: list[tuple[date, maths.Nps]]
    pulses: list[maths.PulseMonth]
    comments: list[tuple[maths.Station, list[tuple[datetime, int | None, str]]]]
    hidden_comments: int  # stations whose comments are not shown: fewer than five gave a pulse


def satisfaction(user: User, course_id: int, filters: Filters) -> tuple[Course, CourseVersion, Satisfaction]:
    """NPS overall and per month, mood per month, and comments by station without names; a
    station's comments only when at least five learners gave it a pulse. Raises as ``journey_map``."""
    course, version = course_for(user, course_id)
    check_filters(user, filters, course)
    stations = stations_of(course, version)
    refs = [s.ref for s in stations] or ["-"]
    who = course_population(user, filters)
    with queries.counting_events():
        answers = queries.nps_answers(course.id, who, filters.start, filters.end)
        counts, _ = queries.station_counts(refs, who, _now_for(filters), filters.start, filters.end)
        said = queries.comments(refs, who, filters.start, filters.end)
        pulses = queries.pulses_by_month(refs, who, filters.start, filters.end)
    listed, hidden = [], 0
    for station in stations:
        if station.ref not in said:
            continue
        if counts.get(station.ref, maths.StationCounts()).pulse_learners >= maths.MIN_GROUP:
            listed.append((station, said[station.ref]))
        else:
            hidden += 1
    return course, version, Satisfaction(
        maths.nps(score for _, score in answers), maths.nps_by_month(answers),
        pulses, listed, hidden,
    )  # fmt: skip


# --- people ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    learner_id: int
    name: str
    cohorts: tuple[str, ...]
    pace: str  # see maths.pace, or "no_path"
    done: int
    total: int
    target: date | None
    last_seen: datetime | None
    unseen_days: int | None
    open_help: int

    @property
    def unseen(self) -> bool:
        return self.unseen_days is None or self.unseen_days >= maths.UNSEEN_AFTER_DAYS


PEOPLE_LIMIT = 500  # the API's list
PEOPLE_PER_PAGE = 50  # the page's
PACE_ORDER = {"behind": 0, "no_target": 1, "on_track": 2, "no_path": 3, "finished": 4}


def people(
    user: User, filters: Filters, today: date | None = None, limit: int | None = PEOPLE_LIMIT
) -> tuple[list[Person], int]:
    """The learners the user may see (a trainer: whom they coach; an admin: everyone), in the
    chosen cohort: on track or behind against their target date (steps done of the steps on
    their stored plan, or of their courses' items before one is stored), when last seen
    (signed in or learned), open help requests; those needing attention first. Returns (at
    most ``limit`` people, how many there are). Raises as ``check_filters``. Seven statements,
    whatever the number of learners (and on PostgreSQL two for ``queries.counting_events``)."""
    require_viewer(user)
    check_filters(user, filters)
    today = today or date.today()
    now = utcnow()
    who = select(User.id).where(User.id.in_(population(user, filters)), User.active)
    with queries.counting_events():
        learners = db.session.execute(
            select(User.id, User.display_name, User.last_login_at).where(User.id.in_(who))
            .order_by(User.display_name, User.id)
        ).all()  # fmt: skip
        cohort_names: dict[int, list[str]] = {}
        for learner_id, name in db.session.execute(
            select(cohort_members.c.user_id, Cohort.name).join(Cohort, Cohort.id == cohort_members.c.cohort_id)
            .where(cohort_members.c.user_id.in_(who)).order_by(Cohort.name)
        ).all():  # fmt: skip
            cohort_names.setdefault(learner_id, []).append(name)
        activity = queries.activity_of(who)
        open_help = queries.open_help_of(who)
        journeys = queries.journeys_of(who)
    found = []
    for learner_id, name, last_login in learners:
        last, done = activity.get(learner_id, (None, 0))
        last = max((t for t in (last, last_login) if t is not None), default=None)
        journey = journeys.get(learner_id)
        if journey is None:
            total, status, target = 0, "no_path", None
        else:
            total, target = journey.steps, journey.target
            status = maths.pace(journey.start, target, today, min(done, total), total)
        unseen = None if last is None else (now - last).days
        found.append(Person(learner_id, name, tuple(cohort_names.get(learner_id, ())), status,
                            min(done, total) if total else done, total, target, last, unseen,
                            open_help.get(learner_id, 0)))  # fmt: skip
    found.sort(key=lambda p: (PACE_ORDER[p.pace], -(p.unseen_days if p.unseen_days is not None else 10_000),
                              -p.open_help, p.name))  # fmt: skip
    return found[:limit], len(found)


def people_page(user: User, filters: Filters, page: int, today: date | None = None) -> Page:
    """Page ``page`` (``PEOPLE_PER_PAGE``; past the last, the last) of ``people``, in its order."""
    found, _total = people(user, filters, today, limit=None)
    return page_of_list(found, page, PEOPLE_PER_PAGE)


def languages_for(user: User) -> list[str]:
    """The languages of the organisation's learners, for the language filter."""
    rows = db.session.execute(
        select(func.coalesce(User.locale, "en")).where(User.organisation_id == user.organisation_id).distinct()
    ).scalars()
    return sorted(set(rows))
