"""Whole learner visits per second: lxp beside Kolibri 0.19.5, a phone coming back to its learner home.

Prints figures; it is not a test. Goal (issue 20): lxp completes >= 3x the whole learner visits
per second of Kolibri (an offline-first learning platform in Python) on the same machine.

    .venv/bin/python bench/peer_kolibri.py [--seconds 20] [--connections 16] [--learners 300]
                                           [--courses 5] [--later 20] [--database-url URL]

A visit is recorded, not written by hand, the same way for both: Playwright drives Debian's
Chromium (a phone, 390x844) through a small recording proxy. The learner is signed in once; the
learner home (Kolibri ``/en/learn/#/home``, lxp ``/today``) is opened once to fill the browser's
cache and the service worker, and opened again ``--later`` seconds on (past Kolibri's 15 s
max-age on its page). Every request that reaches the server on that repeat visit (the document,
API calls, assets not served from the cache, service-worker fetches), with the headers the
browser sent (cookies, Kolibri's CSRF header, validators), is one visit. Then ``--connections``
simulated learners replay visits back to back, each over one keep-alive connection, for
``--seconds``; a visit is complete when every answer was 2xx or 304. lxp and Kolibri take turns,
twice each, so a busier moment on this shared machine hurts both alike. Each round prints visits
and requests per second, requests and bytes per visit, failed visits, p50/p95 visit time and the
server processes' own CPU time per visit (the steadiest figure while others use the machine).

Kolibri comes from its own virtualenv (``$LXP_PEER_VENV``, default ``/tmp/lxp-peer-kolibri``,
made with pip when missing) and a scratch KOLIBRI_HOME: a facility (``provisiondevice``), one
learner, and ``kolibri start --foreground``: one process, CherryPy threads and SQLite, as a phone
runs it; zeroconf discovery and the statistics ping are off. No content channel can be imported
here, so its learner home is its empty state: it sends the learner on to the Library's "No
resources available". lxp is served as bench/compare.py serves it, on the same data
(``WEB_CONCURRENCY=1`` and ``--database-url sqlite:///...`` serve it as Kolibri is served: one
process, SQLite).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from compare import build_data, cpu_seconds, drop_scratch, pick_database, served_env, sign_in, stop, wait_until_up
from compare import serve as serve_lxp
from playwright.sync_api import sync_playwright

from lxp import create_app
from lxp.extensions import db

KOLIBRI_VERSION = "0.19.5"
PEER_VENV = Path(os.environ.get("LXP_PEER_VENV") or Path(tempfile.gettempdir()) / "lxp-peer-kolibri")
LXP_PORT, KOLIBRI_PORT = 8751, 8752
LEARNER, LEARNER_PASSWORD = "learner", "bench-learner-pass-1"
CHROMIUM = os.environ.get("LXP_CHROMIUM", "/usr/bin/chromium")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/140.0 Mobile Safari/537.36"}  # fmt: skip
# Headers that belong to one connection, not to the request: neither passed on nor replayed.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


@dataclass(frozen=True)
class Home:
    """A learner home: its address, a selector shown once it has rendered, and what else the
    first visit waits for (lxp's service worker taking charge of the page)."""

    path: str
    shown: str
    settled: str = "() => true"


LXP_HOME = Home("/today", "main", "() => navigator.serviceWorker.controller !== null")
KOLIBRI_HOME = Home("/en/learn/#/home", "text=No resources available")  # the empty Library it leads to


@dataclass(frozen=True)
class Request:
    """One request as the browser sent it, and what the server first answered to it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int = 0
    received: int = 0  # bytes of headers and body, as sent (compressed where the server compressed)


def received_bytes(response: http.client.HTTPResponse, body: bytes) -> int:
    return len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + len(str(response.msg)) + 2 + len(body)


class RecordingProxy(ThreadingHTTPServer):
    """Passes the browser's requests on to ``upstream_port`` and keeps each with its answer."""

    daemon_threads = True

    def __init__(self, upstream_port: int):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream_port = upstream_port
        self.recorded: list[Request] = []
        self.in_flight = 0
        self.last_answer = time.monotonic()
        self.lock = threading.Lock()

    def wait_until_quiet(self, quiet: float = 3, limit: float = 60) -> None:
        """Return once nothing has been asked for ``quiet`` seconds (a service worker may fetch on)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                if not self.in_flight and time.monotonic() - self.last_answer >= quiet:
                    return
            time.sleep(0.1)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive with the browser, as it has with the server
    server: RecordingProxy
    upstream: http.client.HTTPConnection | None = None

    def forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = tuple((name, value) for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP)
        with self.server.lock:
            self.server.in_flight += 1
        try:
            request = Request(self.command, self.path, headers, body)
            response, answer = self.ask_upstream(request)
            answered = replace(request, status=response.status, received=received_bytes(response, answer))
            with self.server.lock:
                self.server.recorded.append(answered)
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
                self.server.last_answer = time.monotonic()

    def ask_upstream(self, request: Request) -> tuple[http.client.HTTPResponse, bytes]:
        if self.upstream is None:
            self.upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        return send(self.upstream, request)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = forward

    def log_message(self, format, *args) -> None:  # noqa: A002  (the base class names it so)
        pass


def send(connection: http.client.HTTPConnection, request: Request) -> tuple[http.client.HTTPResponse, bytes]:
    """Send ``request`` with exactly the browser's headers (its Host too); a kept-alive connection
    the server has closed in between (a recycled worker) is opened again once, as browsers do."""
    for attempt in range(2):
        try:
            connection.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers:
                connection.putheader(name, value)
            connection.endheaders(request.body or None)
            response = connection.getresponse()
            return response, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


def as_browser_cookies(cookie_header: str, base: str) -> list[dict]:
    pairs = (pair.split("=", 1) for pair in cookie_header.split("; "))
    return [{"name": name, "value": value, "url": base} for name, value in pairs]


def record_visit(upstream_port: int, home: Home, cookie_header: str, later: float) -> list[Request]:
    """The requests a signed-in phone sends to the server when it opens ``home`` again ``later``
    seconds after a first visit (recorded twice, to see that a visit is always the same)."""
    proxy = RecordingProxy(upstream_port)
    threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"http://127.0.0.1:{proxy.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                                 "--disable-gpu"])  # fmt: skip
            context = browser.new_context(**PHONE, base_url=base, locale="en-GB")
            context.add_cookies(as_browser_cookies(cookie_header, base))
            visits = []
            for repeat in (False, True, True):
                if repeat:
                    time.sleep(later)
                proxy.recorded = []
                page = context.new_page()
                page.goto(home.path)
                # The app's scripts run late on a busy machine: wait for what it shows, then for quiet.
                page.wait_for_selector(home.shown, timeout=120_000)
                if not repeat:
                    page.wait_for_function(home.settled, timeout=120_000)
                proxy.wait_until_quiet()
                visits.append(proxy.recorded)
                page.close()
            browser.close()
    finally:
        proxy.shutdown()
        proxy.server_close()
    first, second = ([(request.method, request.target) for request in visit] for visit in visits[1:])
    if sorted(first) != sorted(second):  # a late request missed, or one the app sends only sometimes
        print(f"{home.path}: two repeat visits differed ({len(first)} and {len(second)} requests); the larger is kept")
    return max(visits[1:], key=len)


@dataclass
class Round:
    seconds: float = 0.0
    visit_times: list[float] = field(default_factory=list)
    failed: int = 0
    received: int = 0
    server_cpu: float = 0.0  # seconds the server's processes ran, whoever else shared the machine

    @property
    def per_second(self) -> float:
        return len(self.visit_times) / self.seconds


def replay(port: int, visit: list[Request], seconds: float, learners: int) -> Round:
    """``learners`` threads, each on its own keep-alive connection, replaying ``visit`` back to
    back for ``seconds``; a visit counts when every answer was 2xx or 304."""
    result, lock = Round(), threading.Lock()
    deadline = time.monotonic() + seconds

    def learner() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        times, failed, received = [], 0, 0
        while time.monotonic() < deadline:
            began, size, complete = time.perf_counter(), 0, True
            for request in visit:
                try:
                    response, body = send(connection, request)
                except (OSError, http.client.HTTPException):
                    connection.close()
                    complete = False
                    break
                size += received_bytes(response, body)
                if not (200 <= response.status < 300 or response.status == 304):
                    complete = False
                    break
            if complete:
                times.append(time.perf_counter() - began)
                received += size
            else:
                failed += 1
        connection.close()
        with lock:
            result.visit_times += times
            result.failed += failed
            result.received += received

    threads = [threading.Thread(target=learner) for _ in range(learners)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


def kolibri_venv() -> Path:
    """The ``kolibri`` command of the peer's virtualenv, installed there first when missing."""
    python, command = PEER_VENV / "bin" / "python", PEER_VENV / "bin" / "kolibri"
    if not command.exists():
        print(f"installing Kolibri {KOLIBRI_VERSION} into {PEER_VENV} (about 100 MB)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)  # noqa: S603
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"kolibri=={KOLIBRI_VERSION}"], check=True)  # noqa: S603
    found = subprocess.run([str(python), "-c", "import kolibri; print(kolibri.__version__)"],  # noqa: S603
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    if found != KOLIBRI_VERSION:
        raise SystemExit(f"{PEER_VENV} holds Kolibri {found}, not {KOLIBRI_VERSION}: remove it or set LXP_PEER_VENV")
    return command


def kolibri_env(home: str) -> dict[str, str]:
    # Listen on loopback only, and no zeroconf broadcasts or statistics ping leave the machine.
    return {**os.environ, "KOLIBRI_HOME": home, "KOLIBRI_LISTEN_ADDRESS": "127.0.0.1",
            "KOLIBRI_ZEROCONF_ENABLED": "False", "KOLIBRI_DISABLE_PING": "True"}  # fmt: skip


MAKE_LEARNER = f"""
from kolibri.core.auth.models import Facility, FacilityUser
FacilityUser.objects.create_user({LEARNER!r}, password={LEARNER_PASSWORD!r}, facility=Facility.get_default_facility(),
                                 full_name="Bench Learner")
"""


def provision_kolibri(command: Path, env: dict[str, str]) -> None:
    """A facility with its superuser (formal preset: learners sign in with a password), and one learner."""
    quiet = {"env": env, "check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([str(command), "manage", "provisiondevice", "--facility", "Bench school",  # noqa: S603
                    "--superusername", "admin", "--superuserpassword", secrets.token_urlsafe(12),
                    "--preset", "formal", "--language_id", "en", "--noinput"], **quiet)  # fmt: skip
    subprocess.run([str(command), "manage", "--skip-update", "shell", "-c", MAKE_LEARNER], **quiet)  # noqa: S603


def serve_kolibri(command: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen([str(command), "start", "--foreground", "--port", str(KOLIBRI_PORT)], env=env,  # noqa: S603
                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def kolibri_sign_in(base: str) -> str:
    """Sign the learner in through Kolibri's session API as its sign-in page does; returns the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with contextlib.suppress(urllib.error.HTTPError):  # a GET is refused (405), but its answer sets the CSRF cookie
        opener.open(base + "/api/auth/session/current/")
    csrf = next(cookie.value for cookie in jar if cookie.name == "kolibri_csrftoken")
    credentials = json.dumps({"username": LEARNER, "password": LEARNER_PASSWORD}).encode()
    headers = {"Content-Type": "application/json", "X-CSRFToken": csrf}
    request = urllib.request.Request(base + "/api/auth/session/", data=credentials, headers=headers)  # noqa: S310
    with opener.open(request) as answer:
        assert answer.status == 200, answer.status
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def start_lxp(args, scratch: str) -> tuple[subprocess.Popen, str | None]:
    """lxp on compare.py's data and settings; returns the server and the scratch database's admin URL."""
    url, scratch_admin = pick_database(args.database_url)
    url = url or f"sqlite:///{scratch}/bench.db"
    secret_key = secrets.token_urlsafe(32)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "INSTANCE_PATH": scratch,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})  # fmt: skip
    build_data(app, args.learners, args.courses)
    with app.app_context():
        db.engine.dispose()
    env = served_env(url, secret_key, scratch)
    print(f"lxp: gunicorn, {env['WEB_CONCURRENCY']} workers x {env['LXP_THREADS']} threads; "
          f"{url.split(':')[0]}, {args.learners} learners, {args.courses * 20} items", flush=True)  # fmt: skip
    return serve_lxp("wsgi:app", LXP_PORT, env), scratch_admin


# Headers every request of a browser carries; the others are worth showing (cookie, CSRF, validators).
EVERY_REQUEST = {"host", "user-agent", "accept", "accept-language", "accept-encoding", "referer", "origin", "dnt"}


def describe(name: str, visit: list[Request]) -> None:
    total = sum(request.received for request in visit)
    print(f"{name} visit: {len(visit)} requests, {total / 1024:.1f} KB")
    for request in visit:
        notable = [
            name for name, _ in request.headers if name.lower() not in EVERY_REQUEST and not name.startswith("Sec-")
        ]
        print(f"    {request.method} {request.target} -> {request.status}, {request.received / 1024:.1f} KB"
              f" ({', '.join(notable) or 'no cookie'})")  # fmt: skip


def mean_rate(rounds: list[Round]) -> float:
    return statistics.mean(r.per_second for r in rounds)


def cpu_per_visit(rounds: list[Round]) -> float:
    return sum(r.server_cpu for r in rounds) / max(sum(len(r.visit_times) for r in rounds), 1)


def row(name: str, result: Round, visit: list[Request], loadavg: float) -> str:
    times = sorted(result.visit_times) or [0.0]
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
    per_visit = result.received / max(len(result.visit_times), 1) / 1024
    return (f"{name:<9}{loadavg:>9.2f}{result.per_second:>10.1f}{result.per_second * len(visit):>8.0f}"
            f"{len(visit):>11}{per_visit:>10.1f}"
            f"{result.failed:>8}{statistics.median(times) * 1000:>8.0f}{p95 * 1000:>8.0f}"
            f"{cpu_per_visit([result]) * 1000:>11.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="each of the four replay rounds")
    parser.add_argument("--connections", type=int, default=16, help="simulated learners at once")
    parser.add_argument("--learners", type=int, default=300, help="lxp's data (bench/today.py's build)")
    parser.add_argument("--courses", type=int, default=5)
    parser.add_argument("--later", type=float, default=20, help="seconds between the first and the repeat visit")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    kolibri = kolibri_venv()

    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as kolibri_home:
        env = kolibri_env(kolibri_home)
        provision_kolibri(kolibri, env)
        peer = serve_kolibri(kolibri, env, Path(kolibri_home) / "server.log")
        lxp, scratch_admin = None, None
        try:
            lxp, scratch_admin = start_lxp(args, scratch)
            wait_until_up(f"http://127.0.0.1:{LXP_PORT}/healthz", lxp)
            wait_until_up(f"http://127.0.0.1:{KOLIBRI_PORT}/", peer)
            lxp_cookie = sign_in(f"http://127.0.0.1:{LXP_PORT}")
            kolibri_cookie = kolibri_sign_in(f"http://127.0.0.1:{KOLIBRI_PORT}")
            sides = {
                "lxp": (LXP_PORT, lxp.pid, record_visit(LXP_PORT, LXP_HOME, lxp_cookie, args.later)),
                "Kolibri": (
                    KOLIBRI_PORT,
                    peer.pid,
                    record_visit(KOLIBRI_PORT, KOLIBRI_HOME, kolibri_cookie, args.later),
                ),
            }
            print(f"Kolibri {KOLIBRI_VERSION}: one process (CherryPy threads), SQLite; no content channels (none "
                  "can be imported here), so its learner home is the empty state (the Library's 'No resources "
                  "available')")  # fmt: skip
            for name, (_, _, visit) in sides.items():
                describe(name, visit)
            for port, _, visit in sides.values():
                replay(port, visit, 3, args.connections)  # warm both up: connections, caches, lazy imports
            print(f"\n{args.connections} simulated learners, {args.seconds:.0f} s a round, {os.cpu_count()} cores; "
                  "visit times and server CPU in ms")  # fmt: skip
            print(f"{'server':<9}{'load avg':>9}{'visits/s':>10}{'req/s':>8}{'req/visit':>11}{'KB/visit':>10}"
                  f"{'errors':>8}{'p50':>8}{'p95':>8}{'CPU/visit':>11}")  # fmt: skip
            rounds: dict[str, list[Round]] = {name: [] for name in sides}
            for _ in range(2):
                for name, (port, pid, visit) in sides.items():
                    loadavg, cpu_before = os.getloadavg()[0], cpu_seconds(pid)
                    result = replay(port, visit, args.seconds, args.connections)
                    result.server_cpu = cpu_seconds(pid) - cpu_before
                    rounds[name].append(result)
                    print(row(name, result, visit, loadavg), flush=True)
        finally:
            stop(peer)
            if lxp is not None:
                stop(lxp)
            if scratch_admin:
                drop_scratch(scratch_admin)

    ratio = mean_rate(rounds["lxp"]) / mean_rate(rounds["Kolibri"])
    cpu_ratio = cpu_per_visit(rounds["Kolibri"]) / cpu_per_visit(rounds["lxp"])
    print(f"lxp / Kolibri: {ratio:.2f}x whole learner visits per second (mean of two rounds each); "
          f"goal >= 3x: {'met' if ratio >= 3 else 'not met'}. A Kolibri visit takes {cpu_ratio:.1f}x the "
          "server CPU of an lxp visit")  # fmt: skip


if __name__ == "__main__":
    main()
