"""Backups: `flask lxp backup` / `restore` on SQLite, and the PostgreSQL procedure
(`deploy/backup-postgresql.sh` and `restore-postgresql.sh`, pg_dump -Fc plus the uploads)
into a second real database. Either way a person of the original signs in on the copy and
finds their file."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from lxp import create_app
from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.extensions import db
from lxp.files import services as files
from lxp.workplace.services import EVIDENCE
from tests.conftest import sign_in, submit
from tests.integration.fresh_install import migrate, sign_in_link

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "harbour cranes 2027"
PHOTO = b"%PDF-1.4\n% lxp backup test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _instance(folder: Path, smtp_server, database_url: str | None = None):
    return create_app({
        "TESTING": True, "LXP_ENV": "testing", "SECRET_KEY": "backup-test-secret-key-0123456789",
        "INSTANCE_PATH": str(folder), "UPLOAD_DIR": str(folder / "uploads"),
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder / 'lxp.db'}",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "BASE_URL": "http://lxp.test",
        "RATELIMIT_STORAGE_URI": "memory://",
    })  # fmt: skip


def _close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _original(app) -> str:
    """An organisation with its admin (who chose a password) and one file of theirs; the file's token."""
    migrate(app)
    init = app.test_cli_runner().invoke(args=["lxp", "init", "--organisation", "hansa", "--name", "Hansa",
                                              "--admin", "anna@hansa.example"])  # fmt: skip
    assert init.exit_code == 0, init.output
    submit(app.test_client(), sign_in_link(init.output), {"password": PASSWORD, "confirm": PASSWORD})
    with app.app_context():
        admin = db.session.execute(db.select(User)).scalar_one()
        stored = files.store(admin, EVIDENCE, None, files.check_upload(EVIDENCE, "manual.pdf", io.BytesIO(PHOTO)))
        token = stored.token
        unit_of_work.commit()
    return token


def _signs_in_and_finds_the_file(app, token: str) -> None:
    client = app.test_client()
    response = sign_in(client, "anna@hansa.example", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    document = client.get(f"/files/{token}")
    assert document.status_code == 200 and document.get_data() == PHOTO
    document.close()


@pytest.fixture
def original(tmp_path, smtp_server):
    app = _instance(tmp_path / "original", smtp_server)
    token = _original(app)
    yield app, token
    _close(app)


def test_a_backup_restored_into_a_new_instance_lets_the_admin_sign_in_and_find_their_file(
    original, tmp_path, smtp_server
):
    app, token = original
    archive = tmp_path / "backups" / "lxp.tar.gz"
    made = app.test_cli_runner().invoke(args=["lxp", "backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "backed up 1 people and 1 files" in made.output
    assert archive.stat().st_mode & 0o077 == 0  # it holds password hashes
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())
    assert manifest["people"] == 1 and manifest["files"] == 1 and manifest["revision"]

    copy = _instance(tmp_path / "copy", smtp_server)
    try:
        restored = copy.test_cli_runner().invoke(args=["lxp", "restore", str(archive)])
        assert restored.exit_code == 0, restored.output
        assert "restored 1 people and 1 files" in restored.output and "flask db upgrade" not in restored.output
        _signs_in_and_finds_the_file(copy, token)
        assert copy.test_client().get("/readyz").status_code == 200

        again = copy.test_cli_runner().invoke(args=["lxp", "restore", str(archive)])
        assert again.exit_code == 1 and "holds 1 people" in again.output and "--force" in again.output
        forced = copy.test_cli_runner().invoke(args=["lxp", "restore", "--force", str(archive)])
        assert forced.exit_code == 0, forced.output
        _signs_in_and_finds_the_file(copy, token)
    finally:
        _close(copy)


def _rewritten(archive: Path, target: Path, **manifest_changes) -> Path:
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **manifest_changes}).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_restore_refuses_a_backup_from_a_newer_lxp_or_no_backup_at_all_and_changes_nothing(
    original, tmp_path, smtp_server
):
    app, _ = original
    archive = tmp_path / "lxp.tar.gz"
    assert app.test_cli_runner().invoke(args=["lxp", "backup", str(archive)]).exit_code == 0
    newer = _rewritten(archive, tmp_path / "newer.tar.gz", revision=["0999"])
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar at all")
    copy = _instance(tmp_path / "copy", smtp_server)
    try:
        refused = copy.test_cli_runner().invoke(args=["lxp", "restore", "--force", str(newer)])
        assert refused.exit_code == 1 and "0999, which this version of lxp does not know" in refused.output
        unreadable = copy.test_cli_runner().invoke(args=["lxp", "restore", str(junk)])
        assert unreadable.exit_code == 1 and "cannot restore" in unreadable.output
        assert not (tmp_path / "copy" / "lxp.db").exists() or (tmp_path / "copy" / "lxp.db").stat().st_size == 0
        assert not any((tmp_path / "copy" / "uploads").glob("*/*"))
    finally:
        _close(copy)


def test_a_backup_taken_while_lxp_writes_is_consistent(original, tmp_path):
    app, _ = original
    database = tmp_path / "original" / "lxp.db"
    stop = threading.Event()
    written = []

    def keep_writing():
        connection = sqlite3.connect(database, timeout=30, isolation_level=None)
        while not stop.is_set():
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO learning_events (id, actor_id, verb, object_type, object_id, occurred_at, recorded_at) "
                "VALUES (?, 1, 'experienced', 'item', ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                (uuid.uuid4().hex, f"c:{len(written)}"),
            )
            connection.execute("COMMIT")
            written.append(1)
            time.sleep(0.002)  # a busy site, not a lock held for good
        connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        archive = tmp_path / "busy.tar.gz"
        made = app.test_cli_runner().invoke(args=["lxp", "backup", str(archive)])
    finally:
        stop.set()
        writer.join()
    assert made.exit_code == 0, made.output
    with tarfile.open(archive) as opened:
        opened.extract("lxp.db", tmp_path / "check", filter="data")
    copy = sqlite3.connect(tmp_path / "check" / "lxp.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        events = copy.execute("SELECT count(*) FROM learning_events WHERE verb = 'experienced'").fetchone()[0]
    finally:
        copy.close()
    assert 20 <= events <= len(written)


def test_a_backup_of_a_database_without_tables_says_to_migrate_first(tmp_path, smtp_server):
    empty = _instance(tmp_path, smtp_server)
    try:
        result = empty.test_cli_runner().invoke(args=["lxp", "backup", str(tmp_path / "never.tar.gz")])
        assert result.exit_code == 1 and "run flask db upgrade" in result.output and "Traceback" not in result.output
        assert not (tmp_path / "never.tar.gz").exists()
    finally:
        _close(empty)


def test_the_backup_command_points_postgresql_to_its_procedure(tmp_path, smtp_server):
    elsewhere = _instance(tmp_path, smtp_server, "postgresql+psycopg://lxp@127.0.0.1:9/lxp")  # never connected
    result = elsewhere.test_cli_runner().invoke(args=["lxp", "backup", str(tmp_path / "never.tar.gz")])
    assert result.exit_code == 1 and "pg_dump -Fc" in result.output and "deploy/backup-postgresql.sh" in result.output
    assert not (tmp_path / "never.tar.gz").exists()


# --- PostgreSQL: the documented procedure ------------------------------------------------------

# The suite's PostgreSQL server when it runs on one, else the local one CI provides.
PG_SERVER = (make_url(os.environ["LXP_TEST_DATABASE_URL"]).set(drivername="postgresql", database="postgres")
             .render_as_string(hide_password=False)
             if os.environ.get("LXP_TEST_DATABASE_URL", "").startswith("postgresql")
             else "postgresql://postgres@127.0.0.1:5432/postgres")  # fmt: skip


@pytest.fixture
def two_postgres_databases():
    try:
        psycopg.connect(PG_SERVER, connect_timeout=3).close()
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable for the backup procedure test")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    names = [f"lxp_backup_original_{suffix}", f"lxp_backup_copy_{suffix}"]
    server = make_url(PG_SERVER)
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield [server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
           for name in names]  # fmt: skip
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(script: str, app, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LXP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "LXP_UPLOAD_DIR": app.config["UPLOAD_DIR"]}  # fmt: skip
    return subprocess.run([str(ROOT / "deploy" / script), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_the_postgresql_procedure_restores_into_a_second_database(two_postgres_databases, tmp_path, smtp_server):
    original_url, copy_url = two_postgres_databases
    original = _instance(tmp_path / "original", smtp_server, original_url)
    copy = _instance(tmp_path / "copy", smtp_server, copy_url)
    try:
        token = _original(original)
        backups = tmp_path / "backups"
        made = _run("backup-postgresql.sh", original, str(backups))
        assert made.returncode == 0, made.stderr
        dump, uploads = sorted(backups.glob("lxp-*.dump")), sorted(backups.glob("lxp-uploads-*.tar.gz"))
        assert len(dump) == 1 and len(uploads) == 1
        restored = _run("restore-postgresql.sh", copy, str(dump[0]), str(uploads[0]))
        assert restored.returncode == 0, restored.stderr
        _signs_in_and_finds_the_file(copy, token)
        assert copy.test_client().get("/readyz").status_code == 200
    finally:
        _close(original)
        _close(copy)
