"""Several server processes share the login rate limit through Redis.

Two gunicorn servers, each its own process with its own memory, count failed sign-ins in one
Redis: three failures on one and two on the other make the sixth attempt a 429 on either.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REDIS_URL = "redis://127.0.0.1:6379/15"
# The gunicorn processes read the test's user through their own connections.
pytestmark = pytest.mark.real_commits


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    client.flushdb()
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(app, port: int, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "LXP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LXP_SECRET_KEY": "shared-between-workers",
        "LXP_INSTANCE_PATH": str(tmp_path),
        "LXP_RATELIMIT_STORAGE_URI": REDIS_URL,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return
        except OSError:  # refused, reset, or a worker still importing the app (timeout)
            time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not start")


def _failed_login(port: int, email: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong guess"}).encode()
    try:
        return opener.open(f"http://127.0.0.1:{port}/login", data=body).status
    except urllib.error.HTTPError as error:
        return error.code


def test_failed_logins_are_counted_across_worker_processes(app, make_user, tmp_path):
    redis_client = _redis_or_skip()
    make_user(email="shared@example.com")
    ports = [_free_port(), _free_port()]
    servers = [_serve(app, port, tmp_path) for port in ports]
    try:
        for port in ports:
            _wait_until_up(port)
        statuses = [_failed_login(ports[i % 2], "shared@example.com") for i in range(5)]
        assert statuses == [200] * 5
        assert _failed_login(ports[1], "shared@example.com") == 429
        assert _failed_login(ports[0], "shared@example.com") == 429
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)

        redis_client.flushdb()
