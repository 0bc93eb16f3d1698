"""The organisation's rhythm for adaptive timing: stored weekly by the scheduler's run, each
event counted in its learner's own zone; a learner with no history of their own gets the
organisation's busiest hour instead of the fixed time (once it was learnt from five learners);
the admin reads it on the touchpoints page (the timing API: test_api_send_time)."""

import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges import policy
from lxp.nudges import services as nudges
from lxp.nudges.models import OrganisationRhythm, OutboxMessage, TouchpointRule
from lxp.risk import services as risk
from tests.conftest import committing, sign_in
from tests.integration.outbox_fixtures import add_due_messages, add_learners


def _learnt_at(learners: list[int], hour, weeks: int = 4, object_id: str = "1:lesson") -> None:
    now = utcnow()
    db.session.execute(insert(LearningEvent), [
        {"id": uuid.uuid4(), "actor_id": i, "verb": "completed", "object_type": "item", "object_id": object_id,
         "result": None, "context": None, "occurred_at": hour - timedelta(weeks=k), "recorded_at": now}
        for i in learners for k in range(1, weeks + 1)
    ])  # fmt: skip
    db.session.commit()


def test_the_scheduler_stores_the_rhythm_weekly_each_event_in_its_learners_zone(app, ctx):
    now = utcnow().replace(microsecond=0)
    monday_8 = (now - timedelta(days=now.weekday())).replace(hour=8, minute=0, second=0)
    learners = add_learners(6)
    db.session.execute(update(User).where(User.id == learners[0]).values(timezone="Asia/Tokyo"))  # 17:00 there
    _learnt_at(learners, monday_8, weeks=2)
    risk.refresh(now)
    db.session.commit()
    row = db.session.execute(select(OrganisationRhythm)).scalar_one()
    assert row.learners == 6 and len(row.hours) == policy.SLOTS
    assert row.hours[8] == 10 and row.hours[17] == 2 and sum(row.hours) == 12  # Monday 08:00 UTC, 17:00 Tokyo
    _learnt_at(learners[:1], monday_8 + timedelta(hours=3), weeks=1)
    risk.refresh(now + timedelta(days=6))  # not a week yet: kept as it was
    db.session.commit()
    db.session.expire_all()
    assert sum(db.session.execute(select(OrganisationRhythm)).scalar_one().hours) == 12
    risk.refresh(now + timedelta(days=7))
    db.session.commit()
    db.session.expire_all()
    assert sum(db.session.execute(select(OrganisationRhythm)).scalar_one().hours) == 13


def _newcomers_with_due_messages(now, published, veterans: int) -> list[int]:
    their_hour = (now + timedelta(hours=10)).replace(minute=0, second=0)
    _learnt_at(add_learners(veterans, prefix="veteran"), their_hour, weeks=3)
    db.session.add(TouchpointRule(course_id=published["course"], key="inactive", adaptive_time=True))
    db.session.commit()
    risk.refresh(now)
    db.session.commit()
    newcomers = add_learners(20, prefix="newcomer")
    add_due_messages(newcomers, now, course_id=published["course"])
    return newcomers


def test_a_learner_without_history_gets_the_organisations_busiest_hour_not_the_fixed_time(
    app, ctx, published, mail_server
):
    now = utcnow().replace(microsecond=0)
    their_hour = (now + timedelta(hours=10)).replace(minute=0, second=0)
    _newcomers_with_due_messages(now, published, veterans=5)
    nudges.deliver_outbox(now)
    db.session.expire_all()
    rows = db.session.execute(select(OutboxMessage)).scalars().all()
    fixed = [r for r in rows if policy.fixed_time(r.id)]
    adaptive = [r for r in rows if not policy.fixed_time(r.id)]
    assert fixed and adaptive
    assert all(r.status == "sent" for r in fixed)
    assert all(r.status == "pending" and r.outcome == "learner_time" and r.due_at == their_hour for r in adaptive)


def test_a_rhythm_of_fewer_than_five_learners_is_not_leant_on(app, ctx, published, mail_server):
    now = utcnow().replace(microsecond=0)
    _newcomers_with_due_messages(now, published, veterans=4)
    nudges.deliver_outbox(now)
    db.session.expire_all()
    assert {r.status for r in db.session.execute(select(OutboxMessage)).scalars()} == {"sent"}


def test_the_admin_reads_the_busiest_hours_on_the_touchpoints_page(app, client, make_user):
    make_user(("admin",), email="boss@example.com")
    with committing(app):
        learners = add_learners(5)
        now = utcnow().replace(microsecond=0)
        wednesday_19 = (now - timedelta(days=now.weekday() - 2)).replace(hour=19, minute=0, second=0)
        _learnt_at(learners, wednesday_19 - timedelta(weeks=1), weeks=2)
        risk.refresh(now)
    sign_in(client, "boss@example.com")
    page = client.get("/admin/touchpoints/effect").get_data(as_text=True)
    assert "When your learners learn" in page
    assert "Wednesday 19:00–20:00" in page
    assert "Learnt from 5 learners" in page


def test_below_five_learners_the_admin_sees_no_hours(app, client, make_user):
    make_user(("admin",), email="boss@example.com")
    with committing(app):
        learners = add_learners(4)
        _learnt_at(learners, utcnow().replace(minute=0, second=0, microsecond=0))
        risk.refresh(utcnow())
    sign_in(client, "boss@example.com")
    page = client.get("/admin/touchpoints/effect").get_data(as_text=True)
    assert "Learnt from fewer than 5 learners: not shown" in page
    assert "Monday" not in page.split("When your learners learn")[1]
