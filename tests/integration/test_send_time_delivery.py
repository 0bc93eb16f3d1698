"""Adaptive timing in the real delivery run: a rule that opted in waits for the learner's own
hour, one in five of its messages keeps the fixed time, and the effect page compares the two."""

import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges import policy
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage, TouchpointRule
from tests.conftest import sign_in
from tests.integration.outbox_fixtures import add_due_messages, add_learners


def test_an_adaptive_rule_waits_for_the_learners_hour_and_the_fixed_group_goes_at_once(
    app, ctx, published, mail_server
):
    now = utcnow().replace(microsecond=0)
    their_hour = (now + timedelta(hours=10)).replace(minute=0, second=0)
    learners = add_learners(30)
    db.session.add(TouchpointRule(course_id=published["course"], key="inactive", adaptive_time=True))
    # Every learner learnt in that hour of the week for the last eight weeks, and never else.
    db.session.execute(insert(LearningEvent), [
        {"id": uuid.uuid4(), "actor_id": i, "verb": "completed", "object_type": "item", "object_id": published["lesson"],
         "result": None, "context": None, "occurred_at": their_hour - timedelta(weeks=k), "recorded_at": now}
        for i in learners for k in range(1, 9)
    ])  # fmt: skip
    db.session.commit()
    add_due_messages(learners, now, course_id=published["course"])
    nudges.deliver_outbox(now)
    db.session.expire_all()
    rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    fixed = [r for r in rows if policy.fixed_time(r.id)]
    adaptive = [r for r in rows if not policy.fixed_time(r.id)]
    assert fixed and adaptive
    assert all(r.status == "sent" and r.timing == "fixed" for r in fixed)
    held = [r for r in adaptive if r.status == "pending" and r.outcome == "learner_time"]
    assert len(held) >= 0.8 * len(adaptive)  # Thompson sampling explores a little
    assert sum(r.due_at == their_hour for r in held) >= 0.8 * len(held)
    assert all(now < r.due_at < now + policy.ADAPTIVE_WINDOW for r in held)
    nudges.deliver_outbox(now + policy.ADAPTIVE_WINDOW)
    db.session.expire_all()
    assert {(r.status, r.timing) for r in db.session.execute(select(OutboxMessage)).scalars()} == {
        ("sent", "adaptive"), ("sent", "fixed")}  # fmt: skip


def test_the_effect_page_has_the_timing_comparison_once_a_rule_is_adaptive(app, ctx, client, make_user, mail_server):
    make_user(("admin",), email="boss@example.com")
    learners = add_learners(3)
    add_due_messages(learners, utcnow() - timedelta(days=3), status="sent", sent_at=utcnow() - timedelta(days=3),
                     channel="in_app", timing="adaptive")  # fmt: skip
    sign_in(client, "boss@example.com")
    page = client.get("/admin/touchpoints/effect").get_data(as_text=True)
    assert "and at the fixed time" in page
    assert "too few to show" in page
