"""One unit of work per request, job and command (``lxp/core/unit_of_work.py``).

Probe views on a second app over the same database go through the real request handling:
what a view flushed is kept only when it answered a write with a status below 400 and did not
show a refusal; a GET never keeps anything, and under test fails loudly when it tries.
"""

from __future__ import annotations

import logging

import click
import pytest
from flask import Blueprint, redirect, render_template_string
from flask.cli import AppGroup
from sqlalchemy import select, text

from lxp import create_app, scheduler
from lxp.accounts.models import Organisation
from lxp.core import unit_of_work
from lxp.core.auth import public
from lxp.core.errors import Invalid, ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.extensions import csrf, db
from tests.conftest import committing

probe = Blueprint("uow_probe", __name__)


def _add(slug: str) -> None:
    db.session.add(Organisation(slug=slug, name=slug))
    db.session.flush()  # as a service does when it needs an id


def _refuse():
    raise Invalid("Not like this.")


@probe.post("/probe/kept")
@public
def kept():
    _add("kept")
    return redirect("/")


@probe.post("/probe/flash-refusal")
@public
def flash_refusal():
    _add("flash-refusal")
    try:
        _refuse()
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    return redirect("/")


@probe.post("/probe/form-refusal")
@public
def form_refusal():
    _add("form-refusal")
    form = ConfirmForm(meta={"csrf": False})
    try:
        _refuse()
    except ServiceError as error:
        show_form_error(form, error)
    return render_template_string("{{ form.form_errors[0] }}", form=form)  # 200, the form again


@probe.post("/probe/client-error")
@public
def client_error():
    _add("client-error")
    return "no", 422


@probe.post("/probe/crash")
@public
def crash():
    _add("crash")
    raise RuntimeError("a defect")


@probe.get("/probe/reads-and-writes")
@public
def reads_and_writes():
    _add("written-by-a-get")
    return "shown"


@probe.get("/probe/reads-in-a-boundary")
@public
def reads_in_a_boundary():
    with unit_of_work.boundary("probe: a GET's own transaction"):
        _add("boundary-in-a-get")
    return "shown"


@probe.get("/probe/changes-without-flushing")
@public
def changes_without_flushing():
    organisation = db.session.scalars(select(Organisation).where(Organisation.slug == "reader")).one()
    organisation.name = "changed by a GET"  # never flushed: nothing asks the database again
    return "shown"


@probe.get("/probe/writes-raw-sql")
@public
def writes_raw_sql():
    db.session.execute(text("UPDATE organisations SET name = 'raw write by a GET' WHERE slug = 'reader'"))
    return "shown"


@probe.get("/probe/side-effect")
@public
def side_effect():
    unit_of_work.after_commit(db.session(), lambda: told.append("told"))
    return "shown"


told: list[str] = []


@probe.get("/probe/prepared")
@public
def prepared():
    """How many statements PostgreSQL holds prepared for this connection, after a read."""
    db.session.scalars(select(Organisation.slug)).all()
    return str(db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


commands = AppGroup("probe")


@commands.command("ok")
def command_ok():
    _add("command-ok")


@commands.command("fails")
def command_fails():
    _add("command-fails")
    raise click.ClickException("refused")


@pytest.fixture(scope="module")
def probe_app(app):
    """A second app on the test database, with the probe views and commands."""
    keep = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SMTP_HOST", "SMTP_PORT", "BASE_URL", "RATELIMIT_STORAGE_URI")
    second = create_app({**{key: app.config[key] for key in keep}, "TESTING": True, "LXP_ENV": "testing"})
    csrf.exempt(probe)
    second.register_blueprint(probe)
    unit_of_work.commit_per_command(commands)
    second.cli.add_command(commands)
    return second


def _slugs(app) -> set[str]:
    with committing(app):
        return set(db.session.scalars(select(Organisation.slug)))


def test_a_write_that_succeeds_is_committed(probe_app, clean_db):
    assert probe_app.test_client().post("/probe/kept").status_code == 302
    assert "kept" in _slugs(probe_app)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/probe/flash-refusal", 302), ("/probe/form-refusal", 200), ("/probe/client-error", 422), ("/probe/crash", 500)],
)
def test_a_refusal_or_failure_after_a_flush_keeps_nothing(probe_app, clean_db, path, status, caplog):
    with caplog.at_level(logging.CRITICAL, logger="lxp"):  # the crash is logged; not the point here
        response = probe_app.test_client().post(path)
    assert response.status_code == status
    assert _slugs(probe_app) == set(), "a refused or failed request kept what it flushed"


def test_the_refusal_is_shown_while_nothing_is_kept(probe_app, clean_db):
    client = probe_app.test_client()
    assert client.post("/probe/form-refusal").get_data(as_text=True) == "Not like this."
    client.post("/probe/flash-refusal")
    with client.session_transaction() as session:
        assert ("error", "Not like this.") in session["_flashes"]
    assert _slugs(probe_app) == set()


def test_a_get_that_writes_fails_loudly_and_keeps_nothing(probe_app, clean_db, caplog):
    with pytest.raises(unit_of_work.UnitOfWorkViolation, match="uow_probe.reads_and_writes"):
        probe_app.test_client().get("/probe/reads-and-writes")
    assert "written-by-a-get" not in _slugs(probe_app)
    assert "uow_probe.reads_and_writes" in caplog.text


def test_a_get_may_use_a_named_boundary(probe_app, clean_db):
    assert probe_app.test_client().get("/probe/reads-in-a-boundary").status_code == 200
    assert "boundary-in-a-get" in _slugs(probe_app)


def test_without_the_guard_a_writing_get_is_rolled_back_and_logged(probe_app, clean_db, caplog):
    probe_app.config["UNIT_OF_WORK_GUARD"] = False
    try:
        assert probe_app.test_client().get("/probe/reads-and-writes").status_code == 200
    finally:
        probe_app.config["UNIT_OF_WORK_GUARD"] = True
    assert "written-by-a-get" not in _slugs(probe_app)
    assert "reads_and_writes" in caplog.text


def _names(app) -> set[str]:
    with committing(app):
        return set(db.session.scalars(select(Organisation.name)))


@pytest.mark.parametrize("path", ["/probe/changes-without-flushing", "/probe/writes-raw-sql"])
def test_a_get_that_changes_something_the_guard_does_not_see_keeps_nothing(probe_app, clean_db, path):
    with committing(probe_app):
        db.session.add(Organisation(slug="reader", name="Reader"))
    assert probe_app.test_client().get(path).status_code == 200
    assert _names(probe_app) == {"Reader"}


def test_a_get_never_runs_a_side_effect(probe_app, clean_db):
    told.clear()
    assert probe_app.test_client().get("/probe/side-effect").status_code == 200
    assert told == []


def test_pages_that_only_read_keep_postgresql_s_prepared_statements(probe_app, clean_db):
    """psycopg prepares a statement on its sixth run on a connection and forgets them all on a
    ROLLBACK: ending reads with one would have PostgreSQL plan every page's statements anew."""
    if not probe_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's")
    client = probe_app.test_client()
    held = [int(client.get("/probe/prepared").get_data(as_text=True)) for _ in range(8)]
    assert held[0] == 0 and held[-1] >= 1, held


def test_a_commit_in_application_code_names_its_caller(probe_app, clean_db):
    # Code that lives in lxp/ (as far as the guard can tell: its module name) and commits itself.
    namespace = {"__name__": "lxp.pretend.services", "db": db}
    exec("def save():\n    db.session.commit()\n", namespace)  # noqa: S102
    with probe_app.app_context():
        _add("committed-by-a-service")
        with pytest.raises(unit_of_work.UnitOfWorkViolation, match=r"lxp\.pretend\.services .* in save"):
            namespace["save"]()
        db.session.rollback()
    assert _slugs(probe_app) == set()


def test_tests_may_commit_their_own_set_up(probe_app, clean_db):
    with probe_app.app_context():
        _add("set-up")
        db.session.commit()
    assert "set-up" in _slugs(probe_app)


def _job_that_writes():
    _add("job-ok")


def _job_that_fails():
    _add("job-fails")
    raise RuntimeError("the job broke")


def test_a_job_commits_when_it_returns_and_rolls_back_when_it_fails(probe_app, clean_db, caplog):
    scheduler.run_job(probe_app, f"{__name__}:_job_that_writes")
    scheduler.run_job(probe_app, f"{__name__}:_job_that_fails")
    assert _slugs(probe_app) == {"job-ok"}
    assert f"job {__name__}:_job_that_fails" in caplog.text  # the boundary's name, in the log


def test_a_command_commits_once_when_it_succeeds_and_not_when_it_fails(probe_app, clean_db):
    runner = probe_app.test_cli_runner()
    assert runner.invoke(args=["probe", "ok"]).exit_code == 0
    assert runner.invoke(args=["probe", "fails"]).exit_code == 1
    assert _slugs(probe_app) == {"command-ok"}


def test_preparing_can_be_turned_off_for_a_pooler_that_cannot_keep_it(app):
    """``LXP_DB_PREPARED_STATEMENTS=false`` (PgBouncer in transaction mode before 1.21)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's")
    keep = ("SECRET_KEY", "SMTP_HOST", "SMTP_PORT", "BASE_URL", "RATELIMIT_STORAGE_URI")
    settings = {**{key: app.config[key] for key in keep}, "SQLALCHEMY_DATABASE_URI": url, "TESTING": True}
    for prepared, threshold in ((True, 5), (False, None)):
        other = create_app({**settings, "DB_PREPARED_STATEMENTS": prepared})
        with other.app_context():
            connection = db.engine.raw_connection()
            try:
                assert connection.driver_connection.prepare_threshold == threshold
            finally:
                connection.close()
                db.engine.dispose()
