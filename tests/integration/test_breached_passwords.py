"""Passwords from breach lists are refused wherever a password is set (invitation, reset,
change, the first admin's link from `flask lxp init`), offline, with a clear message, and
nothing changes."""

import gzip
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.security import check_password_hash

from lxp.accounts import common_passwords, services, tokens
from lxp.accounts.models import User
from lxp.core.errors import Invalid
from lxp.extensions import db
from tests.conftest import PASSWORD, sign_in, submit
from tests.integration.fresh_install import migrate, sign_in_link

MESSAGE = "This password appears in lists of passwords leaked from other sites"


def _sample(n: int) -> list[str]:
    with gzip.open(common_passwords.LIST_FILE, "rt", encoding="utf-8") as lines:
        known = [line.rstrip("\n") for line in lines]
    return random.Random(16).sample(known, n)


def test_the_shipped_list_is_large_and_every_entry_is_refused():
    assert common_passwords.size() > 100_000
    for password in _sample(200):
        assert common_passwords.is_common(password) and common_passwords.is_common(password.upper())


@settings(max_examples=50)
@given(st.sampled_from(_sample(2000)))
def test_the_rules_refuse_a_breached_password_with_the_reason(password):
    try:
        services.check_password_rules(password)
    except Invalid as refusal:
        assert refusal.field == "password"
        assert MESSAGE in str(refusal.message) or "repetitive" in str(refusal.message)
    else:
        raise AssertionError(f"{password!r} was accepted")


def test_changing_to_a_breached_password_is_refused_and_nothing_changes(app, client, login_as):
    user = login_as("learner")
    answer = submit(client, "/me/password", {"current_password": PASSWORD, "password": "Password1234",
                                              "confirm": "Password1234"}, form_page="/me")  # fmt: skip
    assert answer.status_code == 400 and MESSAGE in answer.get_data(as_text=True)
    with app.app_context():
        assert check_password_hash(db.session.get(User, user.id).password_hash, PASSWORD)


def test_a_reset_to_a_breached_password_is_refused(app, client, make_user, mailbox):
    make_user(email="forgetful@example.com")
    submit(client, "/password/forgot", {"email": "forgetful@example.com"})
    link = mailbox.link_in(mailbox.to("forgetful@example.com")[0])
    answer = submit(client, link, {"password": "qwertyuiop123", "confirm": "qwertyuiop123"})
    assert answer.status_code == 200 and MESSAGE in answer.get_data(as_text=True)
    assert sign_in(app.test_client(), "forgetful@example.com", PASSWORD).status_code == 302  # unchanged
    good = submit(client, link, {"password": "a brand new secret", "confirm": "a brand new secret"})
    assert good.headers["Location"] == "/login"  # the link still works for a good one


def test_an_invitation_cannot_be_accepted_with_a_breached_password(app, client, make_user):
    user_id = make_user(email="new@example.com", invited=True)
    with app.app_context():
        link = f"/invitation/{tokens.make_token(db.session.get(User, user_id), tokens.INVITATION)}"
    answer = submit(client, link, {"password": "1q2w3e4r5t6y", "confirm": "1q2w3e4r5t6y"})
    assert answer.status_code == 200 and MESSAGE in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).invitation_pending


def test_the_first_admins_link_from_flask_lxp_init_refuses_a_breached_password(fresh_app):
    migrate(fresh_app)
    init = fresh_app.test_cli_runner().invoke(args=["lxp", "init", "--organisation", "hansa", "--name", "Hansa",
                                                    "--admin", "anna@hansa.example"])  # fmt: skip
    assert init.exit_code == 0, init.output
    admin = fresh_app.test_client()
    link = sign_in_link(init.output)
    answer = submit(admin, link, {"password": "football123", "confirm": "football123"})
    assert answer.status_code == 200 and MESSAGE in answer.get_data(as_text=True)
    assert submit(admin, link, {"password": "harbour cranes 2027", "confirm": "harbour cranes 2027"}).status_code == 302


def test_the_message_is_translated(client, login_as):
    login_as("learner", locale="de")
    answer = submit(client, "/me/password", {"current_password": PASSWORD, "password": "Password1234",
                                              "confirm": "Password1234"}, form_page="/me")  # fmt: skip
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and MESSAGE not in page and "Passwort" in page
