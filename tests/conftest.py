"""Fixtures every test can use: the app with a migrated database, a real SMTP server,
a test client with form helpers, factories and ``login_as``.

The database is SQLite in a temporary file, or PostgreSQL when ``LXP_TEST_DATABASE_URL``
is set (``.ci/run`` creates and drops a fresh one). The schema is built by the real
migrations, once per run; every test starts from empty tables.
"""

from __future__ import annotations

import os
import re
import socket
from contextlib import contextmanager
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from lxp import create_app
from lxp.accounts.models import Organisation, User, UserRole
from lxp.extensions import db, limiter

PASSWORD = "correct horse battery"
# Hashing with scrypt's defaults costs ~50 ms; tests create many users, so hash once.
_PASSWORD_HASH = generate_password_hash(PASSWORD)

# Hypothesis: a few examples per property while working (``dev``, the default), many in CI
# (``HYPOTHESIS_PROFILE=ci``, as ``.ci/run`` sets it). Deadlines off: a loaded machine is not a bug.
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


def database_url(tmp_path_factory) -> str:
    return os.environ.get("LXP_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'lxp-test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory, smtp_server):
    app = create_app(
        {
            "TESTING": True,
            "LXP_ENV": "testing",
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_server.port,
            "BASE_URL": "http://lxp.test",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_all_tables() -> None:
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


@pytest.fixture
def clean_db(app):
    """Empty tables and fresh rate-limit counters for the test."""
    with app.app_context():
        empty_all_tables()
    limiter.reset()
    yield
    with app.app_context():
        db.session.remove()


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
