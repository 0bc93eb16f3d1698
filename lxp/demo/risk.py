"""Demo predictive support: a synthetic population with half a year of history, so that
``flask lxp risk evaluate`` has something to judge; a trained model; and the day's flags (the
demo learner stuck on a check, quiet since, lands on his coach's desk). The demo course's "inactive" nudge uses adaptive timing. Safe to run again."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import Organisation, User
from lxp.authoring.models import Course
from lxp.core.time import utcnow
from lxp.demo import DEMO_ORGANISATION
from lxp.extensions import db
from lxp.nudges.models import TouchpointRule
from lxp.risk import history, population, services

LEARNERS = 300
SEED = 2026
EMAIL = "quiet-{n:05d}@{org}.example"
COURSE = "customer-conversations"
ADAPTIVE_RULE = "inactive"


def seed_risk() -> tuple[int, str, int]:
    """Add the population when missing, train the model and raise today's flags; return
    (learners added, the model's status, flags raised)."""
    organisation = db.session.execute(
        select(Organisation).where(Organisation.slug == DEMO_ORGANISATION[0])
    ).scalar_one_or_none()
    if organisation is None:
        return 0, "", 0
    added = 0
    if (
        db.session.execute(
            select(User.id).where(User.organisation_id == organisation.id, User.email.like("quiet-%"))
        ).first()
        is None
    ):
        now = utcnow()
        generated = population.generate(LEARNERS, seed=SEED, now=now)
        course = _course(organisation.id)
        added = len(history.store(organisation.id, generated, email=EMAIL, course_id=course, timing=course is not None))
    _adaptive_rule(organisation.id)
    latest = services.latest_model(organisation.id)
    if latest is None:
        latest, _ = services.train(organisation)
    return added, latest.status, len(services.raise_flags(organisation))


def _course(organisation_id: int) -> int | None:
    return db.session.execute(
        select(Course.id).where(Course.organisation_id == organisation_id, Course.slug == COURSE)
    ).scalar_one_or_none()


def _adaptive_rule(organisation_id: int) -> None:
    """The demo course's "inactive" nudge goes out at each learner's own time."""
    course = _course(organisation_id)
    if course is None:
        return
    row = db.session.execute(
        select(TouchpointRule).where(TouchpointRule.course_id == course, TouchpointRule.key == ADAPTIVE_RULE)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(TouchpointRule(course_id=course, key=ADAPTIVE_RULE, adaptive_time=True))
        db.session.flush()
