"""Choosing a time zone on a phone (issue #19): a curated list, common zones first, grouped by
area, no old aliases; a search box narrows it, and the plain select works without JavaScript."""

import re

from playwright.sync_api import expect

from lxp.core.forms import TimeZoneField
from lxp.core.time import is_valid_timezone, zone_groups
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE


def test_the_list_is_curated():
    groups = dict(zone_groups())
    names = [name for names in groups.values() for name in names]
    assert list(groups)[0] == "common" and groups["common"][:3] == ("UTC", "Europe/London", "Europe/Dublin")
    assert len(names) == len(set(names)), "no zone twice"
    assert all(is_valid_timezone(name) for name in names)
    assert not {"Europe/Kiev", "Asia/Calcutta", "US/Eastern", "GB", "Asia/Saigon"} & set(names)
    assert {"Europe/Kyiv", "Asia/Kolkata", "Asia/Ho_Chi_Minh", "America/Argentina/Buenos_Aires"} <= set(names)
    assert 350 < len(names) < 450
    assert TimeZoneField  # the forms' field offers exactly this list (below, in the browser)


def test_a_learner_finds_their_zone_by_searching_and_keeps_an_old_one(browser, live_server, make_user, clean_db):
    # Europe/Kiev: an alias chosen before the list was curated.
    make_user(("learner",), email="zones@example.com", timezone="Europe/Kiev")
    email = "zones@example.com"
    context = browser.new_context(**PHONE, base_url=live_server, locale="en-GB", service_workers="block")
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/me")
        zone = page.locator("select#timezone")
        expect(zone).to_have_value("Europe/Kiev")
        labels = zone.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
        assert labels[0] == "Common time zones" and labels[-1] == "Other", labels
        page.get_by_label("Search time zones").fill("buenos")
        expect(zone).to_have_value("America/Argentina/Buenos_Aires")
        visible = zone.locator("option").evaluate_all("os => os.filter(o => !o.hidden).map(o => o.value)")
        assert visible == ["America/Argentina/Buenos_Aires"], visible
        page.locator("form[action='/me'] button[type=submit]").click()
        expect(page.locator(".flash-success")).to_be_visible()
        expect(zone).to_have_value("America/Argentina/Buenos_Aires")
    finally:
        context.close()

    # Without JavaScript: the grouped select alone.
    context = browser.new_context(**PHONE, base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/me")
        expect(page.get_by_label("Search time zones")).to_have_count(0)
        page.locator("select#timezone").select_option("Asia/Kolkata")
        page.locator("form[action='/me'] button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/me$"))
        expect(page.locator("select#timezone")).to_have_value("Asia/Kolkata")
    finally:
        context.close()
