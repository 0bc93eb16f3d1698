"""Inviting people one by one and by CSV, and accepting or renewing an invitation."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import committing, sign_in, submit


def _users(app):
    with committing(app):
        return {u.email: u for u in db.session.execute(select(User)).scalars()}


def _invite(client, **fields):
    data = {
        "email": "new.person@example.com",
        "display_name": "New Person",
        "roles": ["learner"],
        "locale": "de",
        "timezone": "Europe/Berlin",
        **fields,
    }
    return submit(client, "/admin/users/invite", data)


def test_admin_invites_a_person_who_sets_a_password_and_starts(app, client, login_as, mailbox):
    login_as("admin")
    response = _invite(client)
    assert response.status_code == 302
    [mail] = mailbox.to("new.person@example.com")
    # The mail is written in the invitee's language.
    assert mail["Subject"] and mail.get_body(preferencelist=("html",)) is not None
    link = mailbox.link_in(mail)

    newcomer = app.test_client()
    page = newcomer.get(link)
    assert page.status_code == 200 and "New Person" in page.get_data(as_text=True)
    response = submit(newcomer, link, {"password": "a fine new password", "confirm": "a fine new password"})
    assert response.headers["Location"] == "/today"
    assert newcomer.get("/today").status_code == 200

    # The link is single-use, and the password works from now on.
    assert newcomer.get(link).status_code == 404
    other = app.test_client()
    assert sign_in(other, "new.person@example.com", "a fine new password").status_code == 302
    invited = _users(app)["new.person@example.com"]
    assert invited.roles == {"learner"} and invited.locale == "de" and invited.timezone == "Europe/Berlin"


def test_invitation_with_a_short_password_is_refused_and_nothing_changes(app, client, login_as, mailbox):
    login_as("admin")
    _invite(client)
    link = mailbox.link_in(mailbox.to("new.person@example.com")[0])
    newcomer = app.test_client()
    response = submit(newcomer, link, {"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert _users(app)["new.person@example.com"].invitation_pending


def test_an_email_already_in_use_is_refused_whatever_its_case(app, client, login_as, make_user, mailbox):
    make_user(email="taken@example.com")
    login_as("admin")
    response = _invite(client, email="Taken@Example.COM")
    assert response.status_code == 400
    assert "already has an account" in response.get_data(as_text=True)
    assert len(_users(app)) == 2
    assert mailbox.messages == []


def test_invalid_time_zone_and_missing_role_are_shown_on_the_form(app, client, login_as, mailbox):
    login_as("admin")
    response = _invite(client, roles=[])
    assert "Choose at least one role." in response.get_data(as_text=True)
    response = _invite(client, timezone="Mars/Olympus")
    assert response.status_code == 400
    assert "new.person@example.com" not in _users(app)
    assert mailbox.messages == []


def test_expired_invitation_offers_a_new_one_that_works(app, client, login_as, mailbox):
    with time_machine.travel(utcnow() - timedelta(days=8)):
        login_as("admin")
        _invite(client)
    old_link = mailbox.link_in(mailbox.to("new.person@example.com")[0])
    mailbox.messages.clear()

    newcomer = app.test_client()
    page = newcomer.get(old_link)
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    response = submit(newcomer, "/invitation/renew", {"email": "new.person@example.com"}, form_page=old_link)
    assert "Check your e-mail" in response.get_data(as_text=True)
    new_link = mailbox.link_in(mailbox.to("new.person@example.com")[0])
    assert newcomer.get(new_link).status_code == 200


def test_asking_for_a_new_invitation_reveals_nothing_about_unknown_addresses(client, mailbox):
    response = submit(client, "/invitation/renew", {"email": "stranger@example.com"})
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_tampered_invitation_link_is_refused(client, login_as, mailbox):
    login_as("admin")
    _invite(client)
    link = mailbox.link_in(mailbox.to("new.person@example.com")[0])
    response = client.get(link[:-3] + "abc")
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)


def test_admin_can_resend_an_invitation(app, client, login_as, make_user, mailbox):
    login_as("admin")
    invited_id = make_user(email="slow@example.com", invited=True)
    response = submit(
        client, f"/admin/users/{invited_id}/resend-invitation", {}, form_page=f"/admin/users/{invited_id}"
    )
    assert response.status_code == 302
    assert len(mailbox.to("slow@example.com")) == 1


GOOD_CSV = (
    "email,name,roles,locale,timezone\n"
    "maria@example.com,María López,learner,de,Europe/Berlin\n"
    "ivan@example.com,Иван Петров,learner;trainer,ru,Europe/Moscow\n"
    "sam@example.com,Sam Lee,learner,,\n"
)


def _upload(client, content: bytes, filename="people.csv"):
    from io import BytesIO

    return submit(
        client, "/admin/users/import", {"file": (BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def test_csv_import_invites_everyone_in_the_file(app, client, login_as, mailbox):
    login_as("admin")
    response = _upload(client, GOOD_CSV.encode())
    assert response.status_code == 302
    users = _users(app)
    assert users["ivan@example.com"].roles == {"learner", "trainer"}
    assert users["ivan@example.com"].display_name == "Иван Петров"
    assert users["sam@example.com"].timezone == "UTC" and users["sam@example.com"].locale is None
    assert {m["X-Envelope-To"] for m in mailbox.messages} == {
        "maria@example.com",
        "ivan@example.com",
        "sam@example.com",
    }


def test_csv_with_semicolons_from_a_german_spreadsheet_works(app, client, login_as):
    login_as("admin")
    content = "email;name;roles\r\nmaria@example.com;María López;learner\r\n".encode("utf-8-sig")
    assert _upload(client, content).status_code == 302
    assert "maria@example.com" in _users(app)


def test_bad_csv_rows_are_reported_by_line_and_nothing_is_written(app, client, login_as, make_user, mailbox):
    make_user(email="exists@example.com")
    login_as("admin")
    content = (
        "email,name,roles,locale,timezone\n"
        "ok@example.com,Fine Person,learner,en,UTC\n"
        "not-an-email,Broken Address,learner,en,UTC\n"
        "exists@example.com,Already Here,learner,,\n"
        "ok@example.com,Twice Listed,learner,,\n"
        "role@example.com,Odd Role,wizard,,\n"
        "zone@example.com,Odd Zone,learner,en,Europe/Atlantis\n"
    )
    before = set(_users(app))
    response = _upload(client, content.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in page
    assert "Line 3: email: Enter a valid e-mail address." in page
    assert "Line 4: exists@example.com already has an account." in page
    assert "Line 5: ok@example.com is already on line 2." in page
    assert "Line 6: roles: Unknown role: wizard." in page
    assert "Line 7: timezone: Unknown time zone: Europe/Atlantis." in page
    assert set(_users(app)) == before
    assert mailbox.messages == []


def test_csv_without_the_required_columns_or_not_utf8_is_refused(app, client, login_as):
    login_as("admin")
    response = _upload(client, b"mail,fullname\nx@example.com,X\n")
    assert "Line 1: These columns are missing from the header row: email, name, roles." in response.get_data(
        as_text=True
    )
    response = _upload(client, "email,name,roles\nm@example.com,Müller,learner\n".encode("latin-1"))
    assert "The file is not UTF-8 text" in response.get_data(as_text=True)
    response = _upload(client, b"email,name,roles\n")
    assert "The file has no people in it." in response.get_data(as_text=True)
    assert len(_users(app)) == 1
