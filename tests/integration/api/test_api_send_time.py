"""The send-time experiment over the API: an admin reads, per adaptive rule and channel, how
messages sent at the learner's own hour were opened against those kept at the fixed time.
Only the admin role with the admin scope; groups of fewer than five learners stay null."""

from datetime import timedelta

from sqlalchemy import update

from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage
from tests.conftest import committing
from tests.integration.api.conftest import is_problem
from tests.integration.outbox_fixtures import add_due_messages, add_learners

ADMIN = ("read", "write", "admin")


def _sent(app, count: int, opened: int, timing: str, prefix: str) -> None:
    with committing(app):
        learners = add_learners(count, prefix=prefix)
        when = utcnow() - timedelta(days=3)
        add_due_messages(learners, when, status="sent", sent_at=when, channel="in_app", timing=timing)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.user_id.in_(learners[:opened]))
                           .values(opened_at=when + timedelta(hours=1)))  # fmt: skip


def test_an_admin_reads_chosen_time_against_default_time_opens(app, api_as):
    admin = api_as("admin", scopes=ADMIN)
    _sent(app, 12, 9, "adaptive", "chosen")
    _sent(app, 6, 2, "fixed", "default")
    response = admin.get("/api/v1/admin/touchpoints/timing")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["fixed_time_percent"] == 20 and body["measured_until"]
    [row] = body["items"]
    assert (row["rule"], row["channel"]) == ("inactive", "in_app") and row["label"] != "inactive"
    chosen, default = row["chosen_time"], row["default_time"]
    assert (chosen["messages"], chosen["opened"], chosen["open_rate"]) == (12, 9, 0.75)
    assert (default["messages"], default["opened"]) == (6, 2)
    assert abs(row["open_difference"] - (0.75 - 2 / 6)) < 1e-9
    assert row["open_low"] < row["open_difference"] < row["open_high"]


def test_a_small_default_group_is_not_shown_and_nobody_else_may_read_it(app, api_as):
    admin = api_as("admin", scopes=ADMIN)
    _sent(app, 8, 4, "adaptive", "chosen")
    _sent(app, 3, 1, "fixed", "default")  # three learners: could point at a person
    [row] = admin.get("/api/v1/admin/touchpoints/timing").get_json()["items"]
    assert row["default_time"]["shown"] is False and row["default_time"]["opened"] is None
    assert row["open_difference"] is None and row["chosen_time"]["opened"] == 4
    is_problem(admin.get("/api/v1/admin/touchpoints/timing?start=2026-03-10&end=2026-03-01"), 400)
    is_problem(admin.get("/api/v1/admin/touchpoints/timing?course=999999"), 400)
    is_problem(api_as("admin", scopes=("read",)).get("/api/v1/admin/touchpoints/timing"), 403)
    for role in ("learner", "trainer", "reviewer"):
        is_problem(api_as(role).get("/api/v1/admin/touchpoints/timing"), 403)


def test_the_timing_api_gives_the_organisations_rhythm_only_from_five_learners(app, api_as):
    import uuid

    from sqlalchemy import insert

    from lxp.events import LearningEvent
    from lxp.risk import services as risk

    admin = api_as("admin", scopes=ADMIN)
    assert admin.get("/api/v1/admin/touchpoints/timing").get_json()["organisation_rhythm"] is None
    now = utcnow().replace(microsecond=0)
    wednesday_19 = (now - timedelta(days=now.weekday() - 2, weeks=1)).replace(hour=19, minute=0, second=0)
    with committing(app):
        learners = add_learners(5)
        db.session.execute(insert(LearningEvent), [
            {"id": uuid.uuid4(), "actor_id": i, "verb": "completed", "object_type": "item", "object_id": "1:x",
             "result": None, "context": None, "occurred_at": wednesday_19 - timedelta(weeks=k), "recorded_at": now}
            for i in learners[: 4] for k in (1, 2)
        ])  # fmt: skip
        risk.refresh(now)
    rhythm = admin.get("/api/v1/admin/touchpoints/timing").get_json()["organisation_rhythm"]
    assert rhythm["learners"] == 4 and rhythm["busiest"] == [] and rhythm["hours"] is None
    with committing(app):
        db.session.execute(insert(LearningEvent), [
            {"id": uuid.uuid4(), "actor_id": learners[4], "verb": "completed", "object_type": "item", "object_id": "1:x",
             "result": None, "context": None, "occurred_at": wednesday_19 - timedelta(weeks=1), "recorded_at": now}
        ])  # fmt: skip
        risk.refresh(now + timedelta(days=7))
    rhythm = admin.get("/api/v1/admin/touchpoints/timing").get_json()["organisation_rhythm"]
    assert rhythm["learners"] == 5 and rhythm["busiest"] == [2 * 24 + 19] and rhythm["hours"][2 * 24 + 19] == 9
