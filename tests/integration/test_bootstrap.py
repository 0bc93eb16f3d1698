"""Starting lxp on an empty database: `flask lxp init`, several organisations, and every
`flask lxp` command and `/readyz` telling an operator when the database is not migrated."""

import click
import pytest
from sqlalchemy import func, select

from lxp.accounts.models import Organisation, User
from lxp.cli import lxp_cli
from lxp.extensions import db
from tests.conftest import committing, sign_in, submit
from tests.integration.fresh_install import migrate, newest_revisions, sign_in_link

MINI_PATH = "tests/data/mini-course.json"
NOT_MIGRATED = "Error: the database is not migrated: run flask db upgrade\n"


def _lxp(app, *args):
    return app.test_cli_runner().invoke(args=["lxp", *args])


def _init(app, slug="acme", name="Acme Learning", admin="boss@acme.example", *extra):
    return _lxp(app, "init", "--organisation", slug, "--name", name, "--admin", admin, *extra)


def _count(app, model):
    with committing(app):
        return db.session.scalar(select(func.count()).select_from(model))


FIRST_PASSWORD = "a long first password"


def _choose_password(client, link):
    return submit(client, link, {"password": FIRST_PASSWORD, "confirm": FIRST_PASSWORD})


def test_init_creates_the_organisation_and_an_admin_who_chooses_a_password_through_the_link(fresh_app):
    migrate(fresh_app)
    result = _init(fresh_app, "acme", "Acme Learning", "Boss@Acme.example", "--admin-name", "Bea Boss")
    assert result.exit_code == 0, result.output
    assert "Organisation 'acme' (Acme Learning) created." in result.output
    assert "works once, for 7 days" in result.output
    link = sign_in_link(result.output)
    with fresh_app.app_context():
        admin = db.session.execute(select(User)).scalar_one()
        assert admin.email == "boss@acme.example" and admin.display_name == "Bea Boss"
        assert admin.roles == {"admin", "reviewer"} and admin.password_hash is None
        assert admin.organisation.slug == "acme"

    client = fresh_app.test_client()
    assert "Bea Boss" in client.get(link).get_data(as_text=True)
    response = _choose_password(client, link)
    assert response.headers["Location"] == "/admin/users"
    assert "Bea Boss" in client.get("/admin/users").get_data(as_text=True)
    assert fresh_app.test_client().get(link).status_code == 404  # the link works once
    assert sign_in(fresh_app.test_client(), "boss@acme.example", FIRST_PASSWORD).status_code == 302


def test_init_refuses_in_one_line_when_an_organisation_exists_and_changes_nothing(fresh_app):
    migrate(fresh_app)
    assert _init(fresh_app).exit_code == 0
    again = _init(fresh_app, "acme", "Acme Again", "other@acme.example")
    assert again.exit_code != 0
    assert again.stderr == "Error: the organisation 'acme' already exists; nothing was changed\n"
    another = _init(fresh_app, "beta", "Beta", "boss@beta.example")
    assert another.exit_code != 0 and another.stderr.count("\n") == 1
    assert "add another with flask lxp organisation create" in another.stderr
    assert _count(fresh_app, Organisation) == 1 and _count(fresh_app, User) == 1


@pytest.mark.parametrize(
    ("slug", "admin", "message"),
    [
        ("Acme Corp!", "boss@acme.example", "Use 1 to 64 lower-case letters, digits and hyphens"),
        ("acme", "not an address", "Enter a valid e-mail address."),
    ],
)
def test_init_refuses_bad_input_with_a_clear_line_and_writes_nothing(fresh_app, slug, admin, message):
    migrate(fresh_app)
    result = _init(fresh_app, slug, "Acme", admin)
    assert result.exit_code != 0 and message in result.stderr and "Traceback" not in result.output
    assert _count(fresh_app, Organisation) == 0 and _count(fresh_app, User) == 0


def test_organisations_on_one_installation_are_listed_and_kept_apart(fresh_app):
    migrate(fresh_app)
    assert _lxp(fresh_app, "organisation", "list").output == "no organisation yet: run flask lxp init\n"
    acme_link = sign_in_link(_init(fresh_app).output)
    created = _lxp(fresh_app, "organisation", "create", "--slug", "beta", "--name", "Beta Bank",
                   "--admin", "boss@beta.example")  # fmt: skip
    assert created.exit_code == 0, created.output
    beta_link = sign_in_link(created.output)
    taken = _lxp(fresh_app, "organisation", "create", "--slug", "gamma", "--name", "Gamma",
                 "--admin", "boss@beta.example")  # fmt: skip
    assert taken.exit_code != 0 and "Someone with this e-mail already has an account." in taken.stderr

    listing = _lxp(fresh_app, "organisation", "list").output.splitlines()
    assert len(listing) == 2
    assert listing[0].startswith("acme ") and "Acme Learning" in listing[0] and "boss@acme.example" in listing[0]
    assert listing[1].startswith("beta ") and "Beta Bank" in listing[1] and "boss@beta.example" in listing[1]

    several = _lxp(fresh_app, "course", "import", MINI_PATH)
    assert several.exit_code != 0
    assert "several organisations exist (acme, beta); choose one with --organisation SLUG" in several.stderr
    imported = _lxp(fresh_app, "course", "import", MINI_PATH, "--organisation", "beta")
    assert imported.exit_code == 0, imported.output

    acme, beta = fresh_app.test_client(), fresh_app.test_client()
    _choose_password(acme, acme_link)
    _choose_password(beta, beta_link)
    assert "Listening so customers feel heard" in beta.get("/admin/courses").get_data(as_text=True)
    assert "Listening so customers feel heard" not in acme.get("/admin/courses").get_data(as_text=True)
    people = acme.get("/admin/users").get_data(as_text=True)
    assert "boss@acme.example" in people and "boss@beta.example" not in people


def test_course_import_on_an_empty_database_says_to_run_init(fresh_app):
    migrate(fresh_app)
    result = _lxp(fresh_app, "course", "import", MINI_PATH)
    assert result.exit_code != 0
    assert result.stderr == "Error: no organisation yet: run flask lxp init\n"


def _leaf_commands(group, path=()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


def test_every_lxp_command_on_an_unmigrated_database_says_run_flask_db_upgrade_in_one_line(fresh_app):
    # The doctor reports it among others; a backup is taken before upgrading and says so itself
    # (test_backup.py); a restore goes into an empty installation.
    commands = [c for c in _leaf_commands(lxp_cli) if c not in {("check",), ("backup",), ("restore",)}]
    assert {("init",), ("organisation", "create"), ("course", "import"), ("scheduler",)} <= set(commands)
    for command in commands:
        result = _lxp(fresh_app, *command)
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr == NOT_MIGRATED, command
        assert "Traceback" not in result.output
    helped = _lxp(fresh_app, "init", "--help")  # reading the help needs no database
    assert helped.exit_code == 0 and "--organisation" in helped.output

    migrate(fresh_app)  # `flask db` itself keeps working
    assert _lxp(fresh_app, "organisation", "list").exit_code == 0


def test_a_database_one_migration_behind_is_refused_too(fresh_app):
    head, previous = newest_revisions()
    migrate(fresh_app, previous)
    result = _lxp(fresh_app, "organisation", "list")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert (
        f"not migrated to the newest revision (it is at {previous}, lxp needs {head}): run flask db upgrade"
        in result.stderr
    )


def test_readyz_answers_503_until_the_database_is_migrated(fresh_app):
    client = fresh_app.test_client()
    assert client.get("/healthz").status_code == 200  # the process is up
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.get_json() == {"status": "not migrated", "detail": "the database is not at the newest migration"}
    migrate(fresh_app, "0016")
    assert client.get("/readyz").status_code == 503
    migrate(fresh_app)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok"}


def test_readyz_answers_503_and_healthz_200_when_the_database_cannot_be_reached(app, tmp_path):
    from lxp import create_app

    broken = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/lxp.db"})
    try:
        response = broken.test_client().get("/readyz")
        assert response.status_code == 503 and response.get_json()["status"] == "database unavailable"
        # The process itself is up: a liveness probe must not restart it for the database.
        assert broken.test_client().get("/healthz").get_json() == {"status": "ok"}
        result = broken.test_cli_runner().invoke(args=["lxp", "organisation", "list"])
        assert result.exit_code == 1 and result.stderr.startswith("Error: the database cannot be reached: ")
        assert result.stderr.count("\n") == 1
    finally:
        with broken.app_context():
            db.engine.dispose()


def test_the_test_database_is_ready(client):
    assert client.get("/readyz").status_code == 200
