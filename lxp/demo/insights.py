"""Demo insights: a modest synthetic population on the demo course, so the journey map and
its charts are not empty on first run. Safe to run again (adds nobody the second time)."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import Organisation, User
from lxp.cohorts.models import Cohort
from lxp.demo import DEMO_ORGANISATION
from lxp.demo.coaching import COHORT
from lxp.extensions import db
from lxp.insights import synthetic

LEARNERS = 60
COURSE = "customer-conversations"
SECOND_COHORT = ("Store teams, winter 2026", "trainer.berlin@northwind.example")


def seed_insights() -> int:
    """Add the synthetic learners when the demo has none yet; return how many were added."""
    organisation = db.session.execute(
        select(Organisation).where(Organisation.slug == DEMO_ORGANISATION[0])
    ).scalar_one_or_none()
    if organisation is None:
        return 0
    if db.session.execute(
        select(User.id).where(User.organisation_id == organisation.id, User.email.like("synthetic-%"))
    ).first():
        return 0
    if db.session.execute(select(Cohort.id).where(Cohort.name == SECOND_COHORT[0])).first() is None:
        coach = db.session.execute(select(User).where(User.email == SECOND_COHORT[1])).scalar_one_or_none()
        db.session.add(
            Cohort(organisation_id=organisation.id, name=SECOND_COHORT[0], coach_id=coach.id if coach else None)
        )
        db.session.flush()
    report = synthetic.generate(
        organisation, LEARNERS, course_slug=COURSE, cohort_names=(COHORT[0], SECOND_COHORT[0]), seed=2026
    )
    return report.learners
