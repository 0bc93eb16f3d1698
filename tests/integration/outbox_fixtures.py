"""Shared set-up for the outbox delivery tests (helpers only, no tests): an SMTP server of the
test's own that can be stopped and started again, learners in bulk with messages due, and
delivery runs in real OS processes pointed at the test database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

from lxp.accounts.models import Organisation, User, UserRole
from lxp.channels.in_app import InAppMessage
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from tests.conftest import Mailbox, _free_port

ROOT = Path(__file__).resolve().parents[2]
NEEDS_POSTGRESQL = "two delivery processes writing at once need PostgreSQL's row locks (SKIP LOCKED); " \
                   "set LXP_TEST_DATABASE_URL to run it"  # fmt: skip


class SlowMailbox(Mailbox):
    """A mailbox that takes ``delay`` seconds per mail, like a busy mail server."""

    def __init__(self, delay: float = 0.0):
        super().__init__()
        self.delay = delay
        self.unknown: set[str] = set()  # addresses refused as "no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


class MailServer:
    """A real SMTP server (aiosmtpd) on a fixed port that can go down and come back."""

    def __init__(self, delay: float = 0.0):
        self.port = _free_port()
        self.mailbox = SlowMailbox(delay)
        self._controller: Controller | None = None

    def start(self) -> None:
        # A stopped controller cannot start again (its event loop is closed): make a new one.
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mail_server(app):
    """A running ``MailServer`` that the test app sends through for the test's duration."""
    server = MailServer()
    server.start()
    saved = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = server.port
    yield server
    app.config["SMTP_PORT"] = saved
    server.stop()


def add_learners(count: int, *, email_every: int = 1, prefix: str = "learner") -> list[int]:
    """``count`` learners in one organisation, without quiet hours (the tests run at any hour);
    every ``email_every``-th chose e-mail for nudges. Returns their ids (bulk inserts)."""
    organisation = db.session.scalar(select(Organisation.id).where(Organisation.slug == "acme"))
    if organisation is None:
        organisation = db.session.execute(insert(Organisation).values(slug="acme", name="Acme Learning")
                                          .returning(Organisation.id)).scalar_one()  # fmt: skip
    db.session.execute(insert(User), [
        {"organisation_id": organisation, "email": f"{prefix}{n}@example.com", "display_name": f"Learner {n}",
         "timezone": "UTC", "active": True, "auth_version": 1} for n in range(count)
    ])  # fmt: skip
    ids = db.session.execute(
        select(User.id).where(User.email.like(f"{prefix}%@example.com")).order_by(User.id)).scalars().all()  # fmt: skip
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    db.session.execute(insert(NotificationPreferences), [
        {"user_id": i, "off": [], "channels": {"nudge": ["in_app", "email"]} if n % email_every == 0 else {},
         "quiet_start": None, "quiet_end": None, "weekly_cap": 5, "muted_rules": [], "auto_paused_rules": []}
        for n, i in enumerate(ids)
    ])  # fmt: skip
    db.session.commit()
    return list(ids)


def add_quiet_journeys(learner_ids: list[int], course_id: int, version_id: int, days: int = 9) -> None:
    """An active path on the course for each learner, opened ``days`` ago and untouched since."""
    from lxp.paths.models import Journey, JourneyCourse

    created = utcnow() - timedelta(days=days)
    db.session.execute(insert(Journey), [
        {"learner_id": i, "status": "active", "start_date": date.today(), "weekly_minutes": 60,
         "modalities": ["self_paced"], "choices": {}, "created_at": created} for i in learner_ids
    ])  # fmt: skip
    journeys = db.session.execute(select(Journey.id)).scalars().all()
    db.session.execute(insert(JourneyCourse), [
        {"journey_id": j, "course_id": course_id, "version_id": version_id} for j in journeys
    ])  # fmt: skip
    db.session.commit()


def add_due_messages(learner_ids: list[int], due_at: datetime, **fields) -> None:
    """One planned nudge per learner, due at ``due_at`` (as planning would have left it)."""
    db.session.execute(insert(OutboxMessage), [
        {"user_id": i, "rule": "inactive", "occurrence": f"silence-since:test-{i}", "category": "nudge",
         "asked_for": False, "subject": "Five minutes for your path?", "body": "Pick up where you left off.",
         "link": "/today", "why": "You have had no learning activity on your path for 9 days.", "due_at": due_at,
         "expires_at": due_at + timedelta(hours=72), "status": "pending", "attempts": 0, **fields}
        for i in learner_ids
    ])  # fmt: skip
    db.session.commit()


def counts() -> dict[str, int]:
    """Outbox rows per status, and inbox copies of touchpoints (all and distinct)."""
    found = dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    found["in_app"] = db.session.scalar(select(func.count()).select_from(InAppMessage)
                                        .where(InAppMessage.key.like("nudge:%")))  # fmt: skip
    found["in_app_distinct"] = db.session.scalar(
        select(func.count()).select_from(select(InAppMessage.user_id, InAppMessage.key).distinct().subquery()))  # fmt: skip
    return found


# Runs the real CLI in a fresh interpreter on the test's clock (LXP_TEST_CLOCK may have moved it).
_WORKER = (
    "import os, sys, datetime, time_machine\n"
    "time_machine.travel(datetime.datetime.fromisoformat(os.environ['LXP_WORKER_CLOCK']), tick=True).start()\n"
    "from flask.cli import main\n"
    "sys.argv = ['flask', '--app', 'lxp', 'lxp', 'nudges', 'run-once']\n"
    "main()\n"
)


def start_worker(app, smtp_port: int, later: timedelta = timedelta(0), **settings: str) -> subprocess.Popen:
    """``flask lxp nudges run-once`` in its own OS process, on the test database and SMTP server,
    its clock ``later`` than the test's."""
    env = {**os.environ, "LXP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LXP_SECRET_KEY": app.config["SECRET_KEY"], "LXP_SMTP_HOST": "127.0.0.1", "LXP_SMTP_PORT": str(smtp_port),
           "LXP_BASE_URL": app.config["BASE_URL"], "LXP_ENV": "testing",
           "LXP_WORKER_CLOCK": (utcnow() + later).isoformat(), **settings}  # fmt: skip
    env.pop("LXP_TEST_CLOCK", None)
    # Files, not pipes: a process blocked on a full pipe nobody reads would hold its locks forever.
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed by the caller)
    worker = subprocess.Popen([sys.executable, "-c", _WORKER], cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
    worker.output_files = (out, err)
    return worker


def kill(worker: subprocess.Popen) -> None:
    """SIGKILL: the process gets no chance to tidy up, as when a host dies."""
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    for file in worker.output_files:
        file.close()


def finish(worker: subprocess.Popen, timeout: float = 90) -> str:
    """Wait for a worker; its one line of output. Fails the test with its error output if it
    failed or hung (then it is killed, so it holds no locks on the test database)."""
    out, err = worker.output_files
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    err.seek(0)
    out.seek(0)
    errors, output = err.read(), out.read()
    out.close()
    err.close()
    assert worker.returncode == 0, f"delivery process failed ({worker.returncode}): {errors[-3000:]}"
    return output.strip()
