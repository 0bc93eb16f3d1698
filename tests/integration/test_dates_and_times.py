"""Dates and times read the same way on every page: the locale's medium date and short time,
never seconds, in the viewer's own zone."""

import re

import pytest

from tests.conftest import sign_in
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    register,
    schedule,
    soon,
    trainer_fixture,
)

# The session runs 18:00-19:00 in Berlin; the viewers sit in Berlin too.
SPANS = {
    "en": r"[A-Z][a-z]{2} \d{1,2}, \d{4}, 6:00\u202fPM \u2013 7:00\u202fPM",
    "de": r"\d\d\.\d\d\.\d{4}, 18:00 \u2013 19:00",
    "ru": r"\d{1,2} [а-я]{3,5}\.? \d{4}\u202fг\., 18:00 \u2013 19:00",
}
SECONDS = re.compile(r"\d:\d\d:\d\d")


@pytest.mark.parametrize("locale", ["en", "de", "ru"])
def test_a_session_time_reads_in_the_locales_format_without_seconds(app, live_course, trainer, person, locale):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(7, hour=18))
    client, _learner = person(locale=locale, timezone="Europe/Berlin")
    register(client, session_id)
    for address in (f"/sessions/{session_id}", "/sessions", "/today"):
        page = client.get(address).get_data(as_text=True)
        assert not SECONDS.search(page), f"{address} shows seconds: {SECONDS.search(page).group()}"
        if address != "/today":
            assert re.search(SPANS[locale], page), f"{address} in {locale} does not show the session as one span"
    today = client.get("/today").get_data(as_text=True)
    assert re.search(SPANS[locale].split(r" \u2013")[0], today)  # the start, same format as the session page


def test_the_trainers_pages_use_the_same_format(app, live_course, trainer):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(7, hour=18))
    tess = app.test_client()
    sign_in(tess, "trainer@example.com")
    for address in ("/trainer/sessions", f"/trainer/sessions/{session_id}/attendance"):
        page = tess.get(address).get_data(as_text=True)
        assert not SECONDS.search(page), address
    assert re.search(SPANS["en"], tess.get("/trainer/sessions").get_data(as_text=True))


@pytest.mark.parametrize(
    ("locale", "named"),
    [("en", "Europe/Moscow"), ("de", "Moskau"), ("ru", "Москва")],
)
def test_a_time_zone_is_named_in_the_viewers_language(app, live_course, trainer, person, locale, named):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(7, hour=18))
    client, _learner = person(locale=locale, timezone="Europe/Moscow")
    register(client, session_id)
    page = client.get("/sessions").get_data(as_text=True)
    assert re.search(rf"[,:] {named}\.", page)  # "Times are shown in your time zone, Europe/Moscow."
    # The session's own zone (Berlin) beside her time: Russian names it, German keeps the IANA name
    # where its city reads the same.
    assert {"en": "In Europe/Berlin:", "de": "In Europe/Berlin:", "ru": "Берлин:"}[locale] in page
