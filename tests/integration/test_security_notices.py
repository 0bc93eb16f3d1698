"""A person hears by e-mail, through the real SMTP server, of every change to how they sign in:
password changed or reset, two-step sign-in on or off, new recovery codes, e-mail changed (at
the old address); in their language and time zone; and nothing is sent for a refused change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.extensions import db
from tests.conftest import PASSWORD, committing, sign_in, submit
from tests.integration.scim_fixtures import Scim, a_user, scim_token
from tests.integration.test_two_step import _codes_from, _next_step_code, set_up_two_step


def _subjects(mailbox, address: str) -> list[str]:
    return [str(mail["Subject"]) for mail in mailbox.to(address)]


def test_password_changes_and_resets_are_told_and_refusals_are_not(app, client, make_user, mailbox):
    make_user(email="jurgen@example.com", locale="de", timezone="Europe/Berlin")
    sign_in(client, "jurgen@example.com")
    wrong = {
        "current_password": "not mine",
        "password": "ein ganz neues passwort",
        "confirm": "ein ganz neues passwort",
    }
    assert submit(client, "/me/password", wrong, form_page="/me").status_code == 400
    assert mailbox.to("jurgen@example.com") == []
    right = {**wrong, "current_password": PASSWORD}
    assert submit(client, "/me/password", right, form_page="/me").status_code == 302
    [notice] = mailbox.to("jurgen@example.com")
    assert str(notice["Subject"]) == "Ihr lxp-Passwort wurde geändert"
    text = mailbox.text_of(notice)
    assert "http://lxp.test/me" in text and "Passwort" in text
    assert "ein ganz neues passwort" not in text
    mailbox.messages.clear()
    submit(app.test_client(), "/password/forgot", {"email": "jurgen@example.com"})
    link = mailbox.link_in(mailbox.to("jurgen@example.com")[0])
    submit(app.test_client(), link, {"password": "noch ein anderes passwort", "confirm": "noch ein anderes passwort"})
    assert _subjects(mailbox, "jurgen@example.com")[-1] == "Ihr lxp-Passwort wurde geändert"


def test_two_step_changes_are_told(app, client, login_as, mailbox):
    user = login_as("trainer", email="trainer@example.com")
    totp, _codes = set_up_two_step(client)
    assert _subjects(mailbox, user.email) == ["Two-step sign-in is now on for your lxp account"]
    renewed = submit(client, "/me/two-step/recovery-codes", {"code": _next_step_code(totp)}, form_page="/me/two-step")
    codes = _codes_from(renewed.get_data(as_text=True))
    assert _subjects(mailbox, user.email)[-1] == "New recovery codes for your lxp account"
    wrong = submit(client, "/me/two-step/off", {"password": PASSWORD, "code": "000000"}, form_page="/me/two-step")
    assert wrong.status_code == 400 and len(mailbox.to(user.email)) == 2
    off = {"password": PASSWORD, "code": codes[0]}
    assert submit(client, "/me/two-step/off", off, form_page="/me/two-step").status_code == 302
    assert _subjects(mailbox, user.email)[-1] == "Two-step sign-in is now off for your lxp account"


def test_an_e_mail_change_is_told_at_the_old_address_only(app, make_user, mailbox):
    scim = Scim(app, scim_token(app, make_user(("admin",), email="hr@example.com")))
    person = scim.post("/Users", a_user("old.address@example.com")).get_json()
    assert mailbox.messages == []  # made, not changed
    changed = scim.put(f"/Users/{person['id']}", a_user("new.address@example.com"))
    assert changed.status_code == 200
    assert _subjects(mailbox, "old.address@example.com") == ["The e-mail address of your lxp account was changed"]
    assert mailbox.to("new.address@example.com") == []
    with committing(app):
        assert db.session.scalar(select(User.email).where(User.id == int(person["id"]))) == "new.address@example.com"


def _fail_sign_in(app, email: str, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    answer = sign_in(client, email, password="not the password")
    assert answer.status_code == 200, "a wrong password is shown the form again"


def test_repeated_failed_sign_ins_are_told_once_a_window_with_time_and_place(app, make_user, mailbox, time_machine):
    make_user(email="jurgen@example.com", locale="de", timezone="Europe/Berlin")
    time_machine.move_to(datetime(2026, 12, 3, 18, 0, tzinfo=UTC))
    for minute in range(4):  # a minute apart, under the per-address limit
        time_machine.move_to(datetime(2026, 12, 3, 18, minute, tzinfo=UTC))
        _fail_sign_in(app, "jurgen@example.com", "198.51.100.4")
    assert mailbox.to("jurgen@example.com") == [], "four mistypes tell nobody"
    time_machine.move_to(datetime(2026, 12, 3, 18, 5, tzinfo=UTC))
    _fail_sign_in(app, "JURGEN@example.com", "203.0.113.9")
    [notice] = mailbox.to("jurgen@example.com")
    assert str(notice["Subject"]) == "Fehlgeschlagene Anmeldungen bei Ihrem lxp-Konto"
    text = mailbox.text_of(notice)
    assert "5 Mal" in text and "203.0.113.9" in text and "03.12.2026, 19:05" in text  # Berlin time
    assert "Passwort vergessen?" in text and "http://lxp.test/me" in text
    for minute in range(6, 12):  # the same attack goes on: no mail per try
        time_machine.move_to(datetime(2026, 12, 3, 18, minute, tzinfo=UTC))
        _fail_sign_in(app, "jurgen@example.com", "203.0.113.9")
    assert len(mailbox.to("jurgen@example.com")) == 1
    for minute in range(40, 45):  # a new window, five more failures: told again
        time_machine.move_to(datetime(2026, 12, 3, 18, minute, tzinfo=UTC))
        _fail_sign_in(app, "jurgen@example.com", "203.0.113.9")
    assert len(mailbox.to("jurgen@example.com")) == 2


def test_the_right_password_after_failures_tells_nobody_and_an_unknown_address_is_never_mailed(app, make_user,
                                                                                               mailbox):  # fmt: skip
    make_user(email="anna@example.com")
    for _ in range(3):
        _fail_sign_in(app, "anna@example.com", "198.51.100.4")
    assert sign_in(app.test_client(), "anna@example.com").status_code == 302
    for _ in range(5):
        _fail_sign_in(app, "nobody@example.com", "198.51.100.4")
    assert mailbox.messages == []


def _revoked_token(app, email: str) -> str:
    """A token of the person at ``email``, made and then revoked: its secret."""
    from lxp.accounts import api_tokens
    from tests.integration.api.conftest import make_token

    with committing(app):
        user_id = db.session.scalar(select(User.id).where(User.email == email))
    secret = make_token(app, user_id)
    with committing(app):
        user = db.session.get(User, user_id)
        api_tokens.revoke_token(user, api_tokens.tokens_of(user)[0].id)
    return secret


def _fail_through_the_api(app, secret: str, address: str) -> None:
    client = app.test_client(use_cookies=False)
    client.environ_base["REMOTE_ADDR"] = address
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401, answer.get_data(as_text=True)


def test_failed_sign_ins_through_the_api_and_the_page_are_counted_together(app, make_user, mailbox, caplog):
    from lxp.audit.models import AuditEntry

    make_user(email="kim@example.com")
    stolen = _revoked_token(app, "kim@example.com")
    for _ in range(3):
        _fail_sign_in(app, "kim@example.com", "198.51.100.4")
    _fail_through_the_api(app, stolen, "203.0.113.50")
    assert mailbox.to("kim@example.com") == [], "four failures tell nobody"
    _fail_through_the_api(app, stolen, "203.0.113.50")
    [notice] = mailbox.to("kim@example.com")
    assert str(notice["Subject"]) == "Failed sign-ins on your lxp account"
    text = mailbox.text_of(notice)
    assert "5 times" in text and "203.0.113.50" in text
    with committing(app):
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in_failed")
                                     .order_by(AuditEntry.id)).all()  # fmt: skip
        assert [e.details.get("via") for e in entries] == [None, None, None, "api", "api"]
        assert all(stolen not in str(e.details) for e in entries)  # never the secret
    assert not [r for r in caplog.records if stolen in r.getMessage()]  # nor in any log line


def test_a_token_that_never_was_one_is_recorded_without_a_person_and_tells_nobody(app, make_user, mailbox):
    from lxp.audit.models import AuditEntry

    make_user(email="lee@example.com")
    for _ in range(6):
        _fail_through_the_api(app, "lxp_pat_" + "x" * 43, "203.0.113.51")
    assert mailbox.messages == []
    with committing(app):
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in_failed")).all()
        assert len(entries) == 6 and {(e.subject_id, e.details["via"]) for e in entries} == {(None, "api")}
