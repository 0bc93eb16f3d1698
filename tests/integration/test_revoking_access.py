"""Sessions a company can revoke: deactivation shuts a person out at once (sessions, remember-me,
API tokens, push), "sign out everywhere else" on the profile, and a password change that asks
which API tokens to keep."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts import api_tokens
from lxp.accounts import services as accounts
from lxp.accounts.models import User
from lxp.extensions import db
from lxp.push.models import PushSubscription
from tests.conftest import PASSWORD, committing, sign_in, submit
from tests.integration.api.conftest import ApiClient, make_token


def _subscribe(app, user_id: int, endpoint: str) -> None:
    with committing(app):
        db.session.add(PushSubscription(user_id=user_id, endpoint=endpoint, p256dh="k" * 87, auth="a" * 22))


def test_deactivating_a_person_ends_sessions_tokens_and_push_at_once(app, client, login_as, make_user):
    login_as("admin")
    person = make_user(email="leaver@example.com")
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, "leaver@example.com")
    sign_in(laptop, "leaver@example.com", remember=True)
    api = ApiClient(app, make_token(app, person), person)
    _subscribe(app, person, "https://push.example/leaver-phone")
    assert api.get("/api/v1/me").status_code == 200 and phone.get("/today").status_code == 200

    response = submit(client, f"/admin/users/{person}/deactivate", {}, form_page=f"/admin/users/{person}")
    assert response.status_code == 302
    assert phone.get("/today").headers["Location"].startswith("/login")
    assert laptop.get("/today").headers["Location"].startswith("/login")  # the remember-me cookie too
    assert api.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == person)).all() == []
        assert all(not t.active for t in api_tokens.tokens_of(db.session.get(User, person)))
    assert sign_in(app.test_client(), "leaver@example.com").status_code == 200  # refused


def test_deactivate_is_one_service_that_repeats_harmlessly(app, make_user):
    person = make_user(email="twice@example.com")
    with committing(app):
        user = db.session.get(User, person)
        accounts.deactivate(user)
        version = user.auth_version
        accounts.deactivate(user)
        assert (user.active, user.auth_version) == (False, version)


def test_sign_out_everywhere_else_keeps_this_device(app, client, make_user):
    person = make_user(email="careful@example.com")
    sign_in(client, "careful@example.com")
    other = app.test_client()
    sign_in(other, "careful@example.com", remember=True)
    api = ApiClient(app, make_token(app, person), person)
    page = client.get("/me").get_data(as_text=True)
    assert "Sign out everywhere else" in page
    assert submit(client, "/me/sign-out-everywhere", {}, form_page="/me").status_code == 302
    assert client.get("/today").status_code == 200
    assert other.get("/today").headers["Location"].startswith("/login")
    assert api.get("/api/v1/me").status_code == 200  # tokens are managed on their own page


def test_a_password_change_asks_which_tokens_to_keep_and_revokes_the_rest(app, client, make_user):
    person = make_user(email="tidy@example.com")
    sign_in(client, "tidy@example.com")
    keep = ApiClient(app, make_token(app, person, name="My phone"), person)
    drop = ApiClient(app, make_token(app, person, name="Old script"), person)
    page = client.get("/me").get_data(as_text=True)
    assert "Keep these access tokens working" in page
    with app.app_context():
        ids = {t.name: t.id for t in api_tokens.tokens_of(db.session.get(User, person))}
    response = submit(client, "/me/password", {"current_password": PASSWORD, "password": "another good one",
                                               "confirm": "another good one", "keep_tokens": [str(ids["My phone"])]},
                      form_page="/me")  # fmt: skip
    assert response.status_code == 302
    assert keep.get("/api/v1/me").status_code == 200
    assert drop.get("/api/v1/me").status_code == 401
    assert "1 access token is revoked." in client.get("/me").get_data(as_text=True)


def test_by_default_a_password_change_revokes_every_token(app, client, make_user):
    person = make_user(email="default@example.com")
    sign_in(client, "default@example.com")
    api = ApiClient(app, make_token(app, person), person)
    submit(client, "/me/password", {"current_password": PASSWORD, "password": "another good one",
                                    "confirm": "another good one"}, form_page="/me")  # fmt: skip
    assert api.get("/api/v1/me").status_code == 401
