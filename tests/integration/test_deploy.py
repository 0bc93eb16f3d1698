"""deploy/: the gunicorn config loaded by a real gunicorn (threaded workers, keep-alive,
metrics summed over workers, JSON log lines), the image's entrypoint run for real (it migrates,
then starts the command), and the files no engine runs here checked as far as they can be:
compose.yaml parsed, the Dockerfile read and linted (hadolint), the entrypoint and the image's
build and CI scripts linted (ShellCheck), the image's health check run against a real gunicorn,
.dockerignore read, the systemd units verified. The image itself is built and run by .ci/image."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.served import ROOT, free_port, start_gunicorn, stop

DEPLOY = ROOT / "deploy"
pytestmark = pytest.mark.real_commits  # the server processes use databases of their own


def _samples(body: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}  # fmt: skip


def test_gunicorn_with_the_deploy_config_keeps_connections_sums_metrics_and_logs_json(tmp_path):
    port = free_port()
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999999.db").write_bytes(b"left from an earlier run")
    server, log = start_gunicorn(tmp_path, port, WEB_CONCURRENCY="2", LXP_THREADS="4",
                                 LXP_METRICS_ALLOW="127.0.0.1")  # fmt: skip
    try:
        assert not (tmp_path / "metrics" / "counter_999999.db").exists()  # emptied at start

        # Keep-alive: three pages over one connection.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.connect()
        first_socket = connection.sock
        for path, status in (("/healthz", 200), ("/today", 302), ("/login", 200)):
            connection.request("GET", path, headers={"Accept-Encoding": "gzip", "X-Request-ID": f"keep{path[1:]}"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == status and response.getheader("Connection", "").lower() != "close"
            assert response.getheader("X-Request-ID") == f"keep{path[1:]}"
            assert connection.sock is first_socket
        assert response.getheader("Content-Encoding") == "gzip" and b"csrf_token" in gzip.decompress(body)
        connection.close()

        # Requests spread over both workers are summed in one scrape.
        asked = 0
        deadline = time.monotonic() + 30
        while len({p.name for p in (tmp_path / "metrics").glob("counter_*.db")}) < 2 or asked < 10:
            assert time.monotonic() < deadline, "the second worker never answered"
            single = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            single.request("GET", "/readyz", headers={"Connection": "close"})
            assert single.getresponse().status == 200
            single.close()
            asked += 1
        scrape = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        scrape.request("GET", "/metrics")
        samples = _samples(scrape.getresponse().read().decode())
        scrape.close()
        key = ("lxp_http_requests_total", (("endpoint", "core.ready"), ("method", "GET"), ("status", "200")))
        assert samples[key] == asked
        assert samples[("lxp_outbox_depth", ())] == 0
    finally:
        stop(server)
    text = log.read_text()
    compiled = re.search(r"compiled (\d+) templates before forking the workers", text)
    assert compiled and int(compiled.group(1)) > 150  # in the master, once, before the first worker
    assert text.index(compiled.group(0)) < text.index("Booting worker")
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    served = {line["request_id"]: line for line in lines if line.get("logger") == "lxp.request"}
    assert served["keeptoday"]["endpoint"] == "learning.today" and served["keeptoday"]["status"] == 302
    assert served["keephealthz"]["sql_statements"] == 0  # liveness only: the database is /readyz's
    assert served["keeplogin"]["sql_statements"] >= 1 and served["keeplogin"]["duration_ms"] > 0
    ready = [line for line in served.values() if line["endpoint"] == "core.ready"]
    assert len(ready) == asked and all(line["sql_statements"] >= 1 for line in ready)  # it reads the revision


def test_by_default_each_process_takes_the_next_request_when_free_and_a_stuck_client_holds_only_one(tmp_path):
    """Sync workers: a request goes to whichever process is free (one queue), not to the one its
    kept-alive connection belongs to; a client that never finishes its request holds one process."""
    port = free_port()
    server, log = start_gunicorn(tmp_path, port, WEB_CONCURRENCY="2", LXP_THREADS="1")
    stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        stuck.sendall(b"GET /healthz HTTP/1.1\r\nHost: lxp\r\n")  # and never the blank line
        for _ in range(5):  # the other process answers every one of them meanwhile
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection", "").lower() == "close"  # no connection keeps a process
            response.close()
            connection.close()
    finally:
        stuck.close()
        stop(server)
    assert "Using worker: sync" in log.read_text()


def _healthcheck(bind: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LXP_BIND": bind}
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py")], env=env, capture_output=True, text=True,
                          timeout=30, check=False)  # fmt: skip


def test_the_image_health_check_asks_gunicorn_where_lxp_bind_puts_it(tmp_path):
    # A container on the host's network is given another port through LXP_BIND; the check follows it.
    port = free_port()
    server, _log = start_gunicorn(tmp_path, port, WEB_CONCURRENCY="1")
    try:
        assert _healthcheck(f"127.0.0.1:{port}").returncode == 0
        assert _healthcheck(f"0.0.0.0:{port}").returncode == 0  # the image's wildcard bind: asked on loopback
    finally:
        stop(server)
    down = _healthcheck(f"0.0.0.0:{port}")
    assert down.returncode == 1 and f"http://127.0.0.1:{port}/healthz" in down.stderr


def test_compose_runs_migrations_then_web_then_scheduler_behind_caddy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "clamav", "migrate", "web", "scheduler", "caddy"}
    assert services["migrate"]["command"] == ["flask", "--app", "lxp", "db", "upgrade"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["scheduler"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["scheduler"]["command"] == ["flask", "--app", "scheduler_app", "lxp", "scheduler"]
    assert "gunicorn" in services["web"]["command"] and "deploy/gunicorn.conf.py" in services["web"]["command"]
    for name in ("migrate", "web", "scheduler"):
        environment = services[name]["environment"]
        assert environment["LXP_DATABASE_URL"].startswith("postgresql+psycopg://lxp:")
        assert environment["LXP_RATELIMIT_STORAGE_URI"] == "redis://redis:6379/0"
        assert environment["LXP_CLAMD"] == "tcp://clamav:3310"  # every upload scanned
        assert environment["LXP_PROXY_HOPS"] == "1" and services[name]["volumes"] == ["lxp-data:/var/lib/lxp"]
    assert services["caddy"]["build"]["target"] == "proxy" and "443:443" in services["caddy"]["ports"]
    assert services["caddy"]["environment"]["LXP_UPSTREAM"] == "web:8000"
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    assert services["clamav"]["image"].startswith("clamav/clamav:")
    assert set(compose["volumes"]) >= {"postgres-data", "lxp-data", "clamav-data"}


def test_the_image_runs_gunicorn_as_a_user_with_a_health_check():
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.strip()]
    # The official bases by default; arguments before the first FROM, so that a base made without a
    # registry can stand in (deploy/build-local-image.sh, run by .ci/image).
    first_from = next(index for index, line in enumerate(lines) if line.startswith("FROM "))
    assert {"ARG PYTHON_IMAGE=python:3.11-slim", "ARG CADDY_IMAGE=caddy:2"} <= set(lines[:first_from])
    assert lines[first_from] == "FROM ${PYTHON_IMAGE} AS app"
    app_stage = lines[first_from : lines.index("FROM ${CADDY_IMAGE} AS proxy")]
    users = [line for line in app_stage if line.startswith("USER ")]
    assert users == ["USER 10001:10001"]  # the unprivileged lxp user, by number
    assert any("useradd --system --uid 10001 --gid lxp" in line for line in app_stage)
    assert any(line.startswith("HEALTHCHECK") for line in app_stage)
    assert 'CMD ["python", "/opt/lxp/deploy/healthcheck.py"]' in app_stage  # /healthz where LXP_BIND says
    assert app_stage[-2] == 'ENTRYPOINT ["/opt/lxp/deploy/docker-entrypoint.sh"]'  # migrates first
    assert app_stage[-1] == 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]'
    assert "pip install -e ." in "\n".join(app_stage)  # templates and migrations are read from the checkout
    for copied in ("lxp", "migrations", "templates", "static", "deploy"):
        assert any(line.startswith(f"COPY {copied} ") for line in app_stage), copied


def _linter(name: str) -> str:
    return str(Path(sys.executable).with_name(name))  # installed in the virtualenv (pyproject's dev extras)


def test_the_dockerfile_and_the_entrypoint_pass_their_linters():
    hadolint = subprocess.run([_linter("hadolint"), "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
    assert hadolint.returncode == 0 and hadolint.stdout == "", hadolint.stdout + hadolint.stderr
    scripts = [DEPLOY / "docker-entrypoint.sh", DEPLOY / "build-local-image.sh", ROOT / ".ci" / "image"]
    shellcheck = subprocess.run([_linter("shellcheck"), *map(str, scripts)], capture_output=True, text=True,
                                timeout=60, check=False)  # fmt: skip
    assert shellcheck.returncode == 0, shellcheck.stdout + shellcheck.stderr


def test_the_build_context_leaves_out_secrets_virtualenvs_and_local_databases():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {"deploy/lxp.env", ".env", ".git", ".venv", ".venv-*", "instance", "*.db", "**/node_modules"} <= ignored
    # What the image copies is not left out.
    assert not ignored & {"lxp", "migrations", "templates", "static", "deploy", "pyproject.toml", "README.md"}


def _entrypoint(tmp_path: Path, database: str, **settings: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LXP_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", LXP_DATABASE_URL=database,
               LXP_INSTANCE_PATH=str(tmp_path), LXP_SECRET_KEY="x" * 40, **settings)  # fmt: skip
    command = [sys.executable, "-c", "print('the command ran')"]
    return subprocess.run([shutil.which("sh"), str(DEPLOY / "docker-entrypoint.sh"), *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def _revision(path: Path) -> str | None:
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] if tables else None


def test_the_entrypoint_migrates_an_empty_database_then_runs_the_command(tmp_path):
    started = _entrypoint(tmp_path, f"sqlite:///{tmp_path / 'lxp.db'}")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "the command ran"
    assert _revision(tmp_path / "lxp.db") == ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    again = _entrypoint(tmp_path, f"sqlite:///{tmp_path / 'lxp.db'}")  # a restart: nothing to do, starts
    assert again.returncode == 0 and again.stdout.strip() == "the command ran", again.stderr


def test_the_entrypoint_can_leave_migrating_to_another_container_and_stops_when_migrating_fails(tmp_path):
    (tmp_path / "empty.db").touch()
    left = _entrypoint(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", LXP_MIGRATE_ON_START="false")
    assert left.returncode == 0 and left.stdout.strip() == "the command ran"
    assert _revision(tmp_path / "empty.db") is None
    broken = _entrypoint(tmp_path, f"sqlite:///{tmp_path / 'no-such-folder' / 'lxp.db'}")
    assert broken.returncode != 0 and "the command ran" not in broken.stdout  # never serves an old schema
    misspelt = _entrypoint(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", LXP_MIGRATE_ON_START="maybe")
    assert misspelt.returncode == 2 and "LXP_MIGRATE_ON_START" in misspelt.stderr


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", ["lxp-web.service", "lxp-scheduler.service"])
def test_the_systemd_units_verify(unit, tmp_path):
    # As installed on a host: the checkout at /opt/lxp, the settings in /etc/lxp.env, user lxp.
    text = (DEPLOY / unit).read_text()
    assert "User=lxp" in text and "EnvironmentFile=/etc/lxp.env" in text and "WorkingDirectory=/opt/lxp" in text
    (tmp_path / "lxp.env").write_text("LXP_ENV=production\n")
    here = (text.replace("/opt/lxp", str(ROOT)).replace("/etc/lxp.env", str(tmp_path / "lxp.env"))
            .replace("User=lxp", "User=root").replace("Group=lxp", "Group=root"))  # fmt: skip
    (tmp_path / unit).write_text(here)
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(tmp_path / unit)], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    problems = [line for line in (result.stdout + result.stderr).splitlines() if unit in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
