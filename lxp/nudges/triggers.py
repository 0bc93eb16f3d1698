"""Who each kind of trigger applies to now: set-wise SQL, a fixed number of statements per
rule whatever the number of learners.

Each function takes a configured ``Rule`` and ``now`` and returns ``Occurrence``s: the
recipient, a key unique for what happened (the same event, session, silence or week never
gives two messages), when it is due, the course it belongs to (whose version of the rule
applies) and the values its words may use. Occurrences already in the outbox are left out
here where that is cheap; the outbox's unique key is the guarantee.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import Text, and_, cast, func, select
from sqlalchemy.orm import aliased

from lxp.accounts.models import User, UserRole
from lxp.assignments.models import AssignedWork, Assignment, ReportingLine
from lxp.assignments.services import title_of
from lxp.authoring.models import Competency, CourseVersion, Goal, Item
from lxp.channels import path_for
from lxp.coaching.models import HelpRequest
from lxp.coaching.services import coaches
from lxp.cohorts.models import cohort_members
from lxp.completions import Completion
from lxp.events import LEARNING_VERBS, LearningEvent
from lxp.extensions import db
from lxp.live.models import LiveSession, Registration
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from lxp.nudges.rules import Rule
from lxp.paths import storage
from lxp.paths.models import Journey, JourneyCourse, journey_goals


@dataclass(frozen=True)
class Occurrence:
    user_id: int
    key: str
    due_at: datetime
    course_id: int | None = None
    values: dict = field(default_factory=dict)
    expires_at: datetime | None = None  # default: due_at + the rule's expires_hours
    about: int | None = None  # the learner it is about when it goes to someone else (their coach)

    @property
    def learner_id(self) -> int:
        """The learner whose path decides whether the message still fits (``rules.goes_to``)."""
        return self.user_id if self.about is None else self.about


def learners():
    """Active people with the learner role."""
    return (
        select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(UserRole.role == "learner", User.active)
    )


def _active_with_roles(roles: tuple[str, ...]):
    """Active people with one of these roles."""
    return select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(UserRole.role.in_(roles), User.active)


def course_of_ref(ref: str | None) -> int | None:
    head = (ref or "").partition(":")[0]
    return int(head) if head.isdigit() else None


def _planned_since(rule: Rule, since: datetime) -> set[tuple[int, str]]:
    """(user, occurrence) of this rule planned since ``since``: one statement."""
    return set(
        db.session.execute(
            select(OutboxMessage.user_id, OutboxMessage.occurrence).where(
                OutboxMessage.rule == rule.key, OutboxMessage.created_at >= since
            )
        ).all()
    )


def _not_planned_since(rule: Rule, user_column, since_column):
    """SQL: no message of this rule for that user since that moment."""
    return (
        ~select(OutboxMessage.id)
        .where(
            OutboxMessage.user_id == user_column,
            OutboxMessage.rule == rule.key,
            OutboxMessage.created_at >= since_column,
        )
        .exists()
    )


def _journey_course():
    """journey id -> its first course: the course whose rules apply to path-wide touchpoints."""
    return (
        select(JourneyCourse.journey_id, func.min(JourneyCourse.course_id).label("course_id"))
        .group_by(JourneyCourse.journey_id)
        .subquery()
    )


# --- after an event ----------------------------------------------------------------------------


class EventRow(NamedTuple):
    """An event a rule follows up, with who hears of it (``recipient``)."""

    recipient: int
    actor_id: int
    event_id: str
    object_id: str
    occurred_at: datetime
    context: dict


def after_event(rule: Rule, now: datetime) -> list[Occurrence]:
    window_start = now - timedelta(hours=rule.delay_hours + rule.expires_hours)
    event = LearningEvent
    query = select(event.actor_id, event.id, event.object_id, event.occurred_at, event.context).where(
        event.verb == rule.verb, event.object_type == rule.object_type,
        event.occurred_at <= now - timedelta(hours=rule.delay_hours), event.occurred_at > window_start,
    )  # fmt: skip
    if rule.verb == "failed":  # a later pass of the same check: no nudge needed
        passed = aliased(LearningEvent)
        query = query.where(
            ~select(passed.id)
            .where(passed.actor_id == event.actor_id, passed.object_id == event.object_id,
                   passed.object_type == event.object_type, passed.verb == "passed",
                   passed.occurred_at > event.occurred_at)
            .exists()
        )  # fmt: skip
    if rule.unless_learned:
        learned = aliased(LearningEvent)
        query = query.where(
            ~select(learned.id)
            .where(learned.actor_id == event.actor_id, learned.verb.in_(LEARNING_VERBS),
                   learned.occurred_at > event.occurred_at)
            .exists()
        )  # fmt: skip
    rows = []
    for actor_id, event_id, object_id, occurred_at, context in db.session.execute(query).all():
        context = context or {}
        if rule.context_has and not context.get(rule.context_has):
            continue
        if rule.context_lacks and context.get(rule.context_lacks):
            continue
        recipient = context.get(rule.recipient) if rule.recipient else actor_id
        if isinstance(recipient, int):
            rows.append(EventRow(recipient, actor_id, str(event_id), object_id, occurred_at, context))
    if not rows:
        return []
    planned = _planned_since(rule, window_start)
    found = []
    for row, (whom, course, values) in zip(rows, _DESCRIBERS[rule.object_type](rows), strict=True):
        recipient, occurred_at, key = row.recipient, row.occurred_at, f"event:{row.event_id}"
        if values is not None and (whom or recipient, key) not in planned:
            if rule.link_to_next_step:
                values = {**values, "link": values.get("next_link", values.get("link"))}
            found.append(Occurrence(whom or recipient, key, occurred_at + timedelta(hours=rule.delay_hours), course,
                                    values))  # fmt: skip
    if not found:
        return []
    wanted = {o.user_id for o in found}
    people = learners() if not rule.reaches_staff else _active_with_roles(("learner", "trainer", "admin"))
    query = people if len(wanted) > 5000 else people.where(UserRole.user_id.in_(wanted))  # SQLite's limit
    allowed = set(db.session.scalars(query))
    return [o for o in found if o.user_id in allowed]


def _titles(refs: set[str]) -> dict[str, str]:
    """Item ref -> title of the newest version that has it: one statement."""
    wanted = {(course_of_ref(ref), ref.partition(":")[2]) for ref in refs if course_of_ref(ref) is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(CourseVersion.course_id, Item.key, Item.title, CourseVersion.number)
        .join(CourseVersion, CourseVersion.id == Item.version_id)
        .where(CourseVersion.course_id.in_({c for c, _k in wanted}), Item.key.in_({k for _c, k in wanted}))
        .order_by(CourseVersion.number)
    ).all()  # fmt: skip
    return {f"{course}:{key}": title for course, key, title, _number in rows if (course, key) in wanted}


def _next_steps(user_ids: set[int]) -> dict[int, storage.OpenStep]:
    """Learner -> the first open step of their active path."""
    return {p.learner_id: p.glance.first_open_step() for p in paths_now() if p.learner_id in user_ids}


def _describe_items(rows) -> list:
    titles = _titles({r.object_id for r in rows})
    upcoming = _next_steps({r.recipient for r in rows})
    described = []
    for row in rows:
        ref, following = row.object_id, upcoming.get(row.recipient, storage.OpenStep(None, ""))
        described.append((None, course_of_ref(ref), {
            "title": titles.get(ref, ""), "step": following.title, "link": path_for("learning.block", ref=ref),
            "next_link": path_for("learning.block", ref=following.ref) if following.ref else path_for("learning.today"),
        }))  # fmt: skip
    return described


def _describe_goals(rows) -> list:
    goals = dict(db.session.execute(select(Goal.id, Goal.title).where(
        Goal.id.in_({int(r.object_id) for r in rows if str(r.object_id).isdigit()}))).all())  # fmt: skip
    journey_ids = {r.context.get("journey") for r in rows if isinstance(r.context.get("journey"), int)}
    course = _journey_course()
    journeys = {
        jid: (course_id, plan)
        for jid, course_id, plan in db.session.execute(
            select(Journey.id, course.c.course_id, Journey.plan)
            .outerjoin(course, course.c.journey_id == Journey.id)
            .where(Journey.id.in_(journey_ids), Journey.status == "active")
        ).all()
    }  # fmt: skip
    described = []
    for row in rows:
        journey = journeys.get(row.context.get("journey"))
        if journey is None:  # the path was given up or ended meanwhile
            described.append((None, None, None))
            continue
        course_id, plan = journey
        described.append((None, course_id, {"goal": goals.get(int(row.object_id), ""), "step": storage.first_open_step(plan).title,
                                      "link": path_for("learning.today")}))  # fmt: skip
    return described


def _describe_sessions(rows) -> list:
    found = {
        sid: (course_id, title)
        for sid, course_id, title in db.session.execute(
            select(LiveSession.id, CourseVersion.course_id, Item.title)
            .join(Item, Item.id == LiveSession.item_id)
            .join(CourseVersion, CourseVersion.id == Item.version_id)
            .where(LiveSession.id.in_({int(r.object_id) for r in rows if str(r.object_id).isdigit()}))
        ).all()
    }  # fmt: skip
    ids = [int(r.object_id) if str(r.object_id).isdigit() else None for r in rows]
    return [
        (None, found[sid][0], {"title": found[sid][1], "link": path_for("live.session", session_id=sid)})
        if sid in found else (None, None, None)
        for sid in ids
    ]  # fmt: skip


def _describe_competencies(rows) -> list:
    # The competency of the recipient's own organisation (codes repeat across organisations),
    # named in the recipient's language where it is translated.
    names = {
        (user_id, code): (translations or {}).get(locale or "", {}).get("name") or name
        for user_id, locale, code, name, translations in db.session.execute(
            select(User.id, User.locale, Competency.code, Competency.name, Competency.translations)
            .join(Competency, Competency.organisation_id == User.organisation_id)
            .where(User.id.in_({r.recipient for r in rows}), Competency.code.in_({str(r.object_id) for r in rows}))
        )
    }
    return [(None, None, {"competency": names.get((r.recipient, str(r.object_id)), str(r.object_id)),
                          "link": path_for("coaching.conversations")})
            for r in rows]  # fmt: skip


def _describe_help_requests(rows) -> list:
    found = {
        row.id: row
        for row in db.session.execute(
            select(HelpRequest.id, HelpRequest.learner_id, HelpRequest.item_ref, HelpRequest.item_title).where(
                HelpRequest.id.in_({int(r.object_id) for r in rows if str(r.object_id).isdigit()})
            )
        ).all()
    }
    described = []
    for row in rows:
        request = found.get(int(row.object_id)) if str(row.object_id).isdigit() else None
        # The question's learner hears of it, unless they closed it themselves: they know.
        if request is None or row.actor_id == request.learner_id:
            described.append((None, None, None))
        else:
            described.append((request.learner_id, course_of_ref(request.item_ref),
                              {"title": request.item_title, "link": path_for("coaching.my_help_requests")}))  # fmt: skip
    return described


_DESCRIBERS = {
    "item": _describe_items,
    "goal": _describe_goals,
    "live_session": _describe_sessions,
    "competency": _describe_competencies,
    "help_request": _describe_help_requests,
}


def describes(object_type: str):
    """Register a feature's describer for events on ``object_type`` (a feature above this
    package, such as cohort spaces, whose rows the nudges do not import). A describer takes the
    ``EventRow``s and returns, per row, (recipient or None, course id, values) or (None, None,
    None) to send nothing."""

    def register(describer):
        _DESCRIBERS[object_type] = describer
        return describer

    return register


# --- before a dated thing -------------------------------------------------------------------


def before_session(rule: Rule, now: datetime) -> list[Occurrence]:
    rows = db.session.execute(
        select(Registration.learner_id, LiveSession.id, LiveSession.starts_at, Item.title, CourseVersion.course_id)
        .join(LiveSession, LiveSession.id == Registration.session_id)
        .join(Item, Item.id == LiveSession.item_id)
        .join(CourseVersion, CourseVersion.id == Item.version_id)
        .where(Registration.status == "registered", LiveSession.status == "scheduled",
               LiveSession.starts_at > now, LiveSession.starts_at <= now + timedelta(hours=rule.hours),
               Registration.learner_id.in_(learners()))
    ).all()  # fmt: skip
    planned = _planned_since(rule, now - timedelta(hours=rule.hours))
    found = []
    for learner_id, session_id, starts_at, title, course_id in rows:
        key = f"session:{session_id}:{int(starts_at.timestamp())}"  # a moved session is told again
        if (learner_id, key) in planned:
            continue
        found.append(Occurrence(
            learner_id, key, max(now, starts_at - timedelta(hours=rule.hours)), course_id,
            {"title": title, "starts_at": starts_at, "link": path_for("live.session", session_id=session_id)},
            expires_at=starts_at,  # never remind of a session that has begun
        ))  # fmt: skip
    return found


def _active_journeys(*extra_columns, plan=Journey.plan):
    course = _journey_course()
    return (
        select(Journey.id, Journey.learner_id, course.c.course_id, plan, *extra_columns)
        .outerjoin(course, course.c.journey_id == Journey.id)
        .where(Journey.status == "active", Journey.learner_id.in_(learners()))
    )


PATHS_BATCH = 50  # active journeys ``paths_now`` fetches at a time


@dataclass(frozen=True, slots=True)
class PathNow:
    journey_id: int
    learner_id: int
    course_id: int | None
    glance: storage.Glance  # what the triggers read off the stored plan
    timezone: str
    digest_weekday: int
    digest_hour: int

    @property
    def finished(self) -> bool:
        """Every required step of the stored plan is done (what ``goal_reached`` celebrates)."""
        return self.glance.finished


def paths_now() -> list[PathNow]:
    """Every active path (in journey order) with a glance at its stored plan and the learner's
    zone and digest time. Parsing the plans is the dearest part of a tick, so within one planning
    tick (``open_tick``) it is read once and shared by the triggers that need it.

    The plans come ``PATHS_BATCH`` at a time from one statement (a server-side cursor on
    PostgreSQL), as text parsed one by one and let go once glanced at: every active plan held
    whole for the tick raised the long-lived scheduler's high-water mark in step with the number
    of learners, and it kept most of it (issue 20); a batch parsed by the driver is 30 KB a plan."""
    cached = g.get("lxp_paths_now")
    if cached is not None:
        return cached
    prefs = aliased(NotificationPreferences)
    query = (
        _active_journeys(User.timezone, prefs.digest_weekday, prefs.digest_hour, plan=cast(Journey.plan, Text))
        .join(User, User.id == Journey.learner_id)
        .outerjoin(prefs, prefs.user_id == Journey.learner_id)
        .order_by(Journey.id)
        .execution_options(yield_per=PATHS_BATCH)
    )
    rows = [
        PathNow(jid, learner_id, course_id, storage.glance(json.loads(plan) if plan is not None else None),
                zone or "UTC", 0 if weekday is None else weekday, 9 if hour is None else hour)
        for jid, learner_id, course_id, plan, zone, weekday, hour in db.session.execute(query)
    ]  # fmt: skip
    if g.get("lxp_tick_open"):
        g.lxp_paths_now = rows
    return rows


@dataclass(frozen=True)
class Situations:
    """Where learners stand on their paths, for ``rules.goes_to``."""

    paused: frozenset[int]
    finished: frozenset[int]


def situations() -> Situations:
    """The learners whose path is paused (one statement) and those who finished theirs (off the
    shared ``paths_now``); read once per planning tick."""
    cached = g.get("lxp_situations")
    if cached is not None:
        return cached
    active = paths_now()
    # A learner has one open journey at most; should an active one sit beside a paused one, the
    # active one counts.
    paused = set(db.session.scalars(select(Journey.learner_id).where(Journey.status == "paused")))
    found = Situations(frozenset(paused - {p.learner_id for p in active}),
                       frozenset(p.learner_id for p in active if p.finished))  # fmt: skip
    if g.get("lxp_tick_open"):
        g.lxp_situations = found
    return found


@contextmanager
def open_tick():
    """Share what several triggers read (``paths_now``, ``situations``) for the length of one
    planning tick."""
    g.lxp_tick_open, g.lxp_paths_now, g.lxp_situations = True, None, None
    try:
        yield
    finally:
        g.pop("lxp_tick_open", None)
        g.pop("lxp_paths_now", None)
        g.pop("lxp_situations", None)


@lru_cache(maxsize=1024)
def _local(now: datetime, zone: str) -> datetime:
    """``now`` on the clocks of ``zone``; a tick asks this for 100,000 learners but few zones."""
    return now.astimezone(ZoneInfo(zone))


def step_due(rule: Rule, now: datetime) -> list[Occurrence]:
    """One message per learner and due day: the open steps planned for ``days`` days from today."""
    planned = _planned_since(rule, now - timedelta(days=rule.days + 1))
    found = []
    for path in paths_now():
        learner_id, course_id = path.learner_id, path.course_id
        today = _local(now, path.timezone).date()
        day = today + timedelta(days=rule.days)
        steps = path.glance.open_steps_due(day)
        key = f"due:{day.isoformat()}"
        if not steps or (learner_id, key) in planned:
            continue
        titles = ", ".join(f"\u201c{step.title}\u201d" for step in steps[:3])
        found.append(Occurrence(learner_id, key, now, course_id,
                                {"title": titles.strip("\u201c\u201d") if len(steps) == 1 else titles, "titles": titles,
                                 "due_day": day, "link": path_for("learning.block", ref=steps[0].ref)}))  # fmt: skip
    return found


# --- silence -----------------------------------------------------------------------------------


def _last_learning():
    return (
        select(LearningEvent.actor_id, func.max(LearningEvent.occurred_at).label("last"))
        .where(LearningEvent.verb.in_(LEARNING_VERBS))
        .group_by(LearningEvent.actor_id)
        .subquery()
    )


def inactivity(rule: Rule, now: datetime) -> list[Occurrence]:
    last = _last_learning()
    since = func.coalesce(last.c.last, Journey.created_at)
    query = (
        _active_journeys(since)
        .outerjoin(last, last.c.actor_id == Journey.learner_id)
        .where(since < now - timedelta(days=rule.days), _not_planned_since(rule, Journey.learner_id, since))
    )
    return [
        Occurrence(learner_id, f"silence-since:{quiet_since.date().isoformat()}", now, course_id,
                   {"days": (now - quiet_since).days, "step": storage.first_open_step(plan).title,
                    "link": path_for("learning.today")})
        for _jid, learner_id, course_id, plan, quiet_since in db.session.execute(query).all()
    ]  # fmt: skip


def escalation(rule: Rule, now: datetime) -> list[Occurrence]:
    """The learner's coach hears of a learner who stayed silent ``days`` days after the
    inactivity nudge of the same silence (``coaching.services.coach_of``: personal coach first, else the cohort's)."""
    last = _last_learning()
    since = func.coalesce(last.c.last, Journey.created_at)
    nudged = (
        select(OutboxMessage.user_id, func.max(OutboxMessage.sent_at).label("sent_at"))
        .where(OutboxMessage.rule == "inactive", OutboxMessage.status == "sent")
        .group_by(OutboxMessage.user_id)
        .subquery()
    )
    coach = coaches()  # the coach as ``coaching.services.coach_of`` has it, for every learner at once
    query = (
        _active_journeys(since, coach.c.coach_id, User.display_name)
        .join(User, User.id == Journey.learner_id)
        .outerjoin(last, last.c.actor_id == Journey.learner_id)
        .join(nudged, and_(nudged.c.user_id == Journey.learner_id, nudged.c.sent_at > since))
        .join(coach, coach.c.learner_id == Journey.learner_id)
        .where(nudged.c.sent_at <= now - timedelta(days=rule.days))
    )
    rows = db.session.execute(query).all()
    planned = _planned_since(rule, now - timedelta(days=90))
    found = []
    for _jid, learner_id, course_id, _plan, quiet_since, coach_id, name in rows:
        key = f"learner:{learner_id}:silence-since:{quiet_since.date().isoformat()}"
        if (coach_id, key) not in planned:
            found.append(Occurrence(coach_id, key, now, course_id,
                                    {"learner": name, "days": (now - quiet_since).days,
                                     "link": path_for("learning.trainer_desk")}, about=learner_id))  # fmt: skip
    return found


# --- the weekly digest -------------------------------------------------------------------------


def digest(rule: Rule, now: datetime) -> list[Occurrence]:
    """Learners whose chosen weekday and hour (in their zone) has come this week and who have
    something to read: messages folded over the cap, or steps planned for the days ahead."""
    due = []
    for path in paths_now():
        local = _local(now, path.timezone)
        if local.weekday() != path.digest_weekday or local.hour < path.digest_hour:
            continue
        year, week, _day = local.isocalendar()
        due.append((path, local.date(), f"week:{year}-W{week:02d}"))
    if not due:
        return []
    planned = _planned_since(rule, now - timedelta(days=8))
    due = [(path, today, key) for path, today, key in due if (path.learner_id, key) not in planned]
    folded: dict[int, list[str]] = {}
    for user_id, subject in db.session.execute(
        select(OutboxMessage.user_id, OutboxMessage.subject)
        .where(OutboxMessage.status == "folded", OutboxMessage.digested_in_id.is_(None),
               OutboxMessage.created_at > now - timedelta(days=14))
        .order_by(OutboxMessage.user_id, OutboxMessage.created_at)
    ).all():  # fmt: skip
        folded.setdefault(user_id, []).append(subject)
    found = []
    answered = _weekly_answers({path.learner_id for path, _today, _key in due}, now)
    for path, today, key in due:
        learner_id, course_id, weekday, hour = path.learner_id, path.course_id, path.digest_weekday, path.digest_hour
        ahead = path.glance.open_steps_due_by(today + timedelta(days=7))
        missed = folded.get(learner_id, [])
        if not ahead and not missed:
            continue
        found.append(Occurrence(learner_id, key, now, course_id,
                                {"ahead": [(s.title, s.minutes) for s in ahead], "missed_subjects": missed,
                                 "minutes": sum(s.minutes for s in ahead), "link": path_for("learning.today"),
                                 "colleagues_answered": answered.get(learner_id, 0),
                                 "digest_weekday": weekday, "digest_hour": hour}))  # fmt: skip
    return found


def _weekly_answers(learner_ids: set[int], now: datetime) -> dict[int, int]:
    """Learner -> how many others replied to a weekly question of one of their spaces (their
    cohorts', the courses' on their path) in the last seven days (statements voided since, by a
    deletion, left out)."""
    if not learner_ids:
        return {}
    spaces: dict[tuple[str, int], set[int]] = {}
    for cohort_id, user_id in db.session.execute(
        select(cohort_members.c.cohort_id, cohort_members.c.user_id).where(cohort_members.c.user_id.in_(learner_ids))
    ).all():
        spaces.setdefault(("cohort", cohort_id), set()).add(user_id)
    for course_id, user_id in db.session.execute(
        select(JourneyCourse.course_id, Journey.learner_id).join(Journey, Journey.id == JourneyCourse.journey_id)
        .where(Journey.learner_id.in_(learner_ids), Journey.status != "left")
    ).all():  # fmt: skip
        spaces.setdefault(("course_space", course_id), set()).add(user_id)
    if not spaces:
        return {}
    rows = db.session.execute(
        select(LearningEvent.id, LearningEvent.actor_id, LearningEvent.context).where(
            LearningEvent.verb == "replied", LearningEvent.object_type == "space_post",
            LearningEvent.occurred_at > now - timedelta(days=7), LearningEvent.occurred_at <= now)
    ).all()  # fmt: skip

    def space_of(context: dict) -> tuple[str, int] | None:
        return next(((kind, context[kind]) for kind in ("cohort", "course_space") if context.get(kind)), None)

    rows = [r for r in rows if (r.context or {}).get("weekly") and space_of(r.context) in spaces]
    if not rows:
        return {}
    voided = set(db.session.scalars(select(LearningEvent.object_id).where(
        LearningEvent.verb == "voided", LearningEvent.object_id.in_([str(r.id) for r in rows]))))  # fmt: skip
    repliers: dict[tuple[str, int], set[int]] = {}
    for row in rows:
        if str(row.id) not in voided:
            repliers.setdefault(space_of(row.context), set()).add(row.actor_id)
    counts: dict[int, set[int]] = {}
    for space, members in spaces.items():
        for member in members:
            counts.setdefault(member, set()).update(repliers.get(space, set()) - {member})
    return {member: len(others) for member, others in counts.items() if others}


# --- milestones --------------------------------------------------------------------------------


def milestone(rule: Rule, now: datetime) -> list[Occurrence]:
    if rule.milestone == "first_step":
        # From the completions, not the log: retention may have deleted a first step long ago.
        first = (
            select(Completion.learner_id.label("actor_id"), func.min(Completion.finished_at).label("first"))
            .where(Completion.object_type == "item", Completion.finished_at.is_not(None))
            .group_by(Completion.learner_id)
            .subquery()
        )
        rows = db.session.execute(
            _active_journeys(first.c.first)
            .join(first, first.c.actor_id == Journey.learner_id)
            .where(first.c.first > now - timedelta(hours=rule.expires_hours),
                   _not_planned_since(rule, Journey.learner_id, Journey.created_at))
        ).all()  # fmt: skip
        return [Occurrence(learner_id, "first-step", now, course_id,
                           {"link": path_for("learning.path")})
                for _jid, learner_id, course_id, _plan, when in rows]  # fmt: skip
    # Halfway and goal reached: read off the stored plan, which every event re-plans.
    celebrated = _planned_since(rule, now - timedelta(days=3650))
    found = []
    for path in paths_now():
        journey_id, learner_id, course_id = path.journey_id, path.learner_id, path.course_id
        if (learner_id, f"journey:{journey_id}") in celebrated:
            continue
        done, total = path.glance.required_done, path.glance.required
        if not total or not done:
            continue
        if (rule.milestone == "halfway" and done * 2 >= total and done < total) or (
            rule.milestone == "goal_reached" and done == total
        ):
            found.append(Occurrence(learner_id, f"journey:{journey_id}", now, course_id,
                                    {"journey_id": journey_id, "done": done, "total": total,
                                     "link": path_for("learning.path")}))  # fmt: skip
    if rule.milestone == "goal_reached" and found:
        titles: dict[int, list[str]] = {}
        for journey_id, title in db.session.execute(
            select(journey_goals.c.journey_id, Goal.title).join(Goal, Goal.id == journey_goals.c.goal_id)
            .where(journey_goals.c.journey_id.in_({o.values["journey_id"] for o in found}))
        ).all():  # fmt: skip
            titles.setdefault(journey_id, []).append(title)
        found = [Occurrence(o.user_id, o.key, o.due_at, o.course_id,
                            {**o.values, "goal": ", ".join(titles.get(o.values["journey_id"], []))}) for o in found]  # fmt: skip
    return found


# --- assigned learning ---------------------------------------------------------------------------


def _open_assigned_work(*extra_columns, manager: bool = False):
    """Open assigned work with a due date, of active learners, of assignments in force: (work,
    assignment, learner's time zone, the name of the manager who asked for it or None when the
    organisation did, *extra_columns); with ``manager``, only where the learner's manager may
    hear of it (the learner allows it, or the assignment requires it)."""
    asker = aliased(User)
    query = (
        select(AssignedWork, Assignment, User.timezone, asker.display_name, *extra_columns)
        .join(Assignment, Assignment.id == AssignedWork.assignment_id)
        .join(User, User.id == AssignedWork.learner_id)
        .outerjoin(asker, (asker.id == Assignment.created_by_id) & Assignment.by_manager)
        .where(AssignedWork.completed_at.is_(None), AssignedWork.due_on.is_not(None), Assignment.withdrawn_at.is_(None),
               User.active, AssignedWork.learner_id.in_(learners()))
    )  # fmt: skip
    if manager:
        query = query.join(ReportingLine, ReportingLine.user_id == AssignedWork.learner_id).where(
            ReportingLine.share_progress | Assignment.escalate
        )
    return db.session.execute(query).all()


def assignment_due(rule: Rule, now: datetime) -> list[Occurrence]:
    """Once per share of an assignment: it falls due within ``days`` days (in the learner's zone)."""
    planned = _planned_since(rule, now - timedelta(days=400))
    found = []
    for work, assignment, zone, asker in _open_assigned_work():
        today = _local(now, zone).date()
        key = f"assignment-due:{work.id}"
        if today <= work.due_on <= today + timedelta(days=rule.days) and (work.learner_id, key) not in planned:
            found.append(Occurrence(work.learner_id, key, now, None,
                                    {"title": title_of(assignment), "due_day": work.due_on, "manager": asker,
                                     "link": path_for("learning.path")}))  # fmt: skip
    return found


def assignment_overdue(rule: Rule, now: datetime) -> list[Occurrence]:
    """Once per share of an assignment: its due date passed ``days`` days ago and it is not done."""
    planned = _planned_since(rule, now - timedelta(days=400))
    found = []
    for work, assignment, zone, asker in _open_assigned_work():
        key = f"assignment-overdue:{work.id}"
        if work.due_on <= _local(now, zone).date() - timedelta(days=max(rule.days, 1)) and (
            work.learner_id, key) not in planned:  # fmt: skip
            found.append(Occurrence(work.learner_id, key, now, None,
                                    {"title": title_of(assignment), "due_day": work.due_on, "manager": asker,
                                     "link": path_for("learning.path")}))  # fmt: skip
    return found


def assignment_escalation(rule: Rule, now: datetime) -> list[Occurrence]:
    """The learner's manager hears once of a share ``days`` days overdue, when allowed."""
    planned = _planned_since(rule, now - timedelta(days=400))
    found = []
    for work, assignment, zone, _asker, manager_id, name in _open_assigned_work(ReportingLine.manager_id, User.display_name,
                                                                        manager=True):  # fmt: skip
        key = f"learner:{work.learner_id}:assignment-overdue:{work.id}"
        if work.due_on <= _local(now, zone).date() - timedelta(days=max(rule.days, 1)) and (
            manager_id, key) not in planned:  # fmt: skip
            found.append(Occurrence(manager_id, key, now, None,
                                    {"learner": name, "title": title_of(assignment), "due": work.due_on,
                                     "link": path_for("managers.my_team"),
                                     # the manager is told it was their own request, not "your organisation's"
                                     "theirs": assignment.by_manager and assignment.created_by_id == manager_id},
                                    about=work.learner_id))  # fmt: skip
    return found


TRIGGERS = {
    "assignment_due": assignment_due,
    "assignment_overdue": assignment_overdue,
    "assignment_escalation": assignment_escalation,
    "after_event": after_event,
    "before_session": before_session,
    "step_due": step_due,
    "inactivity": inactivity,
    "escalation": escalation,
    "digest": digest,
    "milestone": milestone,
}
