"""The demo's admin makes a cohort on a phone without scrolling past every learner: she finds
one newcomer by part of her name (the Enter key in the search box finds, it does not save),
ticks her, pastes another's address, and creates the cohort with both (issue 20). Enter in any
other box saves, as in every form. On the cohort's page she adds one more the same way and
takes one out of the member list."""

import re

from playwright.sync_api import expect

from lxp import demo
from tests.conftest import committing


def test_the_admin_finds_and_pastes_the_members_of_a_new_cohort_on_a_phone(app, phone):
    with committing(app):
        demo.seed()

    phone.goto("/login")
    phone.get_by_label("E-mail").fill("admin@northwind.example")
    phone.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto("/admin/cohorts")
    form = phone.locator("form", has=phone.get_by_role("button", name="Create the cohort"))
    expect(form.get_by_label("Lena Fischer")).to_have_count(0)  # nobody is listed until searched for
    form.get_by_label("Name", exact=True).fill("Autumn starters")
    form.get_by_label("Find by name or e-mail").fill("ivan")
    form.get_by_label("Find by name or e-mail").press("Enter")

    expect(phone.get_by_text("Tick the people to add.")).to_be_visible()
    form = phone.locator("form", has=phone.get_by_role("button", name="Create the cohort"))
    expect(form.get_by_label("Name", exact=True)).to_have_value("Autumn starters")  # kept, and nothing created yet
    expect(phone.locator("table")).to_have_count(0)
    form.get_by_label("Anna Ivanova").check()
    form.get_by_label("Or paste e-mail addresses").fill("Tobias Wagner <tobias.wagner@northwind.example>")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    form.get_by_role("button", name="Create the cohort").click()

    expect(phone.get_by_text("The cohort \u201cAutumn starters\u201d is created.")).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/admin/cohorts/\d+$"))
    members = phone.locator("section", has=phone.get_by_role("heading", name="2 members"))
    expect(members.get_by_label("Anna Ivanova")).not_to_be_checked()  # ticked only to take her out
    expect(members.get_by_label("Tobias Wagner")).to_be_visible()
    expect(phone.get_by_label("Lena Fischer")).to_have_count(0)

    phone.get_by_label("Name", exact=True).fill("Autumn starters 2027")
    phone.get_by_label("Name", exact=True).press("Enter")  # its own form: saves the name
    expect(phone.get_by_text("Saved.")).to_be_visible()
    expect(phone.locator("h1")).to_have_text("Autumn starters 2027")

    # One more by search in the form to add (Enter finds there), then Anna taken out again.
    adding = phone.locator("form", has=phone.get_by_role("button", name="Add to the cohort"))
    adding.get_by_label("Find by name or e-mail").fill("fischer")
    adding.get_by_label("Find by name or e-mail").press("Enter")
    adding = phone.locator("form", has=phone.get_by_role("button", name="Add to the cohort"))
    adding.get_by_label("Lena Fischer").check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    adding.get_by_role("button", name="Add to the cohort").click()
    expect(phone.get_by_text("1 person added.")).to_be_visible()
    members = phone.locator("section", has=phone.get_by_role("heading", name="3 members"))
    members.get_by_label("Anna Ivanova").check()
    members.get_by_role("button", name="Take the ticked out of the cohort").click()
    expect(phone.get_by_text("1 person taken out of the cohort.")).to_be_visible()
    members = phone.locator("section", has=phone.get_by_role("heading", name="2 members"))
    expect(members.get_by_label("Anna Ivanova")).to_have_count(0)
    expect(members.get_by_label("Lena Fischer")).to_be_visible()
