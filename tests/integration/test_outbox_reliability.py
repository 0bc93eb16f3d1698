"""Reliability of the touchpoints in real OS processes (``flask lxp nudges run-once``) on the
test database: two schedulers at once plan and send every message exactly once (PostgreSQL
only); a delivery process killed mid-batch loses nothing and the inbox still shows each
message once (both databases). The mail server down for a while is in test_outbox_delivery."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from lxp.authoring.models import CourseVersion
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage
from tests.conftest import committing
from tests.integration.outbox_fixtures import (
    NEEDS_POSTGRESQL,
    MailServer,
    add_due_messages,
    add_learners,
    add_quiet_journeys,
    counts,
    finish,
    kill,
    start_worker,
)

# Worker processes read and write the test database through their own connections.
pytestmark = pytest.mark.real_commits

LEARNERS = 2000
KILLED = 250  # messages of the run that is killed
KILL_AFTER = 75  # mails: in its first claimed batch (100), with room for the mails sent while it is killed


@pytest.fixture
def slow_mail_server():
    """A real SMTP server taking 10 ms a mail, so a delivery run lasts long enough to be killed."""
    server = MailServer(delay=0.01)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgresql_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip(NEEDS_POSTGRESQL)


def test_two_schedulers_at_once_plan_and_deliver_every_message_exactly_once(
    app, published, postgresql_only, slow_mail_server
):
    slow_mail_server.mailbox.delay = 0
    with committing(app):
        learners = add_learners(LEARNERS, email_every=10)
        version = db.session.scalar(select(CourseVersion.id).where(CourseVersion.course_id == published["course"]))
        add_quiet_journeys(learners, published["course"], version)
    workers = [start_worker(app, slow_mail_server.port) for _ in range(2)]
    lines = [finish(worker) for worker in workers]
    with committing(app):
        found = counts()
        rows = db.session.execute(select(OutboxMessage.user_id, OutboxMessage.rule, OutboxMessage.status,
                                         OutboxMessage.channel)).all()  # fmt: skip
        still_due = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.due_at <= utcnow()).limit(1))  # fmt: skip
    assert Counter(rule for _u, rule, _s, _c in rows)["inactive"] == LEARNERS, lines  # each planned once
    assert still_due is None and found.get("sending", 0) == 0, found  # none left behind
    assert found["sent"] >= LEARNERS and found["in_app"] == found["in_app_distinct"] == found["sent"], found
    mails = Counter(m["X-Envelope-To"] for m in slow_mail_server.mailbox.messages)
    by_email = sum(1 for *_rest, status, channel in rows if status == "sent" and channel == "email")
    assert by_email == LEARNERS // 10 and sum(mails.values()) == by_email, (by_email, sum(mails.values()))
    assert max(mails.values()) == 1  # nobody got a mail twice
    both = [line for line in lines if "; sent 0," not in line]
    assert len(both) == 2, f"one process did all the work, so this proved nothing: {lines}"


def test_a_delivery_process_killed_mid_batch_loses_nothing_and_the_inbox_shows_each_message_once(app, slow_mail_server):
    with committing(app):
        learners = add_learners(KILLED)
        add_due_messages(learners, utcnow())
    worker = start_worker(app, slow_mail_server.port, LXP_OUTBOX_CLAIM_SECONDS="2")
    deadline = time.monotonic() + 60
    while len(slow_mail_server.mailbox.messages) < KILL_AFTER and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.05)
    assert worker.poll() is None, "the delivery run ended before it could be killed"
    kill(worker)
    with committing(app):
        killed = counts()
    assert killed.get("sending", 0) > 0 and 0 < killed.get("sent", 0) < KILLED, killed  # it died mid-batch
    slow_mail_server.mailbox.delay = 0
    finish(start_worker(app, slow_mail_server.port, later=timedelta(seconds=3)))  # the dead run's claim (2 s) ran out
    with committing(app):
        after = counts()
    assert after.get("sent") == KILLED and after.get("sending", 0) == 0, after
    assert after["in_app"] == after["in_app_distinct"] == KILLED  # shown once in the inbox
    mails = Counter(m["X-Envelope-To"] for m in slow_mail_server.mailbox.messages)
    assert set(mails) == {f"learner{n}@example.com" for n in range(KILLED)}  # every one at least once
    assert sum(mails.values()) - KILLED <= 1  # at most the one mail in flight when it was killed twice
