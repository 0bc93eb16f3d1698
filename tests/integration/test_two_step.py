"""Two-step sign-in (TOTP): set-up on the profile, the code after the password, recovery
codes, turning it off, and the organisation's requirement. Codes are computed with pyotp
from the secret the page shows, as an authenticator app would."""

import re
import time

import pyotp
import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lxp.accounts.models import Organisation, RecoveryCode, User
from lxp.extensions import db
from tests.conftest import PASSWORD, committing, csrf_from, sign_in, submit

CODE_PAGE = "/login/code"


def _secret_from(page: str) -> str:
    match = re.search(r"data-totp-secret>([A-Z2-7]+)<", page)
    assert match, "the set-up page shows no secret"
    return match.group(1)


def _codes_from(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)


def set_up_two_step(client) -> tuple[pyotp.TOTP, list[str]]:
    """Walk the profile's set-up as a person would; return the app's TOTP and the recovery codes."""
    assert submit(client, "/me/two-step/start", {}, form_page="/me/two-step").status_code == 302
    page = client.get("/me/two-step")
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "<svg" in html and "qr-code" in html  # the QR code, inline
    totp = pyotp.TOTP(_secret_from(html))
    answer = client.post("/me/two-step/confirm", data={"csrf_token": csrf_from(html), "code": totp.now()})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    codes = _codes_from(answer.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


def _sign_out(client):
    page = client.get("/me").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})


def _enrolled(client, login_as, *roles):
    user = login_as(*(roles or ("trainer",)))
    totp, codes = set_up_two_step(client)
    _sign_out(client)
    return user, totp, codes


def _next_step_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    return totp.at(time.time() + 30 * steps)


def test_setting_up_shows_a_secret_and_qr_and_turns_on_with_a_code(app, client, login_as):
    user = login_as("trainer")
    totp, codes = set_up_two_step(client)
    assert client.get("/me").get_data(as_text=True).count("On: sign-in asks for a code") == 1
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.two_step_enabled and stored.totp_secret == totp.secret
        hashes = {row.code_hash for row in db.session.query(RecoveryCode).filter_by(user_id=user.id)}
    assert len(hashes) == 10 and not any(code.replace("-", "") in "".join(hashes) for code in codes)


def test_a_wrong_code_does_not_turn_it_on(app, client, login_as):
    user = login_as("admin")
    submit(client, "/me/two-step/start", {}, form_page="/me/two-step")
    html = client.get("/me/two-step").get_data(as_text=True)
    wrong = f"{(int(pyotp.TOTP(_secret_from(html)).now()) + 1) % 1_000_000:06d}"
    answer = client.post("/me/two-step/confirm", data={"csrf_token": csrf_from(html), "code": wrong})
    assert answer.status_code == 400
    assert "That code does not match" in answer.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(User, user.id).two_step_enabled


def test_sign_in_asks_for_the_code_after_the_password(client, login_as):
    user, totp, _ = _enrolled(client, login_as)
    answer = sign_in(client, user.email)
    assert answer.status_code == 302 and answer.headers["Location"] == CODE_PAGE
    done = submit(client, CODE_PAGE, {"code": _next_step_code(totp)})
    assert done.status_code == 302 and done.headers["Location"] == "/desk"
    assert client.get("/desk").status_code == 200


def test_the_half_signed_in_state_grants_nothing(client, login_as):
    user, _totp, _ = _enrolled(client, login_as, "admin")
    assert sign_in(client, user.email).headers["Location"] == CODE_PAGE
    for path in ("/admin/users", "/me", "/today", "/me/two-step", "/admin/two-step"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), path
    assert client.get("/api/v1/me").status_code == 401


def test_a_code_works_once_and_codes_of_the_steps_around_now_are_accepted(client, login_as):
    user, totp, _ = _enrolled(client, login_as)
    with time_machine.travel(time.time() + 90):  # two steps after the set-up's code
        sign_in(client, user.email)
        code = totp.at(time.time() - 30)  # the phone's clock is a little behind
        assert submit(client, CODE_PAGE, {"code": code}).status_code == 302
        _sign_out(client)
        sign_in(client, user.email)
        replay = submit(client, CODE_PAGE, {"code": code})
        assert replay.status_code == 200 and "That code does not match" in replay.get_data(as_text=True)
        assert client.get("/desk").status_code == 302
        older = submit(client, CODE_PAGE, {"code": totp.at(time.time() - 60)})  # before the last one used
        assert older.status_code == 200


@pytest.mark.parametrize("steps", [-3, -2, 2, 3])
def test_codes_further_than_one_step_away_are_refused(client, login_as, steps):
    user, totp, _ = _enrolled(client, login_as)
    sign_in(client, user.email)
    code = totp.at(time.time() + 30 * steps)
    if code in {totp.at(time.time() + 30 * s) for s in (-1, 0, 1)}:
        pytest.skip("the far code happens to equal a near one")
    assert submit(client, CODE_PAGE, {"code": code}).status_code == 200
    assert client.get("/desk").status_code == 302


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(guess=st.text(min_size=1, max_size=20).filter(lambda s: s.strip()))
def test_no_guess_but_the_code_signs_in(app, client, login_as, guess):
    with committing(app):
        db.session.execute(text("DELETE FROM recovery_codes"))
    client.delete_cookie("session")
    user = login_as("trainer", email=None)
    totp, _ = set_up_two_step(client)
    _sign_out(client)
    if guess.strip() in {totp.at(time.time() + 30 * s) for s in (-1, 0, 1)}:
        return
    sign_in(client, user.email)
    assert submit(client, CODE_PAGE, {"code": guess}).status_code in (200, 400, 429)
    assert client.get("/desk").status_code == 302


def test_recovery_codes_each_sign_in_once(client, login_as):
    user, _totp, codes = _enrolled(client, login_as)
    sign_in(client, user.email)
    assert submit(client, CODE_PAGE, {"code": codes[3].upper()}).status_code == 302  # case does not matter
    page = client.get("/me/two-step").get_data(as_text=True)
    assert "You have 9 unused recovery codes." in page
    _sign_out(client)
    sign_in(client, user.email)
    again = submit(client, CODE_PAGE, {"code": codes[3]})
    assert again.status_code == 200 and "That code does not match" in again.get_data(as_text=True)


def test_wrong_codes_are_rate_limited(client, login_as):
    user, totp, _ = _enrolled(client, login_as)
    sign_in(client, user.email)
    answers = [submit(client, CODE_PAGE, {"code": "000000"}).status_code for _ in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429
    assert submit(client, CODE_PAGE, {"code": _next_step_code(totp)}).status_code == 429  # even the right one waits


def test_the_code_page_expires_and_needs_the_password_again(client, login_as):
    user, totp, _ = _enrolled(client, login_as)
    sign_in(client, user.email)
    with time_machine.travel(time.time() + 6 * 60, tick=False):
        answer = submit(client, CODE_PAGE, {"code": totp.now()}, form_page="/login")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_turning_off_needs_the_password_and_a_code(app, client, login_as):
    user = login_as("trainer")
    totp, _ = set_up_two_step(client)
    wrong_password = submit(client, "/me/two-step/off", {"password": "not it", "code": _next_step_code(totp)},
                            form_page="/me/two-step")  # fmt: skip
    assert wrong_password.status_code == 400
    assert "That is not your current password." in wrong_password.get_data(as_text=True)
    wrong_code = submit(client, "/me/two-step/off", {"password": PASSWORD, "code": "123456"}, form_page="/me/two-step")
    assert wrong_code.status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).two_step_enabled
    off = submit(
        client, "/me/two-step/off", {"password": PASSWORD, "code": _next_step_code(totp)}, form_page="/me/two-step"
    )
    assert off.status_code == 302
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert not stored.two_step_enabled and stored.totp_secret is None
    _sign_out(client)
    assert sign_in(client, user.email).headers["Location"] == "/desk"  # no code asked


def test_an_organisation_can_require_it_and_staff_reach_nothing_else_until_set_up(app, client, login_as, make_user):
    admin = login_as("admin")
    refused = submit(client, "/admin/two-step", {"for_admins": "y", "for_trainers": "y"})
    assert refused.status_code == 400  # the admin has not set it up: no surprise lock-in
    assert "Set up two-step sign-in for yourself first" in refused.get_data(as_text=True)
    set_up_two_step(client)
    assert submit(client, "/admin/two-step", {"for_admins": "y", "for_trainers": "y"}).status_code == 302
    with app.app_context():
        organisation = db.session.get(Organisation, admin.organisation_id)
        assert organisation.two_step_for_admins and organisation.two_step_for_trainers
    _sign_out(client)

    trainer_id = make_user(("trainer",), email="tess@example.com")
    learner_id = make_user(("learner",), email="leo@example.com")
    assert sign_in(client, "tess@example.com").status_code == 302
    for path in ("/desk", "/me", "/admin/users", "/today"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/me/two-step", path
    assert client.get("/api/v1/me").status_code == 403
    totp, _ = set_up_two_step(client)
    assert client.get("/desk").status_code == 200
    refused_off = submit(client, "/me/two-step/off", {"password": PASSWORD, "code": _next_step_code(totp)},
                         form_page="/me/two-step")  # fmt: skip
    assert refused_off.status_code == 403
    with app.app_context():
        assert db.session.get(User, trainer_id).two_step_enabled
    _sign_out(client)
    assert sign_in(client, "leo@example.com").headers["Location"] == "/today"  # learners are not asked
    assert client.get("/today").status_code == 200
    with app.app_context():
        assert not db.session.get(User, learner_id).two_step_enabled


def test_only_admins_change_the_requirement(client, login_as):
    login_as("trainer")
    assert client.get("/admin/two-step").status_code == 403


def test_new_recovery_codes_replace_the_old_ones(client, login_as):
    user = login_as("trainer")
    totp, old = set_up_two_step(client)
    answer = submit(client, "/me/two-step/recovery-codes", {"code": _next_step_code(totp)}, form_page="/me/two-step")
    new = _codes_from(answer.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    _sign_out(client)
    sign_in(client, user.email)
    assert submit(client, CODE_PAGE, {"code": old[0]}).status_code == 200
    assert submit(client, CODE_PAGE, {"code": new[0]}).status_code == 302


def test_the_totp_secret_is_encrypted_in_its_column(app, client, login_as):
    user = login_as("trainer")
    totp, _ = set_up_two_step(client)
    with app.app_context():
        raw = db.session.execute(text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}).scalar_one()
    assert raw and totp.secret not in raw and raw.startswith("gAAAAA")  # a Fernet token


def test_turning_two_step_sign_in_on_or_off_signs_out_other_devices(app, client, login_as):
    user = login_as("trainer")
    other_device = app.test_client()
    sign_in(other_device, user.email)
    assert other_device.get("/desk").status_code == 200
    totp, _ = set_up_two_step(client)
    assert other_device.get("/desk").status_code == 302  # signed out there
    assert client.get("/desk").status_code == 200  # not here
    sign_in(other_device, user.email)
    submit(other_device, CODE_PAGE, {"code": _next_step_code(totp)})
    assert other_device.get("/desk").status_code == 200
    with time_machine.travel(time.time() + 60):  # the next code: the last two are used up
        off = submit(client, "/me/two-step/off", {"password": PASSWORD, "code": totp.now()}, form_page="/me/two-step")
        assert off.status_code == 302
        assert other_device.get("/desk").status_code == 302
        assert client.get("/desk").status_code == 200


def test_the_audit_trail_notes_two_step_changes_and_wrong_codes_never_the_secrets(app, client, login_as):
    from lxp.audit.models import AuditEntry

    user = login_as("admin")
    totp, codes = set_up_two_step(client)
    assert submit(client, "/admin/two-step", {"for_admins": "y"}).status_code == 302
    _sign_out(client)
    sign_in(client, user.email)
    submit(client, CODE_PAGE, {"code": "000000"})
    assert submit(client, CODE_PAGE, {"code": codes[0]}).status_code == 302
    with app.app_context():
        entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
        actions = [e.action for e in entries]
        stored = " ".join(f"{e.details}" for e in entries)
    for action in ("two_step_enabled", "two_step_requirement_changed", "two_step_code_failed", "recovery_code_used"):
        assert action in actions, actions
    assert totp.secret not in stored and codes[0] not in stored and "000000" not in stored


def test_the_data_download_never_holds_the_secret_and_erasure_removes_it(app, client, login_as, make_user):
    from lxp.privacy import erasure
    from lxp.privacy.export import collect

    user = login_as("trainer")
    totp, codes = set_up_two_step(client)
    with app.test_request_context():
        download = str(collect(db.session.get(User, user.id)))
    assert totp.secret not in download and "totp_secret" not in download and "code_hash" not in download
    assert "totp_enabled_at" in download  # whether it is on is theirs to see
    admin_id = make_user(("admin",))
    with committing(app):
        erasure.erase(db.session.get(User, user.id), actor_id=admin_id, reason="asked")
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_secret is None and not stored.two_step_enabled
        assert db.session.query(RecoveryCode).filter_by(user_id=user.id).count() == 0
