"""Who sees which cohort space.

A learner sees the spaces of the cohorts they are a member of; the organisation's trainers
and admins see every space of their organisation (they post the weekly question and
moderate). Nobody sees a space of another cohort or organisation: the answer is the same
``NotFound`` as for a space that does not exist, so an id tells nothing. A space an admin
switched off is gone for learners and shows as off to staff.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import NotFound
from lxp.extensions import db
from lxp.social.models import SpaceSetting


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


def own_spaces(user: User):
    """A query of the cohorts ``user`` is a member of whose space is on, by name."""
    return (
        select(Cohort)
        .join(cohort_members, (cohort_members.c.cohort_id == Cohort.id) & (cohort_members.c.user_id == user.id))
        .where(Cohort.organisation_id == user.organisation_id, ~_switched_off())
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
