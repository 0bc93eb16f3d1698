"""A person sees where they are signed in (browser and system, when signed in, last used) and
signs one other browser out, remember-me cookie included; nobody else can; a sign-in from a new
kind of device is told by mail."""

from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from lxp import scheduler
from lxp.accounts.models import User, UserSession
from lxp.accounts.sessions import KEEP_ENDED, device_of
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in, submit

PHONE = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _browser(app, agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def _end_buttons(page: str) -> list[str]:
    return re.findall(r'action="(/me/sessions/[^"]+/end)"', page)


def test_a_person_lists_their_sessions_and_signs_one_out_for_good(app, make_user, mailbox):
    make_user(email="walker@example.com")
    phone, laptop = _browser(app, PHONE), _browser(app, LAPTOP)
    assert sign_in(phone, "walker@example.com").status_code == 302
    assert mailbox.to("walker@example.com") == []  # the first device is not news
    assert sign_in(laptop, "walker@example.com", remember=True).status_code == 302
    [notice] = mailbox.to("walker@example.com")
    assert str(notice["Subject"]) == "A new device signed in to your lxp account"
    assert "Chrome, Windows" in mailbox.text_of(notice)

    page = phone.get("/me").get_data(as_text=True)
    assert "Firefox, Android" in page and "Chrome, Windows" in page and page.count("This device") == 1
    [end_laptop] = _end_buttons(page)  # the phone's own row has no button: it signs out normally
    assert submit(phone, end_laptop, {}, form_page="/me").status_code == 302
    assert laptop.get("/today").headers["Location"].startswith("/login")
    # Its remember-me cookie is no way back either.
    laptop.delete_cookie("session")
    assert laptop.get("/today").status_code == 302
    assert phone.get("/today").status_code == 200
    page = phone.get("/me").get_data(as_text=True)
    assert "Chrome, Windows" not in page and _end_buttons(page) == []
    assert submit(phone, end_laptop, {}, form_page="/me").status_code == 404  # already ended

    # The same kind of device again is no news.
    mailbox.messages.clear()
    assert sign_in(_browser(app, LAPTOP), "walker@example.com").status_code == 302
    assert mailbox.to("walker@example.com") == []


def test_nobody_ends_someone_elses_session(app, make_user, other_organisation):
    make_user(email="owner@example.com")
    make_user(email="colleague@example.com")
    make_user(email="stranger@other.example", organisation_id=other_organisation)
    owner, laptop = _browser(app, PHONE), _browser(app, LAPTOP)
    sign_in(owner, "owner@example.com")
    sign_in(laptop, "owner@example.com")
    [their_laptop] = _end_buttons(owner.get("/me").get_data(as_text=True))
    for email in ("colleague@example.com", "stranger@other.example"):
        someone = _browser(app, PHONE)
        sign_in(someone, email)
        assert submit(someone, their_laptop, {}, form_page="/me").status_code == 404
    assert laptop.get("/today").status_code == 200
    # Without the form's token nothing happens either.
    assert owner.post(their_laptop).status_code == 400 and laptop.get("/today").status_code == 200


def test_signing_out_or_everywhere_else_empties_the_list_but_this_device(app, make_user):
    make_user(email="tidy@example.com")
    phone, laptop = _browser(app, PHONE), _browser(app, LAPTOP)
    sign_in(phone, "tidy@example.com")
    sign_in(laptop, "tidy@example.com")
    assert submit(phone, "/me/sign-out-everywhere", {}, form_page="/me").status_code == 302
    page = phone.get("/me").get_data(as_text=True)
    assert "Firefox, Android" in page and "Chrome, Windows" not in page
    # Signing out here ends this one as well.
    phone.post("/logout", data={"csrf_token": csrf_from(page)})
    assert phone.get("/today").status_code == 302


def test_the_hourly_job_deletes_sessions_long_unused_of_people_who_never_come_back(app, make_user, time_machine):
    make_user(email="walker@example.com")
    make_user(email="gone@example.com")
    start = utcnow()
    phone = _browser(app, PHONE)
    assert sign_in(phone, "walker@example.com").status_code == 302
    assert submit(phone, "/logout", {}, form_page="/me").status_code == 302  # an ended row
    assert sign_in(_browser(app, LAPTOP), "gone@example.com").status_code == 302  # runs out, never ended
    time_machine.move_to(start + KEEP_ENDED - timedelta(days=5))
    assert sign_in(_browser(app, LAPTOP), "walker@example.com").status_code == 302  # in use lately
    assert "accounts.prune_sessions" in {job.id for job in scheduler.JOBS}

    time_machine.move_to(start + KEEP_ENDED + timedelta(days=1))
    scheduler.run_job(app, "lxp.accounts.jobs:prune_sessions")
    with committing(app):
        left = db.session.execute(select(User.email, UserSession.user_agent).join(UserSession)).all()
    assert left == [("walker@example.com", LAPTOP)]


@given(st.text(max_size=300))
def test_any_user_agent_gets_a_short_name_from_the_fixed_list(agent):
    name = device_of(agent)
    assert name and len(name) <= 40 and "<" not in name
