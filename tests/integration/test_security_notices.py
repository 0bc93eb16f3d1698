"""A person hears by e-mail, through the real SMTP server, of every change to how they sign in:
password changed or reset, two-step sign-in on or off, new recovery codes, e-mail changed (at
the old address); in their language and time zone; and nothing is sent for a refused change."""

from __future__ import annotations

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
