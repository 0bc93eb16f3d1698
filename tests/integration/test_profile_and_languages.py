"""The profile, the three languages, and times shown in the viewer's zone."""

from datetime import UTC, datetime

import pytest

from lxp.accounts.models import User
from lxp.extensions import db
from tests.conftest import committing, submit


def _save_profile(client, **fields):
    data = {"display_name": "Lena Fischer", "locale": "", "timezone": "Europe/Berlin", **fields}
    return submit(client, "/me", data)


@pytest.mark.parametrize(
    ("locale", "today", "sign_out"),
    [("en", "Today", "Sign out"), ("de", "Heute", "Abmelden"), ("ru", "Сегодня", "Выйти")],
)
def test_the_profile_language_translates_the_navigation(client, login_as, locale, today, sign_out):
    login_as("learner")
    assert _save_profile(client, locale=locale).status_code == 302
    page = client.get("/today").get_data(as_text=True)
    assert f'<html lang="{locale}">' in page
    assert f'<span class="label">{today}</span>' in page
    assert sign_out in page


def test_browser_language_is_used_until_the_profile_chooses_one(client, login_as):
    login_as("learner")
    page = client.get("/today", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru">' in page
    page = client.get("/today", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    _save_profile(client, locale="de")
    page = client.get("/today", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="de">' in page


def test_login_page_follows_the_browser_language(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert "Anmelden" in page


def test_profile_saves_name_and_time_zone(app, client, login_as):
    user = login_as("learner")
    response = _save_profile(client, display_name="  Lena F.  ", timezone="Asia/Kolkata")
    assert response.status_code == 302
    with committing(app):
        saved = db.session.get(User, user.id)
        assert (saved.display_name, saved.timezone) == ("Lena F.", "Asia/Kolkata")


def test_unknown_time_zone_or_language_is_refused_and_nothing_changes(app, client, login_as):
    user = login_as("learner", timezone="Europe/Moscow")
    for fields in ({"timezone": "Moon/Base"}, {"locale": "fr"}, {"display_name": ""}):
        response = _save_profile(client, **fields)
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
    with committing(app):
        assert db.session.get(User, user.id).timezone == "Europe/Moscow"


def test_profile_form_without_csrf_token_changes_nothing(app, client, login_as):
    user = login_as("learner")
    response = client.post("/me", data={"display_name": "Hacked", "locale": "", "timezone": "UTC"})
    assert response.status_code == 400
    assert "nothing was changed" in response.get_data(as_text=True)
    with committing(app):
        assert db.session.get(User, user.id).display_name != "Hacked"


@pytest.mark.parametrize(
    ("timezone", "locale", "shown"),
    [
        ("Asia/Kolkata", "en", "5:30\u202fPM"),
        ("Europe/Berlin", "de", "13:00"),
        ("America/New_York", "en", "7:00\u202fAM"),
    ],
)
def test_times_are_shown_in_the_viewers_zone_and_locale(app, client, login_as, make_user, timezone, locale, shown):
    learner_id = make_user(email="seen@example.com", name="Seen Person")
    with committing(app):
        db.session.get(User, learner_id).last_login_at = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        db.session.commit()
    login_as("admin", timezone=timezone, locale=locale)
    page = client.get("/admin/users?q=seen").get_data(as_text=True)
    assert shown in page
