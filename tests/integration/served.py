"""lxp served for real: gunicorn with deploy/gunicorn.conf.py on a loopback port, on a
SQLite database of the test's own (migrated through the CLI), for the deployment tests."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from lxp import create_app
from lxp.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrated_database(folder: Path) -> str:
    """A new SQLite database in ``folder``, at the newest migration; its URL."""
    url = f"sqlite:///{folder / 'lxp.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "x" * 40})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return url


def start_gunicorn(folder: Path, port: int, **settings: str) -> tuple[subprocess.Popen, Path]:
    """gunicorn -c deploy/gunicorn.conf.py wsgi:app on 127.0.0.1:``port``; returns the process and
    the file its stderr (lxp's log lines among gunicorn's) goes to."""
    env = {
        **os.environ,
        "LXP_BIND": f"127.0.0.1:{port}",
        "LXP_DATABASE_URL": migrated_database(folder),
        "LXP_INSTANCE_PATH": str(folder),
        "LXP_SECRET_KEY": "served-for-real-0123456789abcdef",
        "LXP_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        **settings,
    }
    log = folder / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as stderr:
        process = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], env=env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    wait_until_up(port, process)
    return process, log


def wait_until_up(port: int, process: subprocess.Popen | None = None, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server on port {port} exited with {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:  # refused, reset, or a worker still importing the app
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise AssertionError(f"the server on port {port} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def failed_login(port: int, email: str, source: str = "127.0.0.1", headers: dict | None = None) -> int:
    """One wrong password for ``email`` from the loopback address ``source`` (to the server, a
    different machine); the status of the POST."""

    def connection():
        return http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))

    page = connection()
    page.request("GET", "/login", headers=headers or {})
    answer = page.getresponse()
    cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', answer.read().decode()).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong guess"})
    post = connection()
    post.request("POST", "/login", body=body, headers={"Cookie": cookie, **(headers or {}),
                                                      "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    status = post.getresponse().status
    page.close()
    post.close()
    return status
