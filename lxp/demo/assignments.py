"""The demo's assigned learning: the Berlin store's onboarding, asked of the cohort of
newcomers "within 14 days of joining", and their manager's team: one newcomer at risk of
missing the date, one overdue, one done. The manager has asked one of them for more herself
(a team meeting to run before he stands in as shift lead).

Idempotent: the cohort, the assignment and the reporting lines are made once.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.assignments import services as assignments
from lxp.assignments.models import AssignedWork, ReportingLine
from lxp.authoring.models import Goal
from lxp.cohorts import services as cohorts
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.managers import services as managers
from lxp.paths import services as paths

COHORT = "Neu in der Filiale Berlin"
UNIT = "Filiale Berlin"
MANAGER = "katrin.vogel@northwind.example"
ADMIN = "admin@northwind.example"
# (e-mail, days since they got it, days until it is due): at risk (she has 15 minutes a week, so
# her plan runs weeks past the date), overdue, done (a finished path, Tobias's demo story).
TEAM = (
    ("jana.koch@northwind.example", 12, 2),
    ("felix.braun@northwind.example", 20, -6),
    ("tobias.wagner@northwind.example", 30, -16),
)
MANAGERS_GOAL = "first-hybrid-meeting"
MANAGERS_PACKAGE = "essentials"
MANAGERS_REASON = "Du vertrittst ab Februar die Schichtleitung: übe vorher, ein Teammeeting zu leiten."
MANAGERS_DAYS = 45
REASON = "Alle Neuen in der Filiale lernen in den ersten zwei Wochen, Reklamationen so zu lösen, dass Kunden bleiben."


def _person(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed_assignments(today: date | None = None) -> bool:
    """The onboarding assignment, its cohort, unit and manager; False when already there."""
    today = today or date.today()
    admin, manager = _person(ADMIN), _person(MANAGER)
    team = [_person(email) for email, _, _ in TEAM]
    goal = db.session.scalar(select(Goal).where(Goal.slug == "kunden-halten"))
    if admin is None or manager is None or goal is None or None in team:
        return False
    cohort = db.session.scalar(
        select(Cohort).where(Cohort.organisation_id == admin.organisation_id, Cohort.name == COHORT)
    )
    if cohort is not None:
        return False
    unit = assignments.unit_named(admin.organisation_id, UNIT)
    for person in (manager, *team):
        assignments.place_in_unit(person, unit)
    for person in team:
        managers.set_line(person, manager, by=admin)
    cohort = cohorts.create_cohort(admin, COHORT, None, [p.id for p in team])
    assignment = assignments.create_assignment(admin, assignments.AssignmentInput(
        goal_id=goal.id, package_id=None, reason=REASON, audience="cohort", cohort_id=cohort.id, due_within_days=14,
    ), today)  # fmt: skip
    now = utcnow()
    for (_email, since, due), person in zip(TEAM, team, strict=True):
        work = db.session.scalar(select(AssignedWork).where(
            AssignedWork.assignment_id == assignment.id, AssignedWork.learner_id == person.id))  # fmt: skip
        # As if each had joined ``since`` days ago: the 14 days count from then.
        work.assigned_at, work.due_on = now - timedelta(days=since), today + timedelta(days=due)
        if work.completed_at is not None:
            work.completed_at = now - timedelta(days=since - 10)
    # Jana let Katrin see on My team when predictive support notices she may need help.
    db.session.get(ReportingLine, team[0].id).share_support = True
    busy = paths.open_journey(team[0])
    busy.weekly_minutes = paths.MIN_WEEKLY_MINUTES
    db.session.flush()
    for person in team:
        assignments.refresh_path(person)
    _manager_assigns(manager, team[1], today)
    return True


def _manager_assigns(manager: User, person: User, today: date) -> None:
    """Katrin asks Felix, who reports to her, to practise running a team meeting: the goal's
    short package, as a manager may (the path tells Felix it was Katrin who asked)."""
    goal = db.session.scalar(select(Goal).where(Goal.organisation_id == manager.organisation_id,
                                                Goal.slug == MANAGERS_GOAL))  # fmt: skip
    if goal is None:
        return
    package = next((p for p in goal.packages if p.slug == MANAGERS_PACKAGE), None)
    assignments.create_team_assignment(manager, assignments.AssignmentInput(
        goal_id=goal.id, package_id=package.id if package else None, reason=MANAGERS_REASON, audience="people", people=(person.id,),
        due_date=today + timedelta(days=MANAGERS_DAYS),
    ), today)  # fmt: skip
