"""Assigning learning: who is asked for what, by when, and putting it on their path.

An admin assigns a goal (or one of its packages) to people, a cohort, an organisation unit or a
role, with a fixed due date or "within N days" of getting it, and optionally a recertification
interval. Everyone the audience reaches gets an ``AssignedWork`` row now; people who join the
audience later (invited, provisioned by SCIM or company sign-in, moved into the unit or cohort)
get theirs when ``accounts.joining.person_changed`` tells of them, or at the latest on the next
scheduler run (``sync_all``). Their "within N days" counts from the day they got it.

The work goes on the learner's own path: their open journey gains the assigned goal's courses
(a journey is started for someone who has none) and the planner plans it as the organisation's,
with its due date (``paths.planner.Assignment``). The learner's own goals stay theirs. When the
path has no open step left for it, the work is done (``completed_at``); with recertification it
expires ``recertify_months`` later, and a new cycle re-opens its steps ahead of that.
"""

from __future__ import annotations

import calendar as month_calendar
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from lxp import events
from lxp.accounts import joining
from lxp.accounts.models import User, UserRole
from lxp.assignments.models import (
    AUDIENCES,
    AssignedWork,
    Assignment,
    OrgUnit,
    ReportingLine,
    UnitMember,
    assignment_people,
)
from lxp.authoring.models import Goal
from lxp.authoring.services import current_published
from lxp.cohorts.models import Cohort, cohort_members
from lxp.completions import Completion
from lxp.core.auth import ROLES
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.statements import prepared
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.credentials import services as credentials
from lxp.credentials.models import Credential
from lxp.extensions import db
from lxp.paths import planner
from lxp.paths import services as paths
from lxp.paths.models import Journey, JourneyCourse

log = logging.getLogger(__name__)

REASON_LIMIT = 300
MAX_DAYS = 730
MAX_MONTHS = 120
REOPEN_DAYS = 30  # a recertification re-opens the work this long before it expires


@dataclass(frozen=True)
class AssignmentInput:
    goal_id: int | None
    package_id: int | None
    reason: str
    audience: str
    people: tuple[int, ...] = ()
    cohort_id: int | None = None
    unit_id: int | None = None
    role: str | None = None
    due_date: date | None = None
    due_within_days: int | None = None
    recertify_months: int | None = None
    escalate: bool = False


def _require_admin(admin: User) -> None:
    if not admin.has_role("admin"):
        raise NotAllowed(_l("Only admins assign learning."))


def _check(admin: User, data: AssignmentInput, today: date) -> dict:
    goal = get_in_organisation(Goal, data.goal_id, admin.organisation_id, _l("Choose a goal of your organisation."),
                               field="goal")  # fmt: skip
    if not any(current_published(course) for course in goal.courses):
        raise Invalid(_l("Choose a goal with a published course."), field="goal")
    package = None
    if data.package_id is not None:
        package = next((p for p in goal.packages if p.id == data.package_id), None)
        if package is None:
            raise Invalid(_l("Choose a package of this goal."), field="package")
    reason = " ".join((data.reason or "").split())
    if len(reason) > REASON_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=REASON_LIMIT), field="reason")
    if data.audience not in AUDIENCES:
        raise Invalid(_l("Choose who is asked."), field="audience")
    values: dict = {"goal": goal, "package": package, "reason": reason, "audience": data.audience}
    if data.audience == "people":
        people = _people(admin, data.people)
        if not people:
            raise Invalid(_l("Choose at least one person."), field="people")
        values["people"] = people
    elif data.audience == "cohort":
        values["cohort"] = get_in_organisation(Cohort, data.cohort_id, admin.organisation_id,
                                               _l("Choose a cohort."), field="cohort")  # fmt: skip
    elif data.audience == "unit":
        values["unit"] = get_in_organisation(OrgUnit, data.unit_id, admin.organisation_id,
                                             _l("Choose an organisation unit."), field="unit")  # fmt: skip
    elif data.role not in ROLES:
        raise Invalid(_l("Choose a role."), field="role")
    else:
        values["role"] = data.role
    if data.due_date is not None and data.due_within_days is not None:
        raise Invalid(_l("Give either a due date or a number of days, not both."), field="due_date")
    if data.due_date is not None and data.due_date <= today:
        raise Invalid(_l("Choose a due date in the future."), field="due_date")
    if data.due_within_days is not None and not 1 <= data.due_within_days <= MAX_DAYS:
        raise Invalid(_l("Give between 1 and %(num)d days.", num=MAX_DAYS), field="due_within_days")
    if data.recertify_months is not None and not 1 <= data.recertify_months <= MAX_MONTHS:
        raise Invalid(_l("Give between 1 and %(num)d months.", num=MAX_MONTHS), field="recertify_months")
    return values


def _people(admin: User, user_ids) -> list[User]:
    wanted = set(user_ids)
    if not wanted:
        return []
    found = list(db.session.execute(
        select(User).where(User.id.in_(wanted), User.organisation_id == admin.organisation_id)
    ).scalars())  # fmt: skip
    if len(found) != len(wanted):
        raise Invalid(_l("Choose people of your organisation."), field="people")
    return found


def create_assignment(admin: User, data: AssignmentInput, today: date | None = None) -> Assignment:
    """Assign a goal or package; everyone the audience reaches now gets it on their path.
    Raises ``NotAllowed`` (not an admin), ``NotFound`` (a goal, cohort or unit of another
    organisation) and ``Invalid`` (naming the field)."""
    _require_admin(admin)
    return _create(admin, data, today or date.today())


def team_of(manager: User) -> set[int]:
    """The ids of the manager's active direct reports (reporting lines are direct only)."""
    return set(db.session.scalars(
        select(ReportingLine.user_id).join(User, User.id == ReportingLine.user_id)
        .where(ReportingLine.manager_id == manager.id, User.active, User.organisation_id == manager.organisation_id)
    ))  # fmt: skip


def create_team_assignment(manager: User, data: AssignmentInput, today: date | None = None) -> Assignment:
    """A manager asks named people of their own team (direct reports) for a goal, or one of its
    packages, by a due date; it reaches them like an admin's assignment (path, touchpoints), told
    as their manager's request (``by_manager``). Recertification and telling
    the manager against the learner's choice stay the admin's decisions. Raises ``NotAllowed``
    (not a manager, or someone named who does not report to them), ``NotFound`` and ``Invalid``."""
    if not manager.has_role("manager"):
        raise NotAllowed(_l("Only managers assign learning to their team."))
    if data.audience != "people":
        raise Invalid(_l("Choose people of your team."), field="people")
    if data.recertify_months is not None or data.escalate:
        raise Invalid(_l("Only an admin asks for recertification or tells managers against a learner's choice."),
                      field="recertify_months")  # fmt: skip
    if not data.people:
        raise Invalid(_l("Choose at least one person."), field="people")
    if data.due_date is None and data.due_within_days is None:
        raise Invalid(_l("Give a due date or a number of days."), field="due_date")
    if not set(data.people) <= team_of(manager):
        raise NotAllowed(_l("You assign learning only to people who report to you."))
    return _create(manager, data, today or date.today(), by_manager=True)


def _create(admin: User, data: AssignmentInput, today: date, by_manager: bool = False) -> Assignment:
    """Store the assignment (``admin``: whoever asks, an admin or a manager) and hand it out."""
    values = _check(admin, data, today)
    assignment = Assignment(
        organisation_id=admin.organisation_id, goal=values["goal"], package=values["package"],
        reason=values["reason"], audience=data.audience, cohort=values.get("cohort"), unit=values.get("unit"),
        role=values.get("role"), due_date=data.due_date, due_within_days=data.due_within_days,
        recertify_months=data.recertify_months, escalate=data.escalate, created_by_id=admin.id,
        by_manager=by_manager, people=values.get("people", []),
    )  # fmt: skip
    db.session.add(assignment)
    db.session.flush()
    sync_assignment(assignment, today)
    return assignment


def assignments_of(organisation_id: int) -> list[Assignment]:
    """The organisation's assignments still in force, the newest first."""
    return list(db.session.execute(
        select(Assignment).where(Assignment.organisation_id == organisation_id, Assignment.withdrawn_at.is_(None))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ).scalars())  # fmt: skip


def withdraw(admin: User, assignment_id: int) -> Assignment:
    """Stop asking for it: nobody new gets it, and open work leaves the paths (what was done
    stays done). Raises ``NotAllowed`` and ``NotFound``."""
    _require_admin(admin)
    assignment = assignment_in(admin, assignment_id)
    if assignment.withdrawn_at is None:
        assignment.withdrawn_at = utcnow()
        db.session.flush()
        for work in _work_of(assignment):
            refresh_path(work.learner)
    return assignment


def assignment_in(user: User, assignment_id: int) -> Assignment:
    """An assignment of the user's organisation. Raises ``NotFound``."""
    return get_in_organisation(Assignment, assignment_id, user.organisation_id, _l("No such assignment."))


def _work_of(assignment: Assignment) -> list[AssignedWork]:
    return list(db.session.execute(
        select(AssignedWork).where(AssignedWork.assignment_id == assignment.id)
        .options(selectinload(AssignedWork.learner))
    ).scalars())  # fmt: skip


# --- who is asked --------------------------------------------------------------------------


def audience(assignment: Assignment) -> list[User]:
    """The active learners the assignment reaches today."""
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == assignment.organisation_id, User.active, UserRole.role == "learner")
    )
    if assignment.audience == "people":
        query = query.where(User.id.in_([p.id for p in assignment.people]))
    elif assignment.audience == "cohort":
        query = query.join(cohort_members, cohort_members.c.user_id == User.id).where(
            cohort_members.c.cohort_id == assignment.cohort_id
        )
    elif assignment.audience == "unit":
        query = query.join(UnitMember, UnitMember.user_id == User.id).where(
            UnitMember.unit_id.in_(_unit_and_below(assignment.organisation_id, assignment.unit_id))
        )
    else:
        wanted = select(UserRole.user_id).where(UserRole.role == assignment.role)
        query = query.where(User.id.in_(wanted))
    return list(db.session.execute(query.order_by(User.id)).scalars().unique())


def _unit_and_below(organisation_id: int, unit_id: int | None) -> set[int]:
    rows = db.session.execute(select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.organisation_id == organisation_id))
    children: dict[int | None, list[int]] = {}
    for unit, parent in rows:
        children.setdefault(parent, []).append(unit)
    found, todo = set(), [unit_id]
    while todo:
        unit = todo.pop()
        if unit in found or unit is None:
            continue
        found.add(unit)
        todo.extend(children.get(unit, ()))
    return found


def sync_assignment(assignment: Assignment, today: date | None = None) -> int:
    """Give the work to everyone the assignment reaches who has none yet; returns how many got it."""
    if assignment.withdrawn_at is not None:
        return 0
    have = set(db.session.execute(
        select(AssignedWork.learner_id).where(AssignedWork.assignment_id == assignment.id)
    ).scalars())  # fmt: skip
    given = 0
    for learner in audience(assignment):
        if learner.id not in have:
            give(assignment, learner, today)
            given += 1
    return given


def give(assignment: Assignment, learner: User, today: date | None = None, cycle: int = 1) -> AssignedWork:
    """The learner's share of the assignment (its first cycle, unless told), on their path."""
    today = today or date.today()
    due = assignment.due_date
    if assignment.due_within_days is not None:
        due = today + timedelta(days=assignment.due_within_days)
    work = AssignedWork(assignment_id=assignment.id, learner_id=learner.id, cycle=cycle, due_on=due)
    db.session.add(work)
    db.session.flush()
    _put_on_path(learner, assignment, today)
    return work


def sync_person(user: User, details: dict | None = None, today: date | None = None) -> int:
    """Hand ``user`` what the organisation's assignments ask of them and they lack (after they
    joined, or moved unit, cohort or role); a directory's ``department`` puts them in the unit
    of that name first (made when missing). Returns how many assignments they got."""
    department = (details or {}).get("department")
    if department:
        place_in_unit(user, unit_named(user.organisation_id, department))
    reaching = _reaching(user)
    for assignment in reaching:
        give(assignment, user, today)
    return len(reaching)


def _reaching(user: User) -> list[Assignment]:
    """The assignments in force whose audience takes in ``user`` and that they have no share of
    yet, found in one query over their people, cohorts, unit (and the units above it) and roles,
    instead of listing every assignment's audience."""
    if not user.active or not user.has_role("learner"):
        return []
    named = select(assignment_people.c.assignment_id).where(assignment_people.c.user_id == user.id)
    in_cohorts = select(cohort_members.c.cohort_id).where(cohort_members.c.user_id == user.id)
    reaches = [
        (Assignment.audience == "people") & Assignment.id.in_(named),
        (Assignment.audience == "cohort") & Assignment.cohort_id.in_(in_cohorts),
        (Assignment.audience == "role") & Assignment.role.in_(sorted(user.roles)),
    ]
    units = _unit_and_above(user.id)
    if units:
        reaches.append((Assignment.audience == "unit") & Assignment.unit_id.in_(units))
    have = select(AssignedWork.assignment_id).where(AssignedWork.learner_id == user.id)
    return list(db.session.scalars(
        select(Assignment).where(Assignment.organisation_id == user.organisation_id, Assignment.withdrawn_at.is_(None),
                                 Assignment.id.not_in(have), or_(*reaches)).order_by(Assignment.id)
    ))  # fmt: skip


def _unit_and_above(user_id: int) -> set[int]:
    """The person's unit and every unit it lies inside (a unit's assignment reaches the units below)."""
    member = db.session.get(UnitMember, user_id)
    found: set[int] = set()
    unit = member.unit if member is not None else None
    while unit is not None and unit.id not in found:
        found.add(unit.id)
        unit = unit.parent
    return found


joining.listen(lambda user, details: sync_person(user, details))


def sync_all(today: date | None = None) -> int:
    """The scheduler's safety net: every assignment in force reaches everyone it should, and
    recertifications re-open what expires soon. Returns how many shares were given."""
    today = today or date.today()
    given = 0
    for assignment in db.session.execute(select(Assignment).where(Assignment.withdrawn_at.is_(None))).scalars():
        given += sync_assignment(assignment, today)
    given += reopen_recertifications(today)
    issue_missing_credentials()
    return given


def reopen_recertifications(today: date | None = None) -> int:
    """A new cycle for completed work whose certificate expires within ``REOPEN_DAYS``."""
    today = today or date.today()
    expiring = list(db.session.execute(
        select(AssignedWork).join(Assignment, Assignment.id == AssignedWork.assignment_id).where(
            Assignment.withdrawn_at.is_(None), AssignedWork.expires_on.is_not(None),
            AssignedWork.expires_on <= today + timedelta(days=REOPEN_DAYS))
    ).scalars())  # fmt: skip
    opened = 0
    for work in expiring:
        newer = db.session.scalar(select(AssignedWork.id).where(
            AssignedWork.assignment_id == work.assignment_id, AssignedWork.learner_id == work.learner_id,
            AssignedWork.cycle > work.cycle).limit(1))  # fmt: skip
        if newer is None and work.learner.active:
            renewed = AssignedWork(assignment_id=work.assignment_id, learner_id=work.learner_id, cycle=work.cycle + 1,
                                   due_on=work.expires_on)  # fmt: skip
            db.session.add(renewed)
            db.session.flush()
            _put_on_path(work.learner, work.assignment, today)
            opened += 1
    return opened


# --- organisation units ----------------------------------------------------------------------


def units_of(organisation_id: int) -> list[OrgUnit]:
    return list(db.session.execute(
        select(OrgUnit).where(OrgUnit.organisation_id == organisation_id).order_by(OrgUnit.name)
    ).scalars())  # fmt: skip


def unit_named(organisation_id: int, name: str, parent: OrgUnit | None = None) -> OrgUnit:
    """The organisation's unit of that name, made when there is none. Raises ``Invalid``."""
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise Invalid(_l("Give the unit a name of at most 120 characters."), field="name")
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.organisation_id == organisation_id, OrgUnit.name == name))
    if unit is None:
        unit = OrgUnit(organisation_id=organisation_id, name=name, parent=parent)
        db.session.add(unit)
        db.session.flush()
    return unit


def add_unit(admin: User, name: str, parent_id: int | None) -> OrgUnit:
    """A new unit, optionally inside another. Raises ``NotAllowed``, ``NotFound``, ``Invalid``."""
    _require_admin(admin)
    parent = None
    if parent_id is not None:
        parent = get_in_organisation(OrgUnit, parent_id, admin.organisation_id, _l("Choose a unit."), field="parent")
    return unit_named(admin.organisation_id, name, parent)


def place_in_unit(user: User, unit: OrgUnit | None) -> None:
    """Put the person in ``unit`` (None: in none); they get what the unit is assigned."""
    row = db.session.get(UnitMember, user.id)
    if unit is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(UnitMember(user_id=user.id, unit_id=unit.id))
    else:
        row.unit_id = unit.id
    db.session.flush()


def unit_of(user_id: int) -> OrgUnit | None:
    row = db.session.get(UnitMember, user_id)
    return row.unit if row is not None else None


# --- on the path -----------------------------------------------------------------------------


def _put_on_path(learner: User, assignment: Assignment, today: date) -> None:
    """The assigned goal's courses on the learner's open journey (one is started when they have
    none, with lxp's defaults they can change), and the path planned afresh."""
    journey = paths.open_journey(learner)
    if journey is None:
        journey = Journey(
            learner_id=learner.id, start_date=today, weekly_minutes=60, modalities=list(planner.MODALITIES)
        )
        db.session.add(journey)
        db.session.flush()
    frozen = {jc.course_id for jc in journey.courses}
    for course in sorted(assignment.goal.courses, key=lambda c: c.id):
        version = current_published(course)
        if version is not None and course.id not in frozen:
            journey.courses.append(JourneyCourse(course_id=course.id, version_id=version.id))
    db.session.flush()
    paths.replan(journey, today=today)
    db.session.flush()


def refresh_path(learner: User) -> None:
    """Plan the learner's path afresh after their assigned work changed (a due date moved)."""
    journey = paths.open_journey(learner)
    if journey is not None:
        paths.refresh_plan(journey, "an assignment changed")


def _work_of(learners):
    """The assigned work in force of the ``learners`` (a condition on ``AssignedWork.learner_id``)
    with each assignment, its goal and package, in one statement (``title_of`` reads them)."""
    return (
        select(AssignedWork)
        .join(AssignedWork.assignment).join(Assignment.goal).outerjoin(Assignment.package)
        .where(learners, Assignment.withdrawn_at.is_(None))
        .options(contains_eager(AssignedWork.assignment).contains_eager(Assignment.goal),
                 contains_eager(AssignedWork.assignment).contains_eager(Assignment.package))
        .order_by(AssignedWork.assignment_id, AssignedWork.cycle)
    )  # fmt: skip


@prepared
def _work_query():
    """``_work_of`` the learner ``:learner_id``."""
    return _work_of(AssignedWork.learner_id == bindparam("learner_id"))


def _latest(rows) -> list[AssignedWork]:
    latest: dict[int, AssignedWork] = {}
    for work in rows:
        latest[work.assignment_id] = work
    return sorted(latest.values(), key=lambda w: (w.due_on or date.max, w.id))


def open_work(learner_id: int) -> list[AssignedWork]:
    """The learner's current share of each assignment in force: the latest cycle, done or not."""
    return _latest(db.session.execute(_work_query(), {"learner_id": learner_id}).scalars())


def open_work_of(learner_ids) -> dict[int, list[AssignedWork]]:
    """``open_work`` of each of the learners, by id, in one statement."""
    ids = sorted(set(learner_ids))
    rows = db.session.execute(_work_of(AssignedWork.learner_id.in_(ids))).scalars() if ids else []
    by_learner: dict[int, list[AssignedWork]] = {learner_id: [] for learner_id in ids}
    for work in rows:
        by_learner[work.learner_id].append(work)
    return {learner_id: _latest(work) for learner_id, work in by_learner.items()}


def _open_work_for_this_plan(learner_id: int) -> list[AssignedWork]:
    """``open_work``, read once per replan: the planner's source and the listener completing
    work share it (nothing between them assigns or withdraws work)."""
    memo = paths.replanning_memo()
    if memo is None:
        return open_work(learner_id)
    key = ("assignments.open_work", learner_id)
    if key not in memo:
        memo[key] = open_work(learner_id)
    return memo[key]


def title_of(assignment: Assignment) -> str:
    """What the learner is asked for, as their path names it."""
    return assignment.package.title if assignment.package is not None else assignment.goal.title


def _assigned_refs(journey: Journey, assignment: Assignment) -> set[str]:
    codes = {c.code for c in assignment.goal.competencies}
    refs = {item.ref for item in paths.catalogue(journey) if (item.teaches | item.assesses) & codes}
    if assignment.package is not None:
        refs |= {paths.item_ref(e.course_id, e.item_key) for e in assignment.package.entries if e.mandatory}
    return refs


def _done_since(learner_id: int, since: datetime) -> set[str]:
    """The items the learner finished well since ``since``, from their completions (so a
    finish whose event retention deleted still counts)."""
    return set(db.session.execute(
        select(Completion.object_id).where(
            Completion.learner_id == learner_id, Completion.object_type == "item",
            Completion.last_finished_at >= since)
    ).scalars())  # fmt: skip


@paths.assignments_source
def planner_assignments(journey: Journey, today: date) -> tuple[planner.Assignment, ...]:
    """What the organisation asks of the journey's learner, as the planner takes it: work not
    done yet, and a recertification's new cycle (whose earlier completions count no more)."""
    found = []
    for work in _open_work_for_this_plan(journey.learner_id):
        if work.completed_at is not None:
            continue
        assignment = work.assignment
        package_items = ()
        if assignment.package is not None:
            package_items = tuple(paths.item_ref(e.course_id, e.item_key) for e in assignment.package.entries
                                  if e.mandatory)  # fmt: skip
        redo = frozenset()
        if work.cycle > 1:
            redo = frozenset(_assigned_refs(journey, assignment) - _done_since(journey.learner_id, work.assigned_at))
        found.append(planner.Assignment(
            ref=f"assignment:{work.id}", title=title_of(assignment), due=work.due_on,
            competencies=frozenset(c.code for c in assignment.goal.competencies), items=package_items, redo=redo,
        ))  # fmt: skip
    return tuple(found)


@paths.after_replan
def record_completions(journey: Journey, plan: planner.Plan) -> None:
    """Work whose steps are all done on the new plan is completed now (once), with its expiry."""
    for work in _open_work_for_this_plan(journey.learner_id):
        if work.completed_at is not None:
            continue
        title = title_of(work.assignment)
        mine = [s for s in plan.steps if planner.Reason("assigned", goal=title) in s.reasons and not s.optional]
        if any(not s.done for s in mine) or (not mine and not _on_journey(journey, work.assignment)):
            continue  # an empty share counts as done only once its courses are on the path (all shown already)
        work.completed_at = utcnow()
        months = work.assignment.recertify_months
        if months:
            work.expires_on = add_months(work.completed_at.date(), months)
        events.record(actor_id=work.learner_id, verb="completed", object_type="assignment",
                      object_id=work.assignment_id, context={"cycle": work.cycle, "work": work.id})  # fmt: skip
        issue_credential(work)


def issue_credential(work: AssignedWork) -> Credential | None:
    """The credential completed ``work`` earns: the goal's, valid until the work expires when it
    must be recertified (``credentials.issue_for_goal`` keeps a current one unchanged). Signing
    runs in a savepoint: when it fails (say, no encryption key yet) the completion stands, the
    failure is logged, and the scheduler's ``issue_missing_credentials`` tries again."""
    valid_until = datetime.combine(work.expires_on, time.min, tzinfo=UTC) if work.expires_on else None
    try:
        with db.session.begin_nested():
            return credentials.issue_for_goal(work.learner, work.assignment.goal, valid_until=valid_until,
                                              reason="assignment")  # fmt: skip
    except Exception:  # noqa: BLE001  whatever signing raised, the learner's completion is kept
        log.warning("no credential for completed assigned work %s yet", work.id, exc_info=True)
        return None


def issue_missing_credentials(now: datetime | None = None) -> int:
    """The scheduler's retry: completed work still in force whose learner holds no current
    credential of its goal gets one. Returns how many were issued."""
    now = now or utcnow()
    current = select(Credential.id).where(
        Credential.learner_id == AssignedWork.learner_id, Credential.goal_id == Assignment.goal_id,
        (Credential.valid_until.is_(None)) | (Credential.valid_until > now)).exists()  # fmt: skip
    missing = db.session.execute(
        select(AssignedWork).join(Assignment, Assignment.id == AssignedWork.assignment_id).where(
            AssignedWork.completed_at.is_not(None), Assignment.withdrawn_at.is_(None),
            (AssignedWork.expires_on.is_(None)) | (AssignedWork.expires_on > now.date()), ~current)
    ).scalars().all()  # fmt: skip
    return sum(1 for work in missing if work.learner.active and issue_credential(work) is not None)


def _on_journey(journey: Journey, assignment: Assignment) -> bool:
    on = {jc.course_id for jc in journey.courses}
    return bool(on) and all(course.id in on for course in assignment.goal.courses if current_published(course))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


# --- how it stands ---------------------------------------------------------------------------

STATES = ("done", "overdue", "at_risk", "on_track")


@dataclass(frozen=True)
class WorkState:
    work: AssignedWork
    title: str
    reason: str
    due_on: date | None
    state: str  # done, overdue, at_risk, on_track
    open_steps: int
    expires_on: date | None = None
    asked_by: str | None = None  # the manager's name when their manager asked for it (None: the organisation)


def states_of(learner: User, today: date | None = None, plan: planner.Plan | None = None,
              work: list[AssignedWork] | None = None) -> list[WorkState]:  # fmt: skip
    """Each assignment of the learner with how it stands, read from their current plan
    (``plan`` and their ``open_work`` when the caller has them already)."""
    today = today or date.today()
    if plan is None:
        journey = paths.open_journey(learner)
        plan = paths.current_plan(journey, today) if journey is not None else None
    return _states(open_work(learner.id) if work is None else work, today, plan)


def _states(work_in_force: list[AssignedWork], today: date, plan: planner.Plan | None,
            askers: dict[int, str] | None = None) -> list[WorkState]:  # fmt: skip
    at_risk = {risk.title for risk in plan.feasibility.at_risk} if plan is not None else set()
    found = []
    for work in work_in_force:
        title = title_of(work.assignment)
        steps = [s for s in plan.open_steps if planner.Reason("assigned", goal=title) in s.reasons] if plan else []
        if work.completed_at is not None:
            state = "done"
        elif work.due_on is not None and work.due_on < today:
            state = "overdue"
        elif title in at_risk:
            state = "at_risk"
        else:
            state = "on_track"
        found.append(WorkState(work, title, work.assignment.reason, work.due_on, state, len(steps), work.expires_on,
                               (askers or {}).get(work.assignment_id)))  # fmt: skip
    return found


@dataclass(frozen=True)
class ManagerLine:
    """Who the learner reports to, as their path shows it beside assigned work."""

    manager_name: str
    share_progress: bool


@prepared
def _work_with_manager():
    manager, asker = aliased(User), aliased(User)
    return (
        _work_query()
        .outerjoin(ReportingLine, ReportingLine.user_id == AssignedWork.learner_id)
        .outerjoin(manager, manager.id == ReportingLine.manager_id)
        .outerjoin(asker, (asker.id == Assignment.created_by_id) & Assignment.by_manager)
        .add_columns(manager.display_name, ReportingLine.share_progress, asker.display_name)
    )


@prepared
def _work_with_asker():
    asker = aliased(User)
    return (
        _work_query()
        .join(asker, (asker.id == Assignment.created_by_id) & Assignment.by_manager)
        .add_columns(asker.display_name)
    )


def states_and_line(learner: User, plan: planner.Plan | None,
                    today: date | None = None) -> tuple[list[WorkState], ManagerLine | None]:  # fmt: skip
    """``states_of`` with the learner's manager (None without assigned work or a manager), in
    one statement: the path page shows them on every visit. Work a manager asked for carries
    that manager's name (``asked_by``)."""
    rows = db.session.execute(_work_with_manager(), {"learner_id": learner.id}).all()
    line = ManagerLine(rows[0][1], rows[0][2]) if rows and rows[0][1] is not None else None
    askers = {row[0].assignment_id: row[3] for row in rows if row[3] is not None}
    return _states(_latest(row[0] for row in rows), today or date.today(), plan, askers), line


def askers_of(learner_id: int) -> dict[str, str]:
    """The manager's name by assigned title, for the learner's work in force that their manager
    asked for (the planner's "assigned" reasons carry the title): Today names them as the path
    does. One statement."""
    rows = db.session.execute(_work_with_asker(), {"learner_id": learner_id}).all()
    return {title_of(work.assignment): name for work, name in rows}


# --- the learner's say -------------------------------------------------------------------------


def line_of(user_id: int) -> ReportingLine | None:
    """The person's reporting line (their manager), if they have one."""
    return db.session.get(ReportingLine, user_id)


def set_sharing(learner: User, allow: bool) -> None:
    """Whether the learner's manager hears when their assigned work is overdue (an assignment
    that requires it tells the manager anyway). Raises ``NotFound`` without a manager."""
    line = line_of(learner.id)
    if line is None:
        raise NotFound(_l("You have no manager in lxp."))
    line.share_progress = allow
    db.session.flush()
