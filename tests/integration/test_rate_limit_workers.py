"""Several server processes share the login rate limits through Redis.

Two gunicorn servers, each its own process with its own memory, count failed sign-ins in one
Redis: three failures on one and two on the other make the sixth attempt a 429 on either; and
guesses at one account from several addresses, split over both servers, add up to the
per-account limit. The keys carry a prefix unique to the run, removed at the end, so runs
sharing the Redis never see each other's counts.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
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
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(app, port: int, tmp_path: Path, prefix: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "LXP_ENV": "production",
        "LXP_WORKERS": "2",  # production with two workers: starts only because the counts are in Redis
        "LXP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LXP_SECRET_KEY": "shared-between-workers",
        "LXP_INSTANCE_PATH": str(tmp_path),
        "LXP_RATELIMIT_STORAGE_URI": REDIS_URL,
        "LXP_RATELIMIT_KEY_PREFIX": prefix,
        "LXP_LOGIN_ACCOUNT_RATE_LIMIT": "8 per hour",
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


def _failed_login(port: int, email: str, source: str = "127.0.0.1") -> int:
    """One wrong password for ``email``, sent from the loopback address ``source`` (any of
    127.0.0.0/8: to the server, a different machine)."""

    def connection():
        return http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))

    page = connection()
    page.request("GET", "/login")
    answer = page.getresponse()
    cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', answer.read().decode()).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong guess"})
    post = connection()
    post.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                      "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    return post.getresponse().status


def test_failed_logins_are_counted_across_worker_processes(app, make_user, tmp_path):
    redis_client = _redis_or_skip()
    prefix = f"lxp-test-{uuid.uuid4().hex}"
    make_user(email="shared@example.com")
    make_user(email="victim@example.com")
    ports = [_free_port(), _free_port()]
    servers = [_serve(app, port, tmp_path, prefix) for port in ports]
    try:
        for port in ports:
            _wait_until_up(port)
        # Per address and e-mail (5 a minute), in any spelling.
        statuses = [_failed_login(ports[i % 2], "shared@example.com" if i % 2 else "SHARED@example.com.")
                    for i in range(5)]  # fmt: skip
        assert statuses == [200] * 5
        assert _failed_login(ports[1], "shared@example.com") == 429
        assert _failed_login(ports[0], "shared@example.com") == 429
        # Per account (8 an hour here), from four addresses, each under its own limit.
        statuses = [_failed_login(ports[i % 2], "victim@example.com", source=f"127.0.0.{10 + i // 2}")
                    for i in range(8)]  # fmt: skip
        assert statuses == [200] * 8
        assert _failed_login(ports[0], "victim@example.com", source="127.0.0.99") == 429
        assert _failed_login(ports[1], "victim@example.com", source="127.0.0.98") == 429
        assert list(redis_client.scan_iter(match=f"*{prefix}*")), "the counts are in Redis, under the run's prefix"
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        keys = list(redis_client.scan_iter(match=f"*{prefix}*"))
        if keys:
            redis_client.delete(*keys)
        assert not list(redis_client.scan_iter(match=f"*{prefix}*"))
