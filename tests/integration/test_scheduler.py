"""The scheduler runs the features' jobs: once from the CLI, or inline in the web process."""

from datetime import time, timedelta

import pytest
import time_machine

from lxp import create_app, scheduler
from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.live import scheduling
from tests.conftest import committing
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    register,
    schedule,
    soon,
    trainer_fixture,
)


def test_scheduler_once_tells_registrants_of_a_change_after_the_edits_settle(
    app, live_course, trainer, person, mailbox
):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(8))
    client, _learner = person(email="lena@example.com")
    register(client, session_id)
    mailbox.messages.clear()  # the confirmation of the seat
    with committing(app):
        tess = db.session.get(User, trainer)
        scheduling.update_session(tess, session_id, scheduling.SessionDetails(
            dates=(soon(8).date(),), start_time=time(19, 0), timezone="Europe/Berlin", duration_minutes=60,
            place="Room 7", capacity=10))  # fmt: skip
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lxp", "scheduler", "--once"])
    assert result.exit_code == 0 and "ran live.send_session_updates" in result.output
    assert mailbox.to("lena@example.com") == []  # the trainer may still be editing
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=False):
        assert runner.invoke(args=["lxp", "scheduler", "--once"]).exit_code == 0
    [mail] = mailbox.to("lena@example.com")
    assert mail["Subject"] == "Changed: Role-play lab"


def test_the_scheduler_app_mails_registrants_the_change_in_their_language_with_a_link(
    app, live_course, trainer, person, mailbox
):
    """``create_app(kind="scheduler")`` (the scheduler process) has no pages or API, yet its jobs
    still render mails from templates with translations and link to the pages."""
    (session_id,) = schedule(app, trainer, live_course["live"], soon(8))
    client, _learner = person(email="lena@example.com")
    register(client, session_id)
    mailbox.messages.clear()  # the confirmation of the seat
    with committing(app):
        tess = db.session.get(User, trainer)
        scheduling.update_session(tess, session_id, scheduling.SessionDetails(
            dates=(soon(8).date(),), start_time=time(19, 0), timezone="Europe/Berlin", duration_minutes=60,
            place="Room 8", capacity=10))  # fmt: skip
    scheduler_app = create_app({**app.config}, migrations=False, kind="scheduler")
    assert "api.openapi_json" not in scheduler_app.view_functions and "/api/openapi.json" not in {
        rule.rule for rule in scheduler_app.url_map.iter_rules()
    }
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=False):
        result = scheduler_app.test_cli_runner().invoke(args=["lxp", "scheduler", "--once"])
    assert result.exit_code == 0 and "ran live.send_session_updates" in result.output, result.output
    [mail] = mailbox.to("lena@example.com")
    assert mail["Subject"] == "Changed: Role-play lab"
    body = mail.get_body(("plain",)).get_content()
    assert "Room 8" in body and f"http://lxp.test/sessions/{session_id}" in body


@pytest.mark.real_commits  # the inline scheduler runs jobs in its own threads and connections
def test_inline_scheduler_starts_with_the_first_request_and_never_in_cli_commands(app, tmp_path):
    inline = create_app({**app.config, "SCHEDULER": "inline"})
    try:
        assert inline.extensions.get("lxp_scheduler") is None  # building the app (the CLI) starts nothing
        inline.test_client().get("/healthz")
        running = inline.extensions["lxp_scheduler"]
        assert running.running
        assert {job.id for job in running.get_jobs()} == {job.id for job in scheduler.JOBS}
        inline.test_client().get("/healthz")
        assert inline.extensions["lxp_scheduler"] is running  # once per process
    finally:
        if inline.extensions.get("lxp_scheduler") is not None:
            inline.extensions["lxp_scheduler"].shutdown(wait=True)
        with inline.app_context():  # its own engine: close its connections (PostgreSQL warns otherwise)
            db.session.remove()
            db.engine.dispose()
    assert app.extensions.get("lxp_scheduler") is None  # the default is off
