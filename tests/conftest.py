"""Fixtures every test can use: the app with a migrated database, a real SMTP server,
a test client with form helpers, factories and ``login_as``.

The database is SQLite in a temporary file, or PostgreSQL when ``LXP_TEST_DATABASE_URL``
is set (``.ci/run`` creates and drops a fresh one). The schema is built by the real
migrations, once per run. ``make test`` runs the suite in pytest-xdist workers (``-n auto
--dist loadscope``: a module stays on one worker); each worker has its own database (its own
SQLite file; on PostgreSQL ``<name>_gw0``… beside the given one, made and dropped here), its
own instance folder, and free ports for its SMTP and live servers.

How tests are kept apart
------------------------
``clean_db`` (and so ``client``, ``ctx``, ``organisation``, ``make_user``, ``login_as`` and
every integration test, through the autouse ``_fresh_database``) runs the test inside one
transaction on one connection, rolled back when the test ends. Every session the test's
thread opens on the test database (its own app contexts, each test-client request, a second
app built on the same database) is bound to that connection and joins with
``join_transaction_mode="create_savepoint"``: the services' ``db.session.commit()`` releases a
SAVEPOINT, ``rollback()`` returns to it, and side effects registered for after the commit
still run. On SQLite the outer transaction is the app's own ``BEGIN IMMEDIATE``; SAVEPOINTs
nest inside it because the app sets ``isolation_level=None``. Nothing is emptied between
such tests, so ids are not reset either: PostgreSQL's sequences go on counting; never rely
on an id's value.

Tests marked ``@pytest.mark.real_commits`` opt out: their data must be seen by another
connection, thread or process, so they commit for real and start from emptied tables. They
are the browser tests (a live server thread; marked by ``tests/e2e/conftest.py``), the
worker processes of ``test_outbox_reliability`` (two schedulers at once, one killed with
SIGKILL), the gunicorn processes of ``test_rate_limit_workers``, the two threads racing for
the last seat on PostgreSQL, and the scheduler threads (inline scheduler, catching up after
downtime). Anything else a test does on the database goes through the test's connection:
ask ``db.session.connection()`` for it (the migrations check, a trigger a test installs)
rather than ``db.engine``, which on SQLite would wait for the test's write lock.

A real commit anywhere (an opted-out test, a module- or session-scoped fixture) marks the
database as used, and the next rolled-back test empties the tables first, so data committed
for one test or module never leaks into another. A module fixture whose data takes seconds to
build (the demo) may instead commit it once and call ``keep_committed_data()``: the module's
tests then each start from that data and are rolled back to it; the fixture empties the tables
when the module ends (a ``real_commits`` test meanwhile fails: it would destroy the data).
The demo itself is seeded once per process: ``tests/seeded_demo.py`` puts a copy of it back.

Rate-limit counters are reset for every test. Hypothesis runs the ``dev`` profile (few
examples) unless ``HYPOTHESIS_PROFILE=ci`` asks for many; ``.ci/run`` does that in one leg.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import psycopg
import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask import current_app, has_app_context
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from sqlalchemy import URL, Connection, Engine, event, make_url, text
from werkzeug.security import generate_password_hash

from lxp import create_app
from lxp.accounts.models import Organisation, User, UserRole
from lxp.authoring import competency_names
from lxp.core import unit_of_work
from lxp.extensions import db, limiter
from lxp.insights.rolled_up import forget_rolled_up
from lxp.paths import services as paths_services

# pytest imports this file as ``conftest``, the test modules as ``tests.conftest``: make that
# the same module, or the helpers they import (``empty_all_tables``, ``keep_committed_data``)
# would change a second copy of the database state the fixtures never read.
sys.modules.setdefault("tests.conftest", sys.modules[__name__])

PASSWORD = "correct horse battery"
# The factory's users need a valid hash, not a strong one: checking scrypt's costs 0.1-0.4 s
# per sign-in on a busy machine, and tests sign in hundreds of times. Signing in still runs
# the app's own check_password_hash; passwords a test sets through the app get scrypt.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")

# Hypothesis: ``dev`` (the default) tries few examples, so ``make test`` stays quick; ``ci``
# tries many (``HYPOTHESIS_PROFILE=ci``, one leg of ``.ci/run``). A test's own ``@settings``
# still wins for what it sets. Deadlines off: a loaded machine is not a bug.
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config):
    """``LXP_TEST_CLOCK=2026-11-29T23:55+00:00`` runs the suite from that moment on (the clock
    keeps ticking), so a test that passes only at some hours or weekdays shows itself.
    ``.ci/run`` uses it for unit and integration tests; a browser has its own clock."""
    moment = os.environ.get("LXP_TEST_CLOCK")
    if moment:
        traveller = time_machine.travel(datetime.fromisoformat(moment), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


# The longest modules, longest first: xdist (``--dist loadscope --no-loadscope-reorder``; its
# default order is by number of tests, which leaves the one-test fuzzing and the browser tests
# for last) hands modules out in collection order, so starting these first keeps one worker from
# finishing a long module alone while the others wait. Only the order of modules changes.
# The rest follow in collection order (browser tests, integration, unit), so the last modules
# handed out are short ones and both workers finish within a few seconds of each other.
LONGEST_FIRST = (
    # Each over about 12 s alone (``-n 0 --durations=0``, one directory at a time, load 5, Dec. 2026),
    # and the two that start a peer process; browser modules follow, then the short ones.
    "tests/integration/api/test_api_fuzz.py",
    "tests/integration/test_every_page.py",
    "tests/integration/test_xss_crawl.py",
    "tests/integration/test_bootstrap.py",
    "tests/integration/test_deploy.py",
    "tests/integration/test_mail_acceptance.py",
    "tests/integration/test_outbox_reliability.py",
    "tests/integration/test_migrations_and_cli.py",
    "tests/integration/test_saml_sign_in.py",
    "tests/integration/test_page_costs.py",
    "tests/integration/test_backup.py",
    "tests/integration/test_rate_limit_workers.py",
    "tests/integration/test_asvs.py",
    "tests/integration/test_predictive_support.py",
    "tests/integration/test_scim_conformance.py",
    "tests/integration/test_reverse_proxy.py",
    "tests/integration/api/test_openapi_client.py",
    "tests/integration/api/test_lrs_ralph.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(rank)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What the SMTP server received, parsed as e-mail messages."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message.raw_bytes = envelope.content  # as sent: for parsers and SpamAssassin
        message.peer = session.peer  # the client's (address, port): one per SMTP connection
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in(self, message: EmailMessage) -> str:
        """The first lxp link in the mail's text part, as a path the test client can open."""
        match = re.search(r"http://lxp\.test(/\S+)", self.text_of(message))
        assert match, f"no lxp link in: {self.text_of(message)}"
        return match.group(1)


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on 127.0.0.1 for the whole run."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    smtp_server.handler.messages.clear()
    return smtp_server.handler


def _worker() -> str | None:
    """The pytest-xdist worker this process is (``gw0``, ``gw1``…), or None without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def _admin(url: URL, sql: str) -> None:
    """Run ``sql`` outside a transaction on the server of ``url`` (CREATE/DROP DATABASE)."""
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as connection:  # fmt: skip
        connection.execute(sql)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The test database: SQLite in a temporary file (one per xdist worker, as each worker has
    its own temporary folder), or ``LXP_TEST_DATABASE_URL`` on PostgreSQL. Under xdist each
    worker gets a database of its own beside that one (``<name>_gw0``…), created here through
    the given database's server and dropped when the worker ends, as Warehouse does."""
    given = os.environ.get("LXP_TEST_DATABASE_URL")
    if not given:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lxp-test.db'}"
        return
    worker = _worker()
    if worker is None:
        yield given
        return
    base = make_url(given)
    url = base.set(database=f"{base.database}_{worker}")
    name = f'"{url.database}"'
    _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # left over from an interrupted run
    _admin(base, f"CREATE DATABASE {name}")
    yield url.render_as_string(hide_password=False)
    _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def app(tmp_path_factory, smtp_server, database_url):
    app = create_app(
        {
            "TESTING": True,
            "LXP_ENV": "testing",
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            # Uploads and generated keys go to a folder of this run (and of this xdist worker).
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_server.port,
            "BASE_URL": "http://lxp.test",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade()
    restore = _bind_sessions_to_the_test_connection()
    yield app
    restore()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_all_tables() -> None:
    """Delete every row (and on PostgreSQL restart the sequences), committing for real."""
    paths_services.forget_frozen_versions()  # version ids start again in an emptied database
    competency_names.forget()  # and organisation ids
    forget_rolled_up()  # course ids too, and a rolled-back roll-up leaves no trace of its mark
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(table.delete())
    _database.used = _database.kept = False


def keep_committed_data() -> None:
    """What is committed now is where the next rolled-back tests start from, until
    ``empty_all_tables()``: for a module fixture that builds costly data once (see the docstring)."""
    _database.used, _database.kept = False, True


class _Database:
    """The state of the test database between tests: whether anything was committed for real
    since the tables were last emptied, and the connection the running test is bound to."""

    def __init__(self):
        self.used = True  # the migrations just committed
        self.kept = False  # what is committed is a module's data its rolled-back tests start from
        self.url: str | None = None
        self.connection: Connection | None = None
        self.thread: int | None = None

    def bound_connection(self) -> Connection | None:
        """The test's connection for a session opened now: in the test's thread, by an app on
        the test database. Sessions of other threads and databases use their app's engine."""
        if self.connection is None or threading.get_ident() != self.thread:
            return None
        if not has_app_context() or current_app.config["SQLALCHEMY_DATABASE_URI"] != self.url:
            return None
        return self.connection


_database = _Database()


@event.listens_for(Engine, "commit")
def _committed_for_real(connection):
    # The test's own connection never commits (its outer transaction is rolled back), so this is
    # a commit other tests would see: the next rolled-back test empties the tables first.
    _database.used = True


def _bind_sessions_to_the_test_connection() -> Callable[[], None]:
    """Make ``db.session`` create sessions that join the bound connection, if any; returns
    the function that undoes it."""
    factory = db.session.session_factory
    base = factory.class_

    class TestSession(base):
        def __init__(self, *args, **kwargs):
            connection = _database.bound_connection()
            if connection is not None:
                kwargs.update(bind=connection, join_transaction_mode="create_savepoint")
            super().__init__(*args, **kwargs)

        def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
            # Flask-SQLAlchemy 3 picks the app's engine whatever the session was bound to.
            if bind is None and self.bind is not None:
                return self.bind
            return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    factory.class_ = TestSession
    return lambda: setattr(factory, "class_", base)


@pytest.fixture
def clean_db(app, request):
    """A database that looks empty to the test, and fresh rate-limit counters.

    By default the test runs in a transaction rolled back at its end (see the module's
    docstring); ``@pytest.mark.real_commits`` tests commit for real on emptied tables."""
    limiter.reset()
    paths_services.forget_frozen_versions()  # version ids start again in an emptied database
    competency_names.forget()  # and organisation ids
    forget_rolled_up()  # course ids too, and a rolled-back roll-up leaves no trace of its mark
    real_commits = request.node.get_closest_marker("real_commits") is not None
    if _database.kept and (real_commits or _database.used):
        pytest.fail("a test committed for real on data a module fixture keeps (keep_committed_data): the tests "
                    "after it would not start from that data")  # fmt: skip
    with app.app_context():
        if real_commits or _database.used:
            empty_all_tables()
        connection = None if real_commits else db.engine.connect()
    if connection is None:
        _database.used = True  # whatever its threads and processes commit stays behind
        yield
        with app.app_context():
            db.session.remove()
        return
    transaction = connection.begin()
    _database.url = app.config["SQLALCHEMY_DATABASE_URI"]
    _database.connection, _database.thread = connection, threading.get_ident()
    try:
        yield
    finally:
        _database.connection = _database.thread = None
        transaction.rollback()
        connection.close()


@pytest.fixture
def ctx(app, clean_db):
    """An application context for calling services directly."""
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app, clean_db):
    return app.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def submit(client, path: str, data: dict, *, form_page: str | None = None, **kwargs):
    """Open the page with the form (``form_page`` or ``path``), then post ``data`` with its CSRF token."""
    page = client.get(form_page or path)
    token = csrf_from(page.get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


@contextmanager
def app_session(app):
    """The test's own application context (and so its database session) when it has one,
    else a fresh one: two sessions in one test would wait on each other's locks."""
    if has_app_context():
        yield
    else:
        with app.app_context():
            yield


@contextmanager
def statements_sent(app):
    """The SQL statements the app's database is sent inside the block, as a list filled while it
    runs (the test harness's savepoints and SQLite's ``BEGIN`` left out), for tests that count
    what a page costs."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(_connection, _cursor, statement, *_args):
        if (
            not statement.lstrip()
            .upper()
            .startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN"))
        ):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def page_cost(app, client, url: str) -> tuple[int, str]:
    """GET ``url`` twice (the first visit fills this process's caches); how many statements the
    second sent, and its page."""
    client.get(url)
    with statements_sent(app) as seen:
        page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return len(seen), page.get_data(as_text=True)


@contextmanager
def committing(app):
    """An application context whose work is committed when the block ends without an error, as
    a request, job or command would commit it: for set-up and steps that call services, which
    never commit themselves (``lxp/core/unit_of_work.py``). What the block loaded stays loaded
    (no expiry at this commit), so objects it returns can still be read after it."""
    with app.app_context():
        yield
        session = db.session()
        session.expire_on_commit = False
        unit_of_work.commit()


@pytest.fixture
def organisation(app, clean_db):
    with app_session(app):
        org = Organisation(slug="acme", name="Acme Learning")
        db.session.add(org)
        db.session.commit()
        return org.id


@pytest.fixture
def other_organisation(app, clean_db):
    """A second organisation, for proving that nothing crosses the boundary; returns its id."""
    with app_session(app):
        org = Organisation(slug="other", name="Other Corp")
        db.session.add(org)
        db.session.commit()
        return org.id


@pytest.fixture
def make_user(app, organisation):
    """Create a user who can sign in with ``PASSWORD``; returns its id."""
    counter = iter(range(1, 10_000))

    def make(
        roles=("learner",),
        *,
        email=None,
        name=None,
        locale=None,
        timezone="UTC",
        active=True,
        invited=False,
        organisation_id=None,
    ) -> int:
        n = next(counter)
        with app_session(app):
            user = User(
                organisation_id=organisation_id or organisation,
                email=email or f"person{n}@example.com",
                display_name=name or f"Person {n}",
                password_hash=None if invited else _PASSWORD_HASH,
                locale=locale,
                timezone=timezone,
                active=active,
                role_rows=[UserRole(role=r) for r in roles],
            )
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


def sign_in(client, email: str, password: str = PASSWORD, remember: bool = False):
    return submit(client, "/login", {"email": email, "password": password, **({"remember": "y"} if remember else {})})


@pytest.fixture
def login_as(app, client, make_user):
    """Create a user with the given roles, sign the test client in as them, return the User."""

    def login(*roles: str, **user_fields) -> User:
        user_id = make_user(roles or ("learner",), **user_fields)
        with app.app_context():
            user = db.session.get(User, user_id)
            email = user.email
        response = sign_in(client, email)
        assert response.status_code == 302, "login failed in the login_as fixture"
        with app.app_context():
            return db.session.get(User, user_id)

    return login
