"""No page scrolls sideways on a 320 px phone (issue #19): every page each demo person may
open (up to three of each kind, the first, a middle and the last), walked in a real browser as they see it, the addresses taken from the every-page walk
(tests/integration/test_every_page.py), which also seeds the demo once for this module."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.demo import PEOPLE
from lxp.extensions import db
from tests.e2e.conftest import PHONE
from tests.integration.test_every_page import (
    SKIPPED,
    _get_endpoints,
    _may_open,
    _visits,
    demo,  # noqa: F401  (the module's seeded demo)
    signed_in,
    what_they_see,
)

NARROW = dict(PHONE, viewport={"width": 320, "height": 640}, screen={"width": 320, "height": 640})
# A mobile browser widens its layout viewport to the content (innerWidth follows), so the
# phone's own width is the measure.
WIDER_THAN_SCREEN = """width => {
  if (document.documentElement.scrollWidth <= width) return null;
  const culprits = [...document.querySelectorAll('main *, header *, nav *')]
    .filter(el => el.getBoundingClientRect().right > width + 0.5 && el.children.length === 0)
    .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
  return document.documentElement.scrollWidth + ' px wide; ' + culprits.join(', ');
}"""


def _pages_of(app, person, per_page_kind: int | None = None) -> list[str]:
    """The HTML addresses this person may open. With ``per_page_kind``, at most that many of
    each endpoint (the first and last ids, so two different objects): an admin may open a page
    for each of the demo's 300 quiet learners, all drawn by the same template."""
    with app.test_request_context():
        user = db.session.get(User, person.user_id)
        seen = what_they_see(user)
        kinds = {endpoint: sorted({url_for(endpoint, **visit.values) for visit in _visits(app, endpoint, rules, seen)
                                   if visit.redirect is None and visit.missing is None and not visit.query})
                 for endpoint, rules in _get_endpoints(app).items()
                 if endpoint not in SKIPPED and _may_open(app, endpoint, person.roles)
                 and not endpoint.startswith(("api", "lrs", "api_docs"))}  # fmt: skip
        db.session.remove()
    if per_page_kind is not None:
        kinds = {endpoint: _spread(addresses, per_page_kind) for endpoint, addresses in kinds.items()}
    return sorted({address for addresses in kinds.values() for address in addresses})


def public_pages(app) -> list[str]:
    """The HTML pages anyone may open without signing in: every public page without ids
    (sign-in, the check page…), and the public page of one credential of each state the demo
    holds (valid, revoked, expired). Only those answering 200 with HTML to a stranger."""
    from lxp.credentials import services as credentials
    from lxp.credentials.models import Credential

    with app.test_request_context():
        addresses = {url_for(rule.endpoint) for rule in app.url_map.iter_rules()
                     if "GET" in rule.methods and not rule.arguments
                     and getattr(app.view_functions[rule.endpoint], "lxp_public", False)}  # fmt: skip
        by_state = {}
        for credential in db.session.scalars(select(Credential).order_by(Credential.issued_at)):
            by_state.setdefault(credentials.state_of(credential), credential.id)
        assert set(by_state) >= {"active", "revoked", "expired"}, by_state
        addresses |= {url_for("credentials.verify_shared", credential_id=cid) for cid in by_state.values()}
        db.session.remove()
    stranger = app.test_client()
    found = []
    for address in sorted(addresses):
        with stranger.get(address) as answer:
            if answer.status_code == 200 and answer.mimetype == "text/html":
                found.append(address)
    assert {"/login", "/verify"} <= set(found), found
    return found


def _spread(addresses: list[str], most: int) -> list[str]:
    """At most ``most`` of the addresses, evenly spread from the first to the last."""
    if len(addresses) <= most:
        return addresses
    step = (len(addresses) - 1) / (most - 1) if most > 1 else 0
    return [addresses[round(i * step)] for i in range(most)]


def walk(page, live_server: str, addresses, client=None):
    """Open each address in the browser ``page``, yielding it once loaded; with ``client`` (the
    same person's test client) only those answering HTML: no calendar files, CSV or JSON."""
    for address in addresses:
        if client is not None:
            with client.get(address) as answer:
                if answer.status_code != 200 or answer.mimetype != "text/html":
                    continue
        page.goto(address)
        assert page.url == live_server + address, f"{address} led to {page.url}: not signed in?"
        yield address


def _sideways(page, live_server: str, addresses, client=None) -> tuple[list[str], int]:
    """The pages wider than the phone, with the culprits; and how many pages were walked."""
    problems, walked = [], 0
    for address in walk(page, live_server, addresses, client):
        walked += 1
        wide = page.evaluate(WIDER_THAN_SCREEN, NARROW["viewport"]["width"])
        if wide:
            problems.append(f"{address}: {wide}")
    return problems, walked


@pytest.mark.parametrize("email", [p.email for p in PEOPLE])
def test_no_page_scrolls_sideways_at_320_px(app, browser, live_server, demo, email):  # noqa: F811
    person = demo.people[email]
    client = signed_in(app, person)
    cookie = client.get_cookie("session")
    context = browser.new_context(**NARROW, base_url=live_server, locale="en-GB", service_workers="block")
    context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
    page = context.new_page()
    try:
        problems, walked = _sideways(page, live_server, _pages_of(app, person, per_page_kind=3), client)
    finally:
        context.close()
    assert walked >= 5, f"only {walked} pages walked"
    assert not problems, f"{email} scrolls sideways at 320 px on:\n" + "\n".join(problems)


def test_no_public_page_scrolls_sideways_at_320_px(app, browser, live_server, demo):  # noqa: F811
    """What a stranger opens (sign-in, the check page, a shared credential's page) fits a 320 px phone."""
    context = browser.new_context(**NARROW, base_url=live_server, locale="en-GB", service_workers="block")
    addresses = public_pages(app)
    try:
        problems, walked = _sideways(context.new_page(), live_server, addresses)
    finally:
        context.close()
    assert any(a.startswith("/verify/") for a in addresses) and walked >= 5, addresses
    assert not problems, "a public page scrolls sideways at 320 px on:\n" + "\n".join(problems)


def test_the_manager_is_walked_at_320_px():
    assert any("manager" in p.roles for p in PEOPLE)  # Katrin: her My team is in the walk above
