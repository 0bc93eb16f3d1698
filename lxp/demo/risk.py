"""Demo predictive support: a synthetic population with half a year of history, so that
``flask lxp risk evaluate`` has something to judge; a trained model; and the day's flags (the
demo learner stuck on a check, quiet since, lands on his coach's desk and on the admin's "May
need support" page). The demo course's "inactive" nudge uses adaptive timing, leaning on the
organisation's rhythm, stored here as the scheduler stores it weekly. Safe to run again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lxp.accounts.models import Organisation, User
from lxp.authoring.models import Course
from lxp.core.time import utcnow
from lxp.demo import DEMO_ORGANISATION
from lxp.demo.coaching import DEFAULT_COACH
from lxp.extensions import db
from lxp.nudges import rhythm
from lxp.nudges.models import TouchpointRule
from lxp.risk import history, holdout, population, services
from lxp.risk.models import RiskFlag, RiskSettings

LEARNERS = 300
SEED = 2026
EMAIL = "quiet-{n:05d}@{org}.example"
COURSE = "customer-conversations"
ADAPTIVE_RULE = "inactive"
HOLDOUT_PERCENT = 20
PAST_FLAGS = 120  # synthetic learners flagged six weeks ago, so the holdout comparison has figures


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
    raised = len(services.raise_flags(organisation))
    _holdout_history(organisation)
    rhythm.refresh(organisation.id)
    return added, latest.status, raised


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


def _holdout_history(organisation: Organisation) -> None:
    """Once: hold out ``HOLDOUT_PERCENT`` of flags (from today's run on, with a stored seed), and
    flag some synthetic learners six weeks ago, held out by that seed's draw, the others acted on
    by the demo coach; whether each came back is read from their events (``services.follow_up``),
    so the desk's comparison shows what the synthetic data says (no effect was built into it)."""
    if db.session.get(RiskSettings, organisation.id) is not None:
        return
    settings = RiskSettings(organisation_id=organisation.id, holdout_share=HOLDOUT_PERCENT / 100,
                            holdout_seed=holdout.new_seed())  # fmt: skip
    db.session.add(settings)
    coach = db.session.execute(select(User.id).where(User.email == DEFAULT_COACH)).scalar_one_or_none()
    raised = utcnow() - timedelta(days=42)
    learners = db.session.execute(
        select(User.id).where(User.organisation_id == organisation.id, User.email.like("quiet-%"))
        .order_by(User.id).limit(PAST_FLAGS)
    ).scalars()  # fmt: skip
    for learner in learners:
        held = holdout.held_out(settings.holdout_seed, learner, raised.date(), settings.holdout_share)
        db.session.add(RiskFlag(
            organisation_id=organisation.id, learner_id=learner, raised_at=raised, source="rules",
            reasons=[{"code": "quiet", "values": {"days": 9}}], suggested="message", held_out=held,
            acted_at=None if held else raised + timedelta(hours=3), acted_by_id=None if held else coach,
            action=None if held else "message",
        ))  # fmt: skip
    db.session.flush()
    services.follow_up(organisation.id, utcnow())
