"""The audit trail and the security log: each security event leaves an entry and one JSON line
on ``lxp.security``, and neither ever holds the password or token the test used."""

import csv
import io
import json
import logging
import re

import pytest
from sqlalchemy import select

from lxp.accounts import tokens
from lxp.accounts.models import User
from lxp.audit import services as audit
from lxp.audit.models import AuditEntry
from lxp.extensions import db
from tests.conftest import PASSWORD, committing, sign_in, submit

NEW_PASSWORD = "a brand new passphrase 42"
WRONG_PASSWORD = "not-the-right-one-77"


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def security_lines():
    """Every line written to the ``lxp.security`` logger during the test."""
    handler = _Lines()
    logger = logging.getLogger("lxp.security")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def _entries(app, action: str) -> list[AuditEntry]:
    with committing(app):
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _logged(lines: list[str], action: str) -> list[dict]:
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    return [line for line in parsed if line["event"] == action]


def _no_secret(app, lines: list[str], *secrets: str) -> None:
    """No entry of the trail and no log line contains any of ``secrets``."""
    with committing(app):
        stored = [
            json.dumps({"details": e.details, "subject": e.subject_id}) for e in db.session.scalars(select(AuditEntry))
        ]
    for text in [*stored, *lines]:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into the audit trail or the security log: {text}"


def test_sign_in_and_sign_out_are_recorded(app, client, make_user, security_lines):
    person = make_user(email="ines@example.com")
    assert sign_in(client, "ines@example.com").status_code == 302
    [entry] = _entries(app, "sign_in")
    assert (entry.actor_id, entry.subject_id) == (person, str(person))
    [line] = _logged(security_lines, "sign_in")
    assert line["actor_id"] == person and line["organisation_id"] == entry.organisation_id
    submit(client, "/logout", {}, form_page="/me")
    assert [e.actor_id for e in _entries(app, "sign_out")] == [person]
    assert _logged(security_lines, "sign_out")
    _no_secret(app, security_lines, PASSWORD)


@pytest.mark.parametrize(
    "typed", ["ines@example.com", "INES@Example.COM.", "ｉｎｅｓ@example.com", "nobody@example.com"]
)
def test_a_failed_sign_in_notes_the_normalised_email_not_the_password(app, client, make_user, security_lines, typed):
    person = make_user(email="ines@example.com")
    response = sign_in(client, typed, WRONG_PASSWORD)
    assert response.status_code == 200
    [entry] = _entries(app, "sign_in_failed")
    expected = "nobody@example.com" if typed.startswith("nobody") else "ines@example.com"
    assert entry.details == {"email": expected}
    assert entry.subject_id == (None if typed.startswith("nobody") else str(person))
    [line] = _logged(security_lines, "sign_in_failed")
    assert line["details"]["email"] == expected
    _no_secret(app, security_lines, WRONG_PASSWORD, PASSWORD)


def test_password_change_is_recorded_without_either_password(app, client, login_as, security_lines):
    user = login_as("learner")
    response = submit(client, "/me/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD}, form_page="/me")  # fmt: skip
    assert response.status_code == 302
    assert [e.actor_id for e in _entries(app, "password_changed")] == [user.id]
    assert _logged(security_lines, "password_changed")
    _no_secret(app, security_lines, PASSWORD, NEW_PASSWORD)


def test_password_reset_is_recorded_without_the_link_or_the_password(app, client, make_user, security_lines):
    person = make_user(email="reset@example.com")
    with app.test_request_context():
        token = tokens.make_token(db.session.get(User, person), tokens.PASSWORD_RESET)
    response = submit(client, f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    [entry] = _entries(app, "password_reset")
    assert entry.subject_id == str(person)
    _no_secret(app, security_lines, token, NEW_PASSWORD)


def test_role_change_and_deactivation_are_recorded(app, client, login_as, make_user, security_lines):
    person = make_user(("learner",))
    admin = login_as("admin")
    submit(client, f"/admin/users/{person}", {"roles": ["learner", "trainer"]})
    [entry] = _entries(app, "roles_changed")
    assert (entry.actor_id, entry.subject_id) == (admin.id, str(person))
    assert entry.details == {"before": ["learner"], "after": ["learner", "trainer"]}
    submit(client, f"/admin/users/{person}/deactivate", {}, form_page=f"/admin/users/{person}")
    assert [e.subject_id for e in _entries(app, "account_deactivated")] == [str(person)]
    assert _logged(security_lines, "roles_changed") and _logged(security_lines, "account_deactivated")
    _no_secret(app, security_lines, PASSWORD)


def test_invitation_sent_and_accepted_are_recorded_without_the_link(app, client, login_as, security_lines, mailbox):
    admin = login_as("admin")
    response = submit(client, "/admin/users/invite", {"email": "new@example.com", "display_name": "New Person",
                                                      "roles": ["learner"], "locale": "", "timezone": "UTC"})  # fmt: skip
    assert response.status_code == 302
    [sent] = _entries(app, "invitation_sent")
    assert sent.actor_id == admin.id
    with committing(app):
        invited = db.session.scalar(select(User).where(User.email == "new@example.com"))
        token = tokens.make_token(invited, tokens.INVITATION)
    client.post("/logout")
    response = submit(client, f"/invitation/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    [accepted] = _entries(app, "invitation_accepted")
    assert accepted.actor_id == invited.id
    _no_secret(app, security_lines, token, NEW_PASSWORD, PASSWORD)


def test_api_token_created_and_revoked_are_recorded_without_the_secret(app, client, login_as, security_lines):
    user = login_as("learner")
    page = submit(client, "/me/tokens", {"name": "My phone", "scopes": ["read"]}).get_data(as_text=True)
    secret = re.search(r"lxp_pat_[A-Za-z0-9_-]+", page).group(0)
    [created] = _entries(app, "api_token_created")
    assert created.actor_id == user.id and created.details["name"] == "My phone"
    submit(client, f"/me/tokens/{created.subject_id}/revoke", {}, form_page="/me/tokens")
    assert [e.subject_id for e in _entries(app, "api_token_revoked")] == [created.subject_id]
    _no_secret(app, security_lines, secret, secret[len("lxp_pat_") + 4 :])


def test_admin_reads_filters_pages_and_downloads_the_trail(app, client, make_user, login_as, other_organisation):
    learner = make_user(email="lea@example.com", name="Lea Learner")
    make_user(email="far@other.example", name="Far Away", organisation_id=other_organisation)
    for _ in range(3):
        sign_in(client, "lea@example.com", WRONG_PASSWORD)
    sign_in(client, "far@other.example", WRONG_PASSWORD)
    admin = login_as("admin", timezone="Asia/Tokyo")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count('data-action="sign_in_failed"') == 3  # the other organisation's is not shown
    assert "far@other.example" not in page
    assert "Lea Learner" in page
    only = client.get("/admin/audit?action=sign_in").get_data(as_text=True)
    assert 'data-action="sign_in"' in only and "sign_in_failed" not in only.split("<tbody>")[1]
    person = client.get("/admin/audit?person=LEA@example.com").get_data(as_text=True)
    assert person.count("<tr data-action") == 3
    refused = client.get("/admin/audit?person=far@other.example")
    assert refused.status_code == 400 and "Nobody in your organisation has this e-mail." in refused.get_data(
        as_text=True
    )
    backwards = client.get("/admin/audit?start=2026-05-02&end=2026-05-01")
    assert backwards.status_code == 400 and "The end date is before the start date." in backwards.get_data(as_text=True)
    with committing(app):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.actor_id == admin.id))
        local_day = entry.at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")).date()
    day = client.get(f"/admin/audit?start={local_day}&end={local_day}").get_data(as_text=True)
    assert 'data-action="sign_in"' in day
    none = client.get("/admin/audit?start=2001-01-01&end=2001-01-02").get_data(as_text=True)
    assert "Nothing in the trail matches this filter." in none
    download = client.get("/admin/audit.csv?action=sign_in_failed")
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 3 and {r["subject"] for r in rows} == {"Lea Learner"}
    assert all(json.loads(r["details"]) == {"email": "lea@example.com"} for r in rows)
    assert rows[0]["subject_id"] == str(learner)


def test_the_trail_pages(app, client, make_user, login_as, organisation):
    person = make_user(email="lea@example.com")
    with committing(app):
        for _ in range(55):
            audit.record("sign_in_failed", organisation_id=organisation, subject_type="user", subject_id=person)
    login_as("admin")
    first = client.get("/admin/audit?action=sign_in_failed").get_data(as_text=True)
    assert first.count("<tr data-action") == 50 and "Page 1 of 2" in first
    second = client.get("/admin/audit?action=sign_in_failed&page=2").get_data(as_text=True)
    assert second.count("<tr data-action") == 5


def test_only_admins_see_the_trail(client, login_as):
    login_as("trainer")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_refused_access_is_recorded_but_a_crawler_cannot_flood_the_trail(app, client, login_as, make_user):
    from lxp.audit.refusals import LIMIT
    from tests.integration.api.conftest import ApiClient, make_token

    learner = login_as("learner")
    assert client.get("/admin/users").status_code == 403
    [entry] = _entries(app, "access_refused")
    assert (entry.actor_id, entry.organisation_id) == (learner.id, learner.organisation_id)
    assert entry.details["path"] == "/admin/users" and entry.details["method"] == "GET"
    # A POST that is refused keeps nothing of its own, but the entry stays.
    assert submit(client, "/admin/users/invite", {"email": "x@example.com"}, form_page="/today").status_code == 403
    assert len(_entries(app, "access_refused")) == 2
    for _ in range(60):  # a crawler
        assert client.get("/admin/users").status_code == 403
    limit = int(LIMIT.split()[0])
    entries = _entries(app, "access_refused")
    assert len(entries) == limit and entries[-1].details["more_not_recorded"] is True
    # Someone else is still recorded, also through the API with a token.
    other = make_user(email="other@example.com")
    api = ApiClient(app, make_token(app, other), other)
    assert api.get("/api/v1/admin/users").status_code == 403
    assert [e.actor_id for e in _entries(app, "access_refused")][-1] == other
