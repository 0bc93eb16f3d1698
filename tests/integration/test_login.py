"""Signing in and out, the rate limit, remember-me and session time-outs."""

from datetime import timedelta

import time_machine

from lxp.accounts import services
from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import PASSWORD, committing, csrf_from, sign_in, submit

WRONG = "That e-mail and password do not match an active account."


def test_learner_signs_in_and_lands_on_today(client, make_user):
    make_user(("learner",), email="lena@example.com", name="Lena Fischer")
    response = sign_in(client, "LENA@Example.com ")  # case and spaces do not matter
    assert response.status_code == 302
    assert response.headers["Location"] == "/today"
    page = client.get("/today").get_data(as_text=True)
    assert "Hello, Lena Fischer" in page


def test_staff_land_on_their_own_start_page(client, make_user):
    make_user(("admin",), email="admin@example.com")
    assert sign_in(client, "admin@example.com").headers["Location"] == "/admin/users"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    make_user(email="known@example.com")
    wrong_password = sign_in(client, "known@example.com", "not the password")
    unknown_email = sign_in(client, "nobody@example.com", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert WRONG in wrong_password.get_data(as_text=True)
    assert WRONG in unknown_email.get_data(as_text=True)
    assert client.get("/today").status_code == 302  # still signed out


def test_invited_or_deactivated_people_cannot_sign_in(client, make_user):
    make_user(email="gone@example.com", active=False)
    make_user(email="invited@example.com", invited=True)
    for email in ("gone@example.com", "invited@example.com"):
        response = sign_in(client, email)
        assert WRONG in response.get_data(as_text=True)


def test_sixth_failed_login_within_a_minute_is_refused_with_429(client, make_user):
    make_user(email="target@example.com")
    for _ in range(5):
        assert sign_in(client, "target@example.com", "guess").status_code == 200
    blocked = sign_in(client, "target@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert client.get("/today").status_code == 302


def test_other_spellings_of_the_same_email_share_one_limit(client, make_user):
    """Full-width letters, a trailing dot, capitals and spaces are the same address: a sixth
    guess in any spelling is refused, and every spelling reaches the same account."""
    make_user(email="target@example.com")
    spellings = ("\uff54\uff41\uff52\uff47\uff45\uff54@example.com", "target@example.com.",
                 "  TARGET@Example.COM ", "target@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
                 "Target@example.com.")  # fmt: skip
    for spelling in spellings:
        assert sign_in(client, spelling, "guess").status_code == 200, spelling
    blocked = sign_in(client, "\uff34arget@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert client.get("/today").status_code == 302


def test_a_full_width_spelling_signs_in_to_the_same_account(client, make_user):
    make_user(email="wide@example.com", name="Wide Person")
    assert sign_in(client, "\uff57\uff49\uff44\uff45@example.com.").status_code == 302
    assert "Hello, Wide Person" in client.get("/today").get_data(as_text=True)


def test_an_account_is_throttled_across_addresses_and_spellings(app, make_user):
    """Guesses from many addresses, each under the per-address limit, still add up per account:
    past ``LOGIN_ACCOUNT_RATE_LIMIT`` even the right password is refused, from anywhere."""
    make_user(email="victim@example.com")
    make_user(email="bystander@example.com")
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    for n in range(limit):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"203.0.113.{n // 4 + 1}"
        spelling = "victim@example.com" if n % 2 else "VICTIM@example.com."
        assert sign_in(attacker, spelling, f"guess {n}").status_code == 200
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    blocked = sign_in(owner, "victim@example.com", PASSWORD)
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    assert owner.get("/today").status_code == 302
    # Another account is not affected.
    assert sign_in(owner, "bystander@example.com", PASSWORD).status_code == 302


def test_successful_logins_do_not_use_up_the_limit(client, make_user):
    make_user(email="often@example.com")
    for _ in range(7):
        assert sign_in(client, "often@example.com").status_code == 302
        submit(client, "/logout", {}, form_page="/today")


def test_login_renews_the_session(client, make_user):
    make_user(email="fixation@example.com")
    token_before_login = csrf_from(client.get("/login").get_data(as_text=True))
    sign_in(client, "fixation@example.com")
    # A token from the pre-login session is worthless afterwards: the session was replaced.
    response = client.post("/logout", data={"csrf_token": token_before_login})
    assert response.status_code == 400
    assert client.get("/today").status_code == 200


def test_next_parameter_only_leads_to_local_pages(client, make_user):
    make_user(email="next@example.com")
    page = client.get("/login?next=//evil.example/steal")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/steal",
        data={"csrf_token": token, "email": "next@example.com", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/today"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/me").get_data(as_text=True))})
    response = client.get("/me")
    assert response.headers["Location"].startswith("/login?next=")
    token = csrf_from(client.get(response.headers["Location"]).get_data(as_text=True))
    response = client.post(
        response.headers["Location"], data={"csrf_token": token, "email": "next@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/me"


def test_logout_ends_the_session(client, make_user):
    make_user(email="bye@example.com")
    sign_in(client, "bye@example.com")
    response = submit(client, "/logout", {}, form_page="/today", follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)
    assert client.get("/today").headers["Location"].startswith("/login")


def test_a_copy_of_the_session_cookie_is_worthless_after_sign_out(app, client, make_user):
    """The session lives in a signed cookie; whoever copied it (a shared computer, a leaked
    header) must not stay signed in after the person signed out."""
    make_user(email="copied@example.com")
    sign_in(client, "copied@example.com", remember=True)
    thief = app.test_client()
    for name in ("session", "remember_token"):
        thief.set_cookie(name, client.get_cookie(name).value)
    assert thief.get("/today").status_code == 200
    submit(client, "/logout", {}, form_page="/today")
    assert thief.get("/today").headers["Location"].startswith("/login")
    assert client.get("/today").headers["Location"].startswith("/login")
    assert sign_in(client, "copied@example.com").status_code == 302  # signing in again works


def test_logout_needs_post_with_csrf(client, make_user):
    make_user(email="stay@example.com")
    sign_in(client, "stay@example.com")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/today").status_code == 200


def test_remember_me_survives_the_browser_closing(app, make_user):
    make_user(email="remember@example.com")
    make_user(email="forget@example.com")
    for email, remembered in (("remember@example.com", True), ("forget@example.com", False)):
        client = app.test_client()
        sign_in(client, email, remember=remembered)
        client.delete_cookie("session")  # what closing the browser does to a session cookie
        assert (client.get("/today").status_code == 200) is remembered


def test_idle_session_expires(app, make_user):
    make_user(email="idle@example.com")
    client = app.test_client()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        sign_in(client, "idle@example.com")
        traveller.shift(timedelta(minutes=100))
        assert client.get("/today").status_code == 200  # activity renews the idle clock
        traveller.shift(timedelta(minutes=100))
        assert client.get("/today").status_code == 200
        traveller.shift(timedelta(minutes=121))
        assert client.get("/today").headers["Location"].startswith("/login")


def test_absolute_session_time_out_signs_out_however_active(app, make_user):
    make_user(email="busy@example.com")
    client = app.test_client()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        sign_in(client, "busy@example.com")
        for _ in range(11):
            traveller.shift(timedelta(hours=1))
            assert client.get("/today").status_code == 200
        traveller.shift(timedelta(hours=1, minutes=1))
        response = client.get("/today", follow_redirects=True)
        assert "Your session has ended. Please sign in again." in response.get_data(as_text=True)


def test_deactivation_ends_running_sessions_and_remember_cookies(app, make_user):
    admin_id = make_user(("admin",), email="boss@example.com")
    user_id = make_user(email="leaver@example.com")
    client = app.test_client()
    sign_in(client, "leaver@example.com", remember=True)
    assert client.get("/today").status_code == 200
    with app.test_request_context():
        services.set_active(db.session.get(User, admin_id), db.session.get(User, user_id), False)
        unit_of_work.commit()  # what the admin's request would commit
    assert client.get("/today").headers["Location"].startswith("/login")
    client.delete_cookie("session")
    assert client.get("/today").headers["Location"].startswith("/login")


def test_sign_in_is_recorded_as_a_learning_event(app, client, make_user):
    from lxp.events import LearningEvent

    user_id = make_user(email="events@example.com")
    sign_in(client, "events@example.com")
    with committing(app):
        events = db.session.query(LearningEvent).filter_by(actor_id=user_id).all()
        assert [e.verb for e in events] == ["logged-in"]
        assert db.session.get(User, user_id).last_login_at is not None


def test_failed_api_sign_ins_count_toward_the_account_limit_with_the_pages(app, make_user):
    """A revoked token tried through the API is a failed sign-in of its owner: half the
    failures there and half on the page still lock the account's password for now."""
    from lxp.accounts import api_tokens
    from tests.integration.api.conftest import make_token

    owner_id = make_user(email="target@example.com")
    secret = make_token(app, owner_id)
    with committing(app):
        owner = db.session.get(User, owner_id)
        api_tokens.revoke_token(owner, api_tokens.tokens_of(owner)[0].id)
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    for n in range(limit):
        attacker = app.test_client(use_cookies=not n % 2)  # the API call sends no cookie
        attacker.environ_base["REMOTE_ADDR"] = f"203.0.113.{n // 4 + 1}"
        if n % 2:
            assert attacker.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        else:
            assert sign_in(attacker, "target@example.com", f"guess {n}").status_code == 200
    person = app.test_client()
    person.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert sign_in(person, "target@example.com", PASSWORD).status_code == 429
