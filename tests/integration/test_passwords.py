"""Forgotten passwords, resets by e-mailed link, and changing the password on the profile."""

from datetime import timedelta

import time_machine

from lxp.core.time import utcnow
from tests.conftest import PASSWORD, sign_in, submit


def test_reset_by_email_link_replaces_the_password_once(app, client, make_user, mailbox):
    make_user(email="forgetful@example.com")
    response = submit(client, "/password/forgot", {"email": "Forgetful@example.com"})
    assert "Check your e-mail" in response.get_data(as_text=True)
    [mail] = mailbox.to("forgetful@example.com")
    link = mailbox.link_in(mail)

    response = submit(client, link, {"password": "a brand new secret", "confirm": "a brand new secret"})
    assert response.headers["Location"] == "/login"
    assert sign_in(app.test_client(), "forgetful@example.com", PASSWORD).status_code == 200  # old one refused
    assert sign_in(app.test_client(), "forgetful@example.com", "a brand new secret").status_code == 302
    assert client.get(link).status_code == 404  # used links stop working


def test_a_password_reset_revokes_the_accounts_api_tokens_and_sessions(app, client, make_user, mailbox):
    """Whoever knew the old password may have made a token or kept a session: both end."""
    from tests.integration.api.conftest import ApiClient, make_token

    user_id = make_user(email="taken-over@example.com")
    intruder = app.test_client()
    sign_in(intruder, "taken-over@example.com")
    api = ApiClient(app, make_token(app, user_id), user_id)
    assert api.get("/api/v1/me").status_code == 200
    submit(client, "/password/forgot", {"email": "taken-over@example.com"})
    link = mailbox.link_in(mailbox.to("taken-over@example.com")[0])
    submit(client, link, {"password": "a brand new secret", "confirm": "a brand new secret"})
    assert api.get("/api/v1/me").status_code == 401
    assert intruder.get("/today").headers["Location"].startswith("/login")


def test_unknown_address_gets_the_same_answer_and_no_mail(client, mailbox):
    response = submit(client, "/password/forgot", {"email": "nobody@example.com"})
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_reset_link_expires_after_two_hours(client, make_user, mailbox):
    make_user(email="late@example.com")
    submit(client, "/password/forgot", {"email": "late@example.com"})
    link = mailbox.link_in(mailbox.messages[0])
    with time_machine.travel(utcnow() + timedelta(hours=2, minutes=1)):
        response = client.get(link)
    assert response.status_code == 410
    assert "Send me a new link" in response.get_data(as_text=True)


def test_mismatched_or_short_new_passwords_change_nothing(app, client, make_user, mailbox):
    make_user(email="typo@example.com")
    submit(client, "/password/forgot", {"email": "typo@example.com"})
    link = mailbox.link_in(mailbox.messages[0])
    page = submit(client, link, {"password": "a brand new secret", "confirm": "a brand new secreT"}).get_data(
        as_text=True
    )
    assert "The two passwords differ." in page
    page = submit(client, link, {"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}).get_data(as_text=True)
    assert "Use a less repetitive password." in page
    assert sign_in(app.test_client(), "typo@example.com", PASSWORD).status_code == 302


def test_changing_the_password_signs_out_other_devices_only(app, client, make_user):
    make_user(email="careful@example.com")
    sign_in(client, "careful@example.com")
    laptop = app.test_client()
    sign_in(laptop, "careful@example.com", remember=True)

    response = submit(
        client,
        "/me/password",
        {"current_password": "wrong one", "password": "another good one", "confirm": "another good one"},
        form_page="/me",
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert laptop.get("/today").status_code == 200

    response = submit(
        client,
        "/me/password",
        {"current_password": PASSWORD, "password": "another good one", "confirm": "another good one"},
        form_page="/me",
    )
    assert response.status_code == 302
    assert client.get("/today").status_code == 200
    assert laptop.get("/today").headers["Location"].startswith("/login")


LEANING = "This password is built around your name, e-mail or organisation"


def test_passwords_built_around_the_person_or_their_organisation_are_refused(app, client, make_user):
    make_user(email="olivia.walker@example.com", name="Olivia Walker-Smith")
    sign_in(client, "olivia.walker@example.com")

    def change(new: str):
        return submit(client, "/me/password", {"current_password": PASSWORD, "password": new, "confirm": new},
                      form_page="/me")  # fmt: skip

    # The organisation is "Acme Learning" (slug acme); the product is lxp.
    for guessable in ("Acme Learning 2026!", "acme-acme-2026", "OliviaWalker1985", "olivia.walker#99",
                      "Walker-Smith 2027", "lxp-LXP-lxp-26", "Learning@Acme.1"):  # fmt: skip
        response = change(guessable)
        assert response.status_code == 400, guessable
        assert LEANING in response.get_data(as_text=True), guessable
    assert sign_in(app.test_client(), "olivia.walker@example.com", PASSWORD).status_code == 302
    # Their own words around a name they like are fine.
    assert change("Olivia flies seven blue kites").status_code == 302
    assert sign_in(app.test_client(), "olivia.walker@example.com", "Olivia flies seven blue kites").status_code == 302
