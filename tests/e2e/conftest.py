"""Real-browser tests: Playwright drives Debian's Chromium against the app on 127.0.0.1.

Chromium comes from ``apt-get install chromium`` (``.ci/run`` installs it); test tools may not
download browsers here. Outside CI a missing Chromium skips these tests with the reason;
under ``CI=true`` it fails them.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("LXP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A small Android phone: 360 px is the narrowest width lxp promises to work one-handed on.
PHONE = {
    "viewport": {"width": 360, "height": 780},
    "screen": {"width": 360, "height": 780},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 14; SM-A156B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0 Mobile Safari/537.36",
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # The live server answers the browser from its own threads and connections.
            item.add_marker(pytest.mark.real_commits)


class InFlight:
    """WSGI middleware counting requests being served, so a test can wait for quiet.

    A browser may still be fetching (a service worker filling its cache, a queue being replayed)
    when a test ends; emptying the tables then would deadlock on PostgreSQL.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.count = 0
        self.lock = threading.Lock()
        self.seen: list[dict] = []  # each request's path and the headers a test may ask about

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
            self.seen.append({"path": environ.get("PATH_INFO", ""), "prefetch": bool(environ.get("HTTP_X_LXP_PREFETCH")),
                              "if_none_match": environ.get("HTTP_IF_NONE_MATCH")})  # fmt: skip
        body = None
        try:
            body = self.wsgi_app(environ, start_response)
            return list(body)  # finish the body before counting down
        finally:
            if hasattr(body, "close"):
                body.close()  # as WSGI servers must; file responses hold an open file
            with self.lock:
                self.count -= 1

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count and time.monotonic() < deadline:
            time.sleep(0.05)


IN_FLIGHT: InFlight | None = None


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served by a real HTTP server on a free port of 127.0.0.1."""
    global IN_FLIGHT
    IN_FLIGHT = InFlight(app)
    server = make_server("127.0.0.1", 0, IN_FLIGHT, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def in_flight(live_server) -> InFlight:
    """The live server's request counter, with ``seen``: every request's path and headers."""
    return IN_FLIGHT


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, live_server, device: dict, locale: str):
    context = browser.new_context(**device, base_url=live_server, locale=locale)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def phone(browser, live_server, clean_db):
    """A page in a fresh phone-sized browser context."""
    context, page = _page(browser, live_server, PHONE, "en-GB")
    yield page
    context.close()
    IN_FLIGHT.wait_until_idle()


@pytest.fixture
def desktop(browser, live_server, clean_db):
    """A page in a fresh desktop browser context."""
    context, page = _page(browser, live_server, DESKTOP, "en-GB")
    yield page
    context.close()
    IN_FLIGHT.wait_until_idle()
