"""Who sees which space: a cohort's, or a course's.

A learner sees the spaces of the cohorts they are a member of, and the spaces of the courses
on their path (a journey on the course they have not left); the organisation's trainers and
admins see every space of their organisation (they post the weekly question and moderate). Nobody sees a space of another cohort or organisation: the answer is the same
``NotFound`` as for a space that does not exist, so an id tells nothing. A space an admin
switched off is gone for learners and shows as off to staff.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, select

from lxp.accounts.models import User
from lxp.authoring.models import Course, CourseVersion
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import Invalid, NotFound
from lxp.core.statements import among, prepared
from lxp.extensions import db
from lxp.paths.models import Journey, JourneyCourse
from lxp.social.models import CourseSpaceSetting, SpaceSetting, SpaceThread


@dataclass(frozen=True)
class CourseSpace:
    """The space of everyone on a course, beside the cohort spaces; it reads like a ``Cohort``
    where the spaces need one (``id``, ``organisation_id``, ``name``, ``coach_id``)."""

    id: int  # the course's
    organisation_id: int
    name: str  # the title of its newest version
    coach_id: None = None
    kind = "course"


def is_staff(user: User) -> bool:
    """Trainers and admins look after the spaces of their organisation."""
    return user.has_any_role(("trainer", "admin"))


def space_enabled(cohort_id: int) -> bool:
    setting = db.session.get(SpaceSetting, cohort_id)
    return setting is None or setting.enabled


def _switched_off():
    return exists().where(SpaceSetting.cohort_id == Cohort.id, SpaceSetting.enabled.is_(False))


def is_member(user_id: int, cohort_id: int) -> bool:
    return db.session.execute(
        select(cohort_members.c.user_id).where(cohort_members.c.cohort_id == cohort_id,
                                               cohort_members.c.user_id == user_id)
    ).first() is not None  # fmt: skip


def own_spaces(user_id, organisation_id):
    """A query of the cohorts the user ``user_id`` is a member of whose space is on, by name
    (the ids may be values or bind parameters)."""
    return (
        select(Cohort)
        .join(cohort_members, (cohort_members.c.cohort_id == Cohort.id) & (cohort_members.c.user_id == user_id))
        .where(Cohort.organisation_id == organisation_id, ~_switched_off())
        .order_by(Cohort.name, Cohort.id)
    )


def spaces_for(user: User) -> list[Cohort]:
    """The cohorts whose space ``user`` may open, by name: their own as a learner (those
    switched on), every one of the organisation as staff."""
    query = select(Cohort).where(Cohort.organisation_id == user.organisation_id).order_by(Cohort.name, Cohort.id)
    if not is_staff(user):
        query = query.join(cohort_members, cohort_members.c.cohort_id == Cohort.id).where(
            cohort_members.c.user_id == user.id, ~_switched_off()
        )
    return list(db.session.execute(query).scalars())


def space_for(user: User, cohort_id: int) -> Cohort:
    """The cohort whose space ``user`` opens. Raises ``NotFound`` for a cohort of another
    organisation, one the learner is not a member of, or one switched off (for learners)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or cohort.organisation_id != user.organisation_id:
        raise NotFound(_l("No such space."))
    if is_staff(user):
        return cohort
    if not is_member(user.id, cohort.id) or not space_enabled(cohort.id):
        raise NotFound(_l("No such space."))
    return cohort


def may_see(user: User, cohort_id: int) -> bool:
    try:
        space_for(user, cohort_id)
    except NotFound:
        return False
    return True


# --- course spaces -----------------------------------------------------------------------------


def course_space_enabled(course_id: int) -> bool:
    setting = db.session.get(CourseSpaceSetting, course_id)
    return setting is None or setting.enabled


def course_members(course_id: int):
    """SQL: the ids of the learners on the course (a journey on it they have not left)."""
    return (
        select(Journey.learner_id)
        .join(JourneyCourse, JourneyCourse.journey_id == Journey.id)
        .where(JourneyCourse.course_id == course_id, Journey.status != "left")
    )


def is_course_member(user_id: int, course_id: int) -> bool:
    """Whether the user has a journey on the course they have not left: looked up from their own
    journeys, not the course's (see ``among``)."""
    return db.session.execute(
        select(JourneyCourse.journey_id).where(JourneyCourse.course_id == course_id,
                                               among(JourneyCourse.journey_id, _journeys_not_left(user_id))).limit(1)
    ).first() is not None  # fmt: skip


def _journeys_not_left(user_id):
    """SQL: the ids of the journeys the user has not left (``user_id`` a value or a bind parameter)."""
    return select(Journey.id).where(Journey.learner_id == user_id, Journey.status != "left")


def _with_newest_title(query):
    """``query`` on ``Course`` with the title of each course's newest version beside it."""
    newest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    return (
        query.add_columns(CourseVersion.title)
        .join(newest, newest.c.course_id == Course.id)
        .join(CourseVersion, (CourseVersion.course_id == Course.id) & (CourseVersion.number == newest.c.number))
    )


def _as_course_spaces(rows) -> list[CourseSpace]:
    return sorted((CourseSpace(c.id, c.organisation_id, title) for c, title in rows), key=lambda s: (s.name, s.id))


def _course_spaces(query) -> list[CourseSpace]:
    return _as_course_spaces(db.session.execute(_with_newest_title(query)))


def course_spaces_for(user: User) -> list[CourseSpace]:
    """The course spaces ``user`` may open, by name: those of the courses on their path (switched
    on) as a learner, every course of the organisation as staff."""
    query = select(Course).where(Course.organisation_id == user.organisation_id)
    if not is_staff(user):
        query = query.where(*own_course_spaces(user.id))
    return _course_spaces(query)


def own_course_spaces(user_id) -> tuple:
    """SQL conditions on ``Course``: a course on the path of the user ``user_id`` (a value or a
    bind parameter) whose space is on."""
    switched_off = exists().where(CourseSpaceSetting.course_id == Course.id, CourseSpaceSetting.enabled.is_(False))
    # From the user's own journeys outwards, whatever the statistics (see ``among``).
    mine = select(JourneyCourse.course_id).where(among(JourneyCourse.journey_id, _journeys_not_left(user_id)))
    return among(Course.id, mine), ~switched_off


def course_space_for(user: User, course_id: int) -> CourseSpace:
    """The space of the course ``course_id`` that ``user`` opens. Raises ``NotFound`` for a course
    of another organisation, one not on the learner's path, or one switched off (for learners)."""
    found = _course_spaces(select(Course).where(Course.id == course_id, Course.organisation_id == user.organisation_id))
    if not found:
        raise NotFound(_l("No such space."))
    if not is_staff(user) and (not is_course_member(user.id, course_id) or not course_space_enabled(course_id)):
        raise NotFound(_l("No such space."))
    return found[0]


# --- either kind -------------------------------------------------------------------------------


def is_course_space(space) -> bool:
    return isinstance(space, CourseSpace)


def reopen(user: User, space):
    """``space`` (a ``Cohort`` or a ``CourseSpace``) as ``user`` may open it. Raises ``NotFound``."""
    return course_space_for(user, space.id) if is_course_space(space) else space_for(user, space.id)


def enabled(space) -> bool:
    return course_space_enabled(space.id) if is_course_space(space) else space_enabled(space.id)


def of_thread(thread: SpaceThread):
    """The space a thread is in (whoever looks)."""
    if thread.course_id is None:
        return thread.cohort
    found = _course_spaces(select(Course).where(Course.id == thread.course_id))
    return found[0]


def thread_space_for(user: User, thread: SpaceThread):
    """The space of ``thread`` as ``user`` may open it. Raises ``NotFound``."""
    if thread.course_id is not None:
        return course_space_for(user, thread.course_id)
    return space_for(user, thread.cohort_id)


def may_see_thread(user: User, thread: SpaceThread) -> bool:
    try:
        thread_space_for(user, thread)
    except NotFound:
        return False
    return True


def thread_enabled(thread: SpaceThread) -> bool:
    return course_space_enabled(thread.course_id) if thread.course_id is not None else space_enabled(thread.cohort_id)


def context_of(space) -> dict:
    """What the space's events carry to say where they happened."""
    return {"course_space": space.id} if is_course_space(space) else {"cohort": space.id}


def thread_context(thread: SpaceThread) -> dict:
    return {"course_space": thread.course_id} if thread.course_id is not None else {"cohort": thread.cohort_id}


# --- where a learner shares ----------------------------------------------------------------------


def space_key(space) -> str:
    """A space's name in a form or the API: ``cohort:<id>`` or ``course:<id>``."""
    return f"{'course' if is_course_space(space) else 'cohort'}:{space.id}"


# Where a learner may share is asked on every view of a step (the block page): prepared.


@prepared
def _own_spaces():
    return own_spaces(bindparam("user_id"), bindparam("organisation_id"))


@prepared
def _own_course_space():
    """The space of course ``:course_id`` of ``:organisation_id`` as a learner (not staff)
    ``:user_id`` opens it (``course_space_for``): on their path and switched on."""
    course = (Course.id == bindparam("course_id")) & (Course.organisation_id == bindparam("organisation_id"))
    return _with_newest_title(select(Course).where(course, *own_course_spaces(bindparam("user_id"))))


def share_targets(learner: User, ref: str) -> list:
    """Where ``learner`` may share their work or an "I'm stuck" on step ``ref``: their cohorts'
    spaces (switched on, by name), then the space of the step's course when they are on it and
    it is on. The first is the default: their first cohort, or the course's space without one."""
    wanted = {"user_id": learner.id, "organisation_id": learner.organisation_id}
    spaces: list = list(db.session.execute(_own_spaces(), wanted).scalars())
    course_id, _sep, _key = (ref or "").partition(":")
    if course_id.isdigit() and is_staff(learner):
        with suppress(NotFound):
            spaces.append(course_space_for(learner, int(course_id)))
    elif course_id.isdigit():
        rows = db.session.execute(_own_course_space(), {**wanted, "course_id": int(course_id)})
        spaces.extend(_as_course_spaces(rows))
    return spaces


def share_target(learner: User, ref: str, key: str | None):
    """The space ``learner`` chose by ``key`` (``space_key``) among ``share_targets``, or the
    default when ``key`` is empty; None when there is nowhere to share. Raises ``Invalid`` for a
    key that is not one of theirs (another cohort, a course not on their path, a space switched off)."""
    targets = share_targets(learner, ref)
    if not key:
        return targets[0] if targets else None
    found = next((space for space in targets if space_key(space) == key), None)
    if found is None:
        raise Invalid(_l("Choose one of your spaces."), field="space")
    return found
