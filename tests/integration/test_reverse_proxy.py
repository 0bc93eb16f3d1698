"""A real Caddy (Debian's) with the repo's deploy/Caddyfile in front of a real gunicorn:
pages and static files compressed through it, fingerprinted files served by Caddy from disk
for good, /metrics kept off the public site, and the client's own address (X-Forwarded-For,
trusted for exactly one hop: LXP_PROXY_HOPS=1) reaching the sign-in rate limit."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import subprocess

import pytest

from tests.integration.served import ROOT, failed_login, free_port, start_gunicorn, stop, wait_until_up

pytestmark = pytest.mark.real_commits  # the server processes use a database of their own


@pytest.fixture(scope="module")
def behind_caddy(tmp_path_factory):
    """(Caddy's port, gunicorn's port): Caddy on plain HTTP (a loopback site) before gunicorn."""
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Caddy is missing: apt-get install caddy")
        pytest.skip("Caddy is not installed (apt-get install caddy)")
    tmp_path = tmp_path_factory.mktemp("behind-caddy")
    app_port, proxy_port = free_port(), free_port()
    server, _ = start_gunicorn(tmp_path, app_port, WEB_CONCURRENCY="1", LXP_PROXY_HOPS="1",
                               LXP_LOGIN_RATE_LIMIT="3 per minute", LXP_METRICS_ALLOW="127.0.0.0/8")  # fmt: skip
    env = {**os.environ, "LXP_SITE": f"http://127.0.0.1:{proxy_port}", "LXP_UPSTREAM": f"127.0.0.1:{app_port}",
           "LXP_STATIC_ROOT": str(ROOT), "CADDY_ADMIN": "off", "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
           "XDG_CONFIG_HOME": str(tmp_path / "caddy-config")}  # fmt: skip
    with (tmp_path / "caddy.log").open("wb") as log:
        proxy = subprocess.Popen([caddy, "run", "--config", str(ROOT / "deploy/Caddyfile"), "--adapter", "caddyfile"],
                                 env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until_up(proxy_port, proxy)
        yield proxy_port, app_port
    finally:
        stop(proxy)
        stop(server)


def _get(port: int, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_pages_and_static_files_are_compressed_and_static_files_come_from_caddy(behind_caddy):
    proxy, _ = behind_caddy
    page, body = _get(proxy, "/login", **{"Accept-Encoding": "gzip", "X-Request-ID": "through-caddy"})
    assert page.status == 200 and page.getheader("Content-Encoding") == "gzip"
    assert page.getheader("X-Request-ID") == "through-caddy"  # lxp answered, through the proxy
    html = gzip.decompress(body).decode()
    stylesheet = re.search(r'href="(/static/css/lxp\.[0-9a-f]{12}\.css)"', html).group(1)

    style, packed = _get(proxy, stylesheet, **{"Accept-Encoding": "gzip"})
    assert style.status == 200 and style.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(packed) == (ROOT / "static/css/lxp.css").read_bytes()
    assert "immutable" in style.getheader("Cache-Control") and "max-age=31536000" in style.getheader("Cache-Control")
    assert style.getheader("Server") == "Caddy" and style.getheader("X-Request-ID") is None  # from disk, not lxp

    plain, _ = _get(proxy, "/static/favicon.svg")
    assert plain.status == 200 and "immutable" not in plain.getheader("Cache-Control")
    outside, _ = _get(proxy, "/static/../config.py")
    assert outside.status == 404


def test_metrics_stay_inside_the_network(behind_caddy):
    proxy, app = behind_caddy
    assert _get(app, "/metrics")[0].status == 200  # Prometheus, straight to gunicorn
    assert _get(proxy, "/metrics")[0].status == 404  # the public site


def test_the_rate_limit_counts_each_client_address_behind_the_proxy(behind_caddy):
    proxy, _ = behind_caddy
    assert [failed_login(proxy, "someone@example.com", source="127.0.0.2") for _ in range(3)] == [200] * 3
    assert failed_login(proxy, "someone@example.com", source="127.0.0.2") == 429
    # A forged header does not make a new client: Caddy does not pass an untrusted client's on.
    assert failed_login(proxy, "someone@example.com", source="127.0.0.2",
                        headers={"X-Forwarded-For": "198.51.100.7"}) == 429  # fmt: skip
    # Another address behind the same proxy is another client, not the proxy's own address.
    assert failed_login(proxy, "someone@example.com", source="127.0.0.3") == 200
