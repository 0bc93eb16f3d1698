"""A second app on an empty database of its own: what an operator has before `flask db upgrade`.

On SQLite it is a new file; when the suite runs on PostgreSQL (``LXP_TEST_DATABASE_URL``), a new
database on the same server, dropped afterwards. Its commits are real and stay in it.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from lxp import create_app
from lxp.extensions import db

_numbers = itertools.count(1)


def _postgres_admin(url) -> str:
    return url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


@pytest.fixture
def empty_database_url(tmp_path):
    """The URL of an empty database (no tables at all)."""
    test_url = os.environ.get("LXP_TEST_DATABASE_URL")
    if not test_url or not test_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = make_url(test_url)
    name = f"{url.database}_fresh_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(_postgres_admin(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_postgres_admin(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_app(tmp_path, empty_database_url, smtp_server):
    """An app like the suite's own (real SMTP, links under http://lxp.test) on an empty database."""
    fresh = create_app({
        "TESTING": True, "LXP_ENV": "testing", "SECRET_KEY": "fresh-install-secret-key-for-tests",
        "INSTANCE_PATH": str(tmp_path), "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SQLALCHEMY_DATABASE_URI": empty_database_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port,
        "BASE_URL": "http://lxp.test", "RATELIMIT_STORAGE_URI": "memory://",
    })  # fmt: skip
    yield fresh
    with fresh.app_context():  # its own engine: close its connections (PostgreSQL waits on them otherwise)
        db.session.remove()
        db.engine.dispose()


def migrate(app, *revision: str) -> None:
    """``flask db upgrade [REVISION]`` through the real CLI."""
    result = app.test_cli_runner().invoke(args=["db", "upgrade", *revision])
    assert result.exit_code == 0, result.output


def sign_in_link(output: str) -> str:
    """The path of the sign-in link that `flask lxp init` or `organisation create` printed."""
    match = re.search(r"http://lxp\.test(/invitation/\S+)", output)
    assert match, f"no sign-in link in: {output}"
    return match.group(1)


def newest_revisions() -> tuple[str, str]:
    """The newest migration's revision and the one before it, read from ``migrations/versions``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    head = script.get_revision(script.get_current_head())
    return head.revision, head.down_revision
