"""One tick at a time: ``flask lxp nudges run-once`` for cron and operators, and a scheduler
that was down for hours catching up at once when it starts, without stale reminders."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from lxp import create_app, scheduler
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from lxp.paths.models import Journey
from tests.conftest import committing
from tests.integration.outbox_fixtures import add_learners, add_quiet_journeys, counts
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    register,
    schedule,
    start_path,
    trainer_fixture,
)


def _course_and_version(course_id: int) -> tuple[int, int]:
    from lxp.authoring.models import CourseVersion

    return course_id, db.session.scalar(select(CourseVersion.id).where(CourseVersion.course_id == course_id))


def test_run_once_plans_and_delivers_one_tick_and_says_what_it_did(app, published, mail_server):
    with committing(app):
        learners = add_learners(3)
        add_quiet_journeys(learners, *_course_and_version(published["course"]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lxp", "nudges", "run-once"])
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert "\n" not in line and re.match(r"planned -?\d+; sent 3, held 0, retrying 0, failed 0, not sent 0 \(", line), (
        line
    )
    assert len(mail_server.mailbox.messages) == 3  # the three chose e-mail for nudges
    again = runner.invoke(args=["lxp", "nudges", "run-once"])
    assert again.exit_code == 0 and "; sent 0, held 0, retrying 0, failed 0, not sent 0" in again.output
    with committing(app):
        assert counts()["in_app"] == counts()["in_app_distinct"] == counts()["sent"]


def test_run_once_that_cannot_work_says_why_in_one_line_and_fails(app, tmp_path):
    broken = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/lxp.db"})
    try:
        result = broken.test_cli_runner().invoke(args=["lxp", "nudges", "run-once"])
    finally:
        with broken.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    # Every `flask lxp` command first asks the database whether it is migrated: that is where it fails.
    assert result.output.startswith("Error: the database cannot be reached: ")
    assert result.output.count("\n") == 1


def test_jobs_coalesce_missed_runs_never_skip_late_ones_and_run_as_soon_as_the_scheduler_starts(app):
    jobs = scheduler.build(app)
    jobs.start(paused=True)
    try:
        for job in jobs.get_jobs():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time is None  # APScheduler's default (1 s) would skip a late run silently
            # At start (the slow lane a minute later), not an interval later.
            first_after = next(j.first_after for j in scheduler.JOBS if j.id == job.id)
            assert job.next_run_time <= datetime.now(UTC) + timedelta(seconds=first_after + 5)
        # The jobs take turns in lanes of one thread (all side by side at start held far more memory):
        # the delivery never waits for them, and what is due every minute never waits for a retraining.
        threads = {
            job.id: (job.executor, jobs._lookup_executor(job.executor)._pool._max_workers) for job in jobs.get_jobs()
        }
        assert threads.pop("nudges.deliver_outbox") == ("delivery", 1)
        assert threads.pop("risk.refresh") == threads.pop("privacy.apply_retention") == ("slow", 1)
        assert threads["live.expire_seat_offers"] == threads["nudges.plan_touchpoints"] == ("minute", 1)
        assert set(threads.values()) == {("minute", 1), ("slow", 1)}
    finally:
        jobs.shutdown(wait=False)


@pytest.mark.real_commits  # the scheduler's jobs run in its own threads and connections
def test_a_scheduler_down_for_hours_catches_up_at_start_and_drops_reminders_of_sessions_that_began(
    app, live_course, trainer, person, mailbox
):
    t0 = utcnow().replace(second=0, microsecond=0)
    starts_soon, starts_tomorrow = t0 + timedelta(hours=3), t0 + timedelta(hours=30)
    soon_id, tomorrow_id = (
        schedule(app, trainer, live_course["live"], when.replace(tzinfo=None), zone="UTC")[0]
        for when in (starts_soon, starts_tomorrow)
    )
    client, learner = person(email="lena@example.com", timezone="UTC")
    start_path(client, live_course)
    register(client, soon_id)
    register(client, tomorrow_id)
    mailbox.messages.clear()  # the confirmations of the seats
    with committing(app):
        db.session.merge(NotificationPreferences(user_id=learner, off=[], channels={}, quiet_start=None,
                                                 quiet_end=None, weekly_cap=5, muted_rules=[]))  # fmt: skip
        db.session.execute(select(Journey)).scalar_one().created_at = t0 - timedelta(days=9)
        db.session.commit()
    with time_machine.travel(t0 + timedelta(hours=2, minutes=10), tick=True):
        with committing(app):  # the plan job ran; then the host went down before the delivery job
            nudges.plan_touchpoints()
    with time_machine.travel(t0 + timedelta(hours=7), tick=True):  # back up, hours later
        running = scheduler.build(app)
        running.start()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not _caught_up(app, f"/sessions/{tomorrow_id}"):
                time.sleep(0.2)
        finally:
            running.shutdown(wait=True)
    with committing(app):
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
        began = {(r.rule, r.status, r.outcome) for r in rows if r.link == f"/sessions/{soon_id}"}
        assert began == {("session_tomorrow", "dropped", "expired"), ("session_soon", "dropped", "expired")}
        ahead = [(r.rule, r.status) for r in rows if r.link == f"/sessions/{tomorrow_id}"]
        assert ahead == [("session_tomorrow", "sent")]  # planned only now, and still worth sending
        assert [r.status for r in rows if r.rule == "inactive"] == ["sent"]
        assert counts()["in_app"] == counts()["in_app_distinct"] == counts()["sent"]
    # Reminders go by e-mail too (a step due, or the digest, may join them at some hours); the stale ones never went.
    sessions = [m["Subject"] for m in mailbox.to("lena@example.com") if "Role-play lab" in m["Subject"]]
    assert sessions == ["Tomorrow: Role-play lab"]


def _caught_up(app, link: str) -> bool:
    with committing(app):
        planned = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.link == link).limit(1))
        pending = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.due_at <= utcnow()).limit(1))  # fmt: skip
        db.session.remove()
        return planned is not None and pending is None
