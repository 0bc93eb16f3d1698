"""Cohorts: create, rename, choose a coach, add and take out members. Admins of the organisation only."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select

from lxp.accounts import joining
from lxp.accounts.models import User, UserRole
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import Conflict, Invalid, NotAllowed
from lxp.core.inserts import dialect_insert
from lxp.core.paging import paginate
from lxp.core.statements import contains
from lxp.core.tenancy import get_in_organisation
from lxp.extensions import db

NAME_LIMIT = 120


def _require_admin(admin: User) -> None:
    if not admin.has_role("admin"):
        raise NotAllowed(_l("Only admins manage cohorts."))


def cohorts_of(organisation_id: int) -> list[tuple[Cohort, int]]:
    """The organisation's cohorts by name, each with its number of members (one query)."""
    rows = db.session.execute(
        select(Cohort, func.count(cohort_members.c.user_id))
        .outerjoin(cohort_members, cohort_members.c.cohort_id == Cohort.id)
        .where(Cohort.organisation_id == organisation_id)
        .group_by(Cohort.id)
        .order_by(Cohort.name)
    ).all()
    return [(cohort, count) for cohort, count in rows]


def cohort_in(admin: User, cohort_id: int) -> Cohort:
    """A cohort of the admin's organisation. Raises ``NotFound``."""
    return get_in_organisation(Cohort, cohort_id, admin.organisation_id, _l("No such cohort."))


def _check_name(admin: User, name: str, cohort_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(_l("Give the cohort a name."), field="name")
    if len(name) > NAME_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=NAME_LIMIT), field="name")
    taken = db.session.execute(
        select(Cohort.id).where(Cohort.organisation_id == admin.organisation_id, Cohort.name == name)
    ).scalar_one_or_none()
    if taken is not None and taken != cohort_id:
        raise Conflict(_l("There is a cohort of that name already."), field="name")
    return name


def _check_coach(admin: User, coach_id: int | None) -> int | None:
    if coach_id is None:
        return None
    coach = db.session.get(User, coach_id)
    if (
        coach is None
        or coach.organisation_id != admin.organisation_id
        or not coach.active
        or not coach.has_role("trainer")
    ):
        raise Invalid(_l("Choose an active trainer of your organisation."), field="coach")
    return coach.id


def _learners(admin: User, user_ids: Iterable[int]) -> list[User]:
    wanted = set(user_ids)
    if not wanted:
        return []
    found = list(
        db.session.execute(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.id.in_(wanted), User.organisation_id == admin.organisation_id, UserRole.role == "learner")
        ).scalars()
    )
    if len(found) != len(wanted):
        raise Invalid(_l("Choose learners of your organisation."), field="members")
    return found


def create_cohort(admin: User, name: str, coach_id: int | None = None, member_ids: Iterable[int] = ()) -> Cohort:
    """A new cohort. Raises ``NotAllowed``, ``Invalid`` (no or overlong name, coach or members
    not of the organisation) and ``Conflict`` (the name is taken)."""
    _require_admin(admin)
    cohort = Cohort(organisation_id=admin.organisation_id, name=_check_name(admin, name),
                    coach_id=_check_coach(admin, coach_id))  # fmt: skip
    cohort.members = _learners(admin, member_ids)
    db.session.add(cohort)
    db.session.flush()
    for member in cohort.members:  # what the cohort is assigned reaches its members
        joining.person_changed(member)
    return cohort


def update_cohort(admin: User, cohort: Cohort, name: str, coach_id: int | None) -> None:
    """Rename the cohort and change its coach. Raises as ``create_cohort`` and ``NotFound``."""
    _require_admin(admin)
    cohort = cohort_in(admin, cohort.id)
    cohort.name = _check_name(admin, name, cohort.id)
    cohort.coach_id = _check_coach(admin, coach_id)
    db.session.flush()


MEMBERS_PER_PAGE = 50


def members_query(cohort: Cohort):
    """The cohort's members' ids, as a subquery (to leave them out of a search for people to add)."""
    return select(cohort_members.c.user_id).where(cohort_members.c.cohort_id == cohort.id)


def members_of(cohort: Cohort, text: str = "", page: int = 1):
    """A page (``MEMBERS_PER_PAGE``, by name; past the last, the last) of the cohort's members,
    those whose name or e-mail contains ``text`` if given: a cohort may hold thousands."""
    statement = select(User).where(User.id.in_(members_query(cohort)))
    if text.strip():
        statement = statement.where(or_(contains(User.display_name, text.strip()), contains(User.email, text.strip())))
    statement = statement.order_by(func.lower(User.display_name), User.id)
    return paginate(statement, page, MEMBERS_PER_PAGE)


def add_members(admin: User, cohort: Cohort, user_ids: Iterable[int]) -> int:
    """Put learners of the organisation into the cohort (those already in it stay as they are);
    how many joined. Raises ``NotAllowed``, ``NotFound`` and ``Invalid`` (someone who is not
    a learner of the organisation: nobody joins)."""
    _require_admin(admin)
    cohort = cohort_in(admin, cohort.id)
    chosen = _learners(admin, user_ids)
    current = set(db.session.scalars(members_query(cohort)))
    joining_now = [person for person in chosen if person.id not in current]
    if joining_now:  # the same form sent twice at once: the database keeps one membership
        db.session.execute(dialect_insert(cohort_members).on_conflict_do_nothing(),
                           [{"cohort_id": cohort.id, "user_id": p.id} for p in joining_now])  # fmt: skip
        db.session.expire(cohort, ["members"])
    db.session.flush()
    for member in joining_now:  # what the cohort is assigned reaches them
        joining.person_changed(member)
    return len(joining_now)


def remove_members(admin: User, cohort: Cohort, user_ids: Iterable[int]) -> int:
    """Take people out of the cohort (ids of people not in it are passed over: the page they
    were ticked on may be older than someone else's change); how many left. Raises
    ``NotAllowed`` and ``NotFound``."""
    _require_admin(admin)
    cohort = cohort_in(admin, cohort.id)
    wanted = set(user_ids)
    if not wanted:
        return 0
    left = db.session.execute(
        delete(cohort_members).where(cohort_members.c.cohort_id == cohort.id, cohort_members.c.user_id.in_(wanted))
    ).rowcount  # fmt: skip
    db.session.expire(cohort, ["members"])
    db.session.flush()
    return left


def cohort_coach_of(learner_id: int) -> User | None:
    """The coach of the first (by name) of the learner's cohorts that has one."""
    return db.session.execute(
        select(User)
        .join(Cohort, Cohort.coach_id == User.id)
        .join(cohort_members, cohort_members.c.cohort_id == Cohort.id)
        .where(cohort_members.c.user_id == learner_id, User.active)
        .order_by(Cohort.name, Cohort.id)
        .limit(1)
    ).scalar_one_or_none()


def sync_memberships(user: User, wanted: Iterable[int], managed: Iterable[int]) -> None:
    """Put ``user`` into the cohorts ``wanted`` and take them out of those in ``managed`` that
    are not wanted (company sign-in's group mapping: ``managed`` is every cohort a group maps
    to; other cohorts are the admin's and stay as they are). Only cohorts of the person's
    organisation count, and only a learner joins one."""
    wanted_ids, managed_ids = set(wanted), set(managed) | set(wanted)
    if not managed_ids:
        return
    own = set(db.session.scalars(
        select(Cohort.id).where(Cohort.id.in_(managed_ids), Cohort.organisation_id == user.organisation_id)
    ))  # fmt: skip
    current = set(db.session.scalars(
        select(cohort_members.c.cohort_id).where(cohort_members.c.user_id == user.id, cohort_members.c.cohort_id.in_(own))
    ))  # fmt: skip
    keep = wanted_ids & own if user.has_role("learner") else set()
    for cohort_id in sorted(keep - current):
        db.session.execute(insert(cohort_members).values(cohort_id=cohort_id, user_id=user.id))
    leaving = current - keep
    if leaving:
        db.session.execute(
            delete(cohort_members).where(cohort_members.c.user_id == user.id, cohort_members.c.cohort_id.in_(leaving))
        )
    for cohort in db.session.identity_map.values():
        if isinstance(cohort, Cohort) and cohort.id in (keep ^ current):
            db.session.expire(cohort, ["members"])
    db.session.flush()
