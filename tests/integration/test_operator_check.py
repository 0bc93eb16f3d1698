"""`flask lxp check`: one line per part of the installation, each failure found with the real
thing (a port nobody listens on, a real SMTP server and Redis, a read-only folder)."""

import contextlib
import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from lxp import checks, heartbeats, scheduler
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.push.keys import b64url
from tests.conftest import _free_port
from tests.integration.fresh_install import migrate, newest_revisions

CHECK_NAMES = ["secret", "encryption", "base url", "database", "smtp", "vapid", "ratelimit", "uploads", "clamd",
               "scheduler", "proxy", "metrics"]  # fmt: skip


def _check(app):
    """Run `flask lxp check`; returns the CLI result and its lines by check name."""
    result = app.test_cli_runner().invoke(args=["lxp", "check"])
    lines = {}
    for line in result.stdout.splitlines():
        status, rest = line[:4].strip(), line[6:]
        name = next(n for n in CHECK_NAMES if rest.startswith(n))
        lines[name] = (status, line)
    return result, lines


@pytest.fixture
def healthy(app, tmp_path, monkeypatch):
    """The test app as a healthy installation: a writable upload folder, no stray VAPID key,
    and a scheduler that has just run every job."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # no generated keys of the repository's instance/
    app.extensions.pop("lxp_vapid", None)
    result = app.test_cli_runner().invoke(args=["lxp", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    yield app
    app.extensions.pop("lxp_vapid", None)


def _failed(lines, name):
    status, line = lines[name]
    assert status == "FAIL", line
    return line


def test_a_healthy_installation_passes_every_check(healthy, smtp_server):
    result, lines = _check(healthy)
    assert result.exit_code == 0, result.output
    assert list(lines) == CHECK_NAMES
    assert all(status == "ok" for status, _ in lines.values()), result.output
    assert f"127.0.0.1:{smtp_server.port} answers" in lines["smtp"][1]
    assert f"at migration {newest_revisions()[0]}" in lines["database"][1]
    assert f"{len(scheduler.JOBS)} jobs ran recently" in lines["scheduler"][1]


def test_an_smtp_port_nobody_listens_on_fails_with_a_hint(healthy, monkeypatch):
    port = _free_port()
    monkeypatch.setitem(healthy.config, "SMTP_PORT", port)
    result, lines = _check(healthy)
    assert result.exit_code == 1
    assert result.stderr == "Error: 1 check(s) failed: smtp\n"
    line = _failed(lines, "smtp")
    assert f"127.0.0.1:{port}: ConnectionRefusedError" in line and "(hint: check LXP_SMTP_HOST" in line


def test_smtp_unset_is_fine_in_development_and_a_failure_in_production(healthy, monkeypatch):
    monkeypatch.setitem(healthy.config, "SMTP_HOST", None)
    _, lines = _check(healthy)
    assert lines["smtp"][0] == "ok" and "written to the log" in lines["smtp"][1]
    monkeypatch.setitem(healthy.config, "LXP_ENV", "production")
    _, lines = _check(healthy)
    assert "set LXP_SMTP_HOST" in _failed(lines, "smtp")


def test_counting_in_memory_fails_once_several_workers_serve(healthy, monkeypatch, smtp_server):
    monkeypatch.setitem(healthy.config, "RATELIMIT_STORAGE_URI", "memory://")
    result, lines = _check(healthy)
    assert lines["ratelimit"][0] == "ok"
    monkeypatch.setitem(healthy.config, "WORKERS", 3)
    result, lines = _check(healthy)
    assert result.exit_code == 1
    line = _failed(lines, "ratelimit")
    assert "memory:// with 3 workers" in line and "redis://" in line


def test_a_redis_on_a_closed_port_fails_and_a_running_one_passes(healthy, monkeypatch, tmp_path):
    closed = _free_port()
    # The check connects itself: the app's limiter keeps the storage it started with.
    monkeypatch.setitem(healthy.config, "RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{closed}/0")
    result, lines = _check(healthy)
    assert result.exit_code == 1
    assert f"redis://127.0.0.1:{closed} does not answer" in _failed(lines, "ratelimit")

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    arguments = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
    server = subprocess.Popen([redis_server, *arguments], stdout=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        monkeypatch.setitem(healthy.config, "RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{port}/0")
        result, lines = _check(healthy)
        assert result.exit_code == 0, result.output
        assert lines["ratelimit"] == ("ok", lines["ratelimit"][1]) and "answers" in lines["ratelimit"][1]
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_port(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@contextlib.contextmanager
def _as_nobody():
    """Root writes into read-only folders; drop to nobody for the moment, if we are root."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_read_only_upload_folder_fails(ctx, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setitem(ctx.config, "UPLOAD_DIR", str(folder))
    assert checks.upload_folder().ok
    folder.chmod(0o555)
    try:
        with _as_nobody():
            result = checks.upload_folder()
    finally:
        folder.chmod(0o755)
    assert not result.ok
    assert f"{folder} is not writable: PermissionError" in result.line()
    assert "write access to LXP_UPLOAD_DIR" in result.line()
    assert list(folder.iterdir()) == []


def test_an_upload_folder_that_cannot_be_made_fails_the_check(healthy, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setitem(healthy.config, "UPLOAD_DIR", str(blocker / "uploads"))
    result, lines = _check(healthy)
    assert result.exit_code == 1 and "is not writable" in _failed(lines, "uploads")


def test_vapid_keys_that_do_not_belong_together_fail(healthy, monkeypatch):
    def raw(key):
        return b64url(key.private_numbers().private_value.to_bytes(32, "big"))

    private, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setitem(healthy.config, "VAPID_PRIVATE_KEY", raw(private))
    _, lines = _check(healthy)
    assert lines["vapid"][0] == "ok" and "from LXP_VAPID_PRIVATE_KEY" in lines["vapid"][1]

    healthy.extensions.pop("lxp_vapid", None)
    others_public = other.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    monkeypatch.setitem(healthy.config, "VAPID_PUBLIC_KEY", b64url(others_public))
    result, lines = _check(healthy)
    assert result.exit_code == 1
    assert "LXP_VAPID_PUBLIC_KEY does not belong to LXP_VAPID_PRIVATE_KEY" in _failed(lines, "vapid")

    healthy.extensions.pop("lxp_vapid", None)
    monkeypatch.setitem(healthy.config, "VAPID_PRIVATE_KEY", "not-a-key")
    assert "could not be read" in _failed(_check(healthy)[1], "vapid")


def test_production_refuses_a_short_secret_the_development_one_and_a_local_base_url(fresh_app, tmp_path):
    fresh_app.config["LXP_ENV"] = "production"
    fresh_app.config["SECRET_KEY"] = "short-secret"
    _, lines = _check(fresh_app)
    assert "LXP_SECRET_KEY has only 12 characters" in _failed(lines, "secret")
    assert "not a public HTTPS address" in _failed(lines, "base url")

    (tmp_path / "secret_key").write_text("generated-for-development-" + "x" * 40)
    fresh_app.config["SECRET_KEY"] = "generated-for-development-" + "x" * 40
    _, lines = _check(fresh_app)
    assert "the key generated for development" in _failed(lines, "secret")
    fresh_app.config["LXP_ENV"] = "development"
    _, lines = _check(fresh_app)
    assert lines["secret"][0] == "ok" and "generated into instance/secret_key" in lines["secret"][1]


def test_the_check_reports_an_unmigrated_database_among_the_rest(fresh_app):
    result, lines = _check(fresh_app)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert list(lines) == CHECK_NAMES  # it goes on after the database
    assert "the database is not migrated: run flask db upgrade" in _failed(lines, "database")
    assert "not checked: the database is not ready" in _failed(lines, "scheduler")
    assert lines["smtp"][0] == "ok"


def test_no_scheduler_yet_then_a_fresh_heartbeat_then_a_stale_one(fresh_app):
    migrate(fresh_app)
    assert "no scheduler has run yet" in _failed(_check(fresh_app)[1], "scheduler")
    assert fresh_app.test_cli_runner().invoke(args=["lxp", "scheduler", "--once"]).exit_code == 0
    _, lines = _check(fresh_app)
    assert lines["scheduler"][0] == "ok", lines["scheduler"][1]
    with time_machine.travel(utcnow() + timedelta(minutes=10), tick=False):
        line = _failed(_check(fresh_app)[1], "scheduler")
    assert "stale: last run of paths.rebuild_stale_plans 10 min ago" in line
    assert "start flask lxp scheduler" in line


def test_a_failing_job_notes_its_error_in_the_heartbeat_and_the_check_shows_it(fresh_app):
    migrate(fresh_app)
    fresh_app.test_cli_runner().invoke(args=["lxp", "scheduler", "--once"])
    scheduler.run_job(fresh_app, "lxp.no_such_feature.jobs:run")
    with fresh_app.app_context():
        row = db.session.get(heartbeats.SchedulerHeartbeat, "lxp.no_such_feature.jobs:run")
        assert row.last_error == "ModuleNotFoundError: No module named 'lxp.no_such_feature'"
        heartbeats.record("lrs.forward_statements", "ConnectionError: the LRS is down")
        db.session.commit()
        assert db.session.execute(select(heartbeats.SchedulerHeartbeat)).scalars().all()
    line = _failed(_check(fresh_app)[1], "scheduler")
    assert "last run failed: lrs.forward_statements: ConnectionError: the LRS is down" in line
    fresh_app.test_cli_runner().invoke(args=["lxp", "scheduler", "--once"])  # the next run succeeds
    assert _check(fresh_app)[1]["scheduler"][0] == "ok"


def test_production_behind_no_trusted_proxy_and_a_short_metrics_token_fail(healthy, monkeypatch):
    monkeypatch.setitem(healthy.config, "LXP_ENV", "production")
    monkeypatch.setitem(healthy.config, "PROXY_HOPS", 0)
    monkeypatch.setitem(healthy.config, "METRICS_TOKEN", "short")
    _, lines = _check(healthy)
    assert "LXP_PROXY_HOPS=1" in _failed(lines, "proxy")
    assert "LXP_METRICS_TOKEN has only 5 characters" in _failed(lines, "metrics")
    monkeypatch.setitem(healthy.config, "PROXY_HOPS", 1)
    monkeypatch.setitem(healthy.config, "METRICS_TOKEN", None)
    monkeypatch.setitem(healthy.config, "METRICS_ALLOW", "10.0.0.0/8")
    _, lines = _check(healthy)
    assert lines["proxy"][0] == "ok" and "1 proxy hop" in lines["proxy"][1]
    assert lines["metrics"][0] == "ok" and "addresses in 10.0.0.0/8" in lines["metrics"][1]
