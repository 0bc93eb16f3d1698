"""The cohorts, people and clients the tests of cohort spaces share."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage
from lxp.nudges.policy import ACTIVITY_GRACE
from tests.conftest import committing, sign_in


def next_noon_utc():
    """The next noon UTC (outside everyone's quiet hours) far enough ahead that what the test
    has just done does not hold the message as "recently active" (a run between 11:00 and 12:00
    UTC otherwise found its messages held)."""
    now = utcnow()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon - now > ACTIVITY_GRACE + timedelta(minutes=10) else noon + timedelta(days=1)


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


@pytest.fixture(name="world")
def world_fixture(app, make_user, published, other_organisation):
    """Cohort A (Lena, Mia) and cohort B (Ben) of one organisation with a trainer, and a
    trainer and a learner of another organisation with a cohort of their own."""
    ids = {
        "trainer": make_user(("trainer",), email="tara@example.com", name="Tara Trainer"),
        "lena": make_user(("learner",), email="lena@example.com", name="Lena Learner"),
        "mia": make_user(("learner",), email="mia@example.com", name="Mia Maier", timezone="Europe/Berlin"),
        "ben": make_user(("learner",), email="ben@example.com", name="Ben Other"),
        "outsider": make_user(("trainer",), email="out@other.example", organisation_id=other_organisation),
        "far": make_user(("learner",), email="far@other.example", organisation_id=other_organisation),
    }
    with committing(app):
        get = lambda key: db.session.get(User, ids[key])  # noqa: E731
        organisation = get("lena").organisation_id
        a = Cohort(
            organisation_id=organisation, name="Cohort A", coach_id=ids["trainer"], members=[get("lena"), get("mia")]
        )
        b = Cohort(organisation_id=organisation, name="Cohort B", members=[get("ben")])
        far = Cohort(organisation_id=other_organisation, name="Far cohort", members=[get("far")])
        db.session.add_all([a, b, far])
        db.session.flush()
        ids.update(a=a.id, b=b.id, far_cohort=far.id)
    return {**ids, **published}


def plan_and_deliver(app, at, rule: str) -> set[tuple]:
    """Plan the touchpoints now and deliver what is due ``at``: (person, status, outcome) of the
    rule's messages."""
    with committing(app):
        nudges.plan_touchpoints(utcnow())
    with app.app_context():
        nudges.deliver_due(at)
    with committing(app):
        return {(m.user_id, m.status, m.outcome) for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.rule == rule))}  # fmt: skip


def digest_of(app, learner_id: int) -> OutboxMessage:
    """The learner's weekly digest, planned tomorrow at 10:00 UTC with the digest set for then."""
    moment = (utcnow() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    with committing(app):
        nudges.save_preferences(db.session.get(User, learner_id), {}, {}, None, None, 5,
                                digest_weekday=moment.weekday(), digest_hour=9)  # fmt: skip
    with committing(app):
        nudges.plan_touchpoints(moment)
        return db.session.scalar(select(OutboxMessage).where(OutboxMessage.rule == "weekly_digest",
                                                             OutboxMessage.user_id == learner_id))  # fmt: skip
