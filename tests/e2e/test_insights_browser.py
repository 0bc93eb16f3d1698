"""The demo admin opens the journey map, sees where it rubs, filters to one cohort and downloads
the CSV; on a phone the map fits the screen."""

import csv
import io
import re

from playwright.sync_api import expect

from lxp import demo
from tests.seeded_demo import seeded_demo

TITLE = "Customer conversations that build loyalty"


def _sign_in(page, email, password):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_reads_the_journey_map_filters_a_cohort_and_downloads_it(app, smtp_server, desktop):
    seeded_demo(app, smtp_server)
    page = desktop
    _sign_in(page, "admin@northwind.example", demo.DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    page.get_by_role("link", name=TITLE).click()

    expect(page.get_by_role("heading", name="Where it rubs")).to_be_visible()
    highlights = page.locator(".friction")
    expect(highlights.first).to_be_visible()
    expect(page.get_by_text("Biggest drop", exact=True).first).to_be_visible()
    expect(page.get_by_role("img", name="Learners per station")).to_be_visible()
    everyone = page.locator(".stations-table tbody tr:not(.module-row)").first.locator("td").first.inner_text()

    page.get_by_label("Cohort").select_option(label="Customer desk, autumn 2026")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"cohort=\d+"))
    in_cohort = page.locator(".stations-table tbody tr:not(.module-row)").first.locator("td").first.inner_text()
    assert int(in_cohort) < int(everyone)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").first.click()
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["Module", "Station"]
    assert rows[1][4] == in_cohort  # the cohort's numbers, not everyone's
    assert download.value.suggested_filename == "customer-conversations-journey-map.csv"


def test_the_journey_map_fits_a_phone(app, smtp_server, phone):
    seeded_demo(app, smtp_server)
    _sign_in(phone, "admin@northwind.example", demo.DEMO_PASSWORD)
    phone.goto("/insights/")
    phone.get_by_role("link", name=TITLE).click()
    expect(phone.get_by_role("heading", name="Where it rubs")).to_be_visible()
    overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
