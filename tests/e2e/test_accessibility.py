"""axe-core finds nothing to fix on any page (issue #19): every page each role may open (two of
each kind: a template drawn for 300 learners is one page to axe), in English, German and Russian, loaded once on a phone in a real browser and checked by axe-core
(vendored in ``tests/e2e/vendor``, never served by the app) plus two checks axe leaves to people:
no second ``h1`` (axe asks for at least one), and a visible focus ring on what the keyboard reaches.

It fails on every serious or critical violation, and on the moderate ones WCAG 2.2 AA asks of
lxp: headings in order with one ``h1``, labels, target size, contrast. The addresses come from
the every-page walk (tests/integration/test_every_page.py) as in the 320 px walk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lxp.accounts.models import User
from lxp.demo import PEOPLE
from lxp.extensions import db
from tests.conftest import committing
from tests.e2e.conftest import PHONE
from tests.e2e.test_narrow_phone import _pages_of, public_pages, walk
from tests.integration.test_every_page import demo, signed_in  # noqa: F401  (the module's seeded demo)

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# One demo person per role set: admin (and reviewer), trainer, trainer who learns, learner.
ROLES = {
    "admin": "admin@northwind.example",
    "trainer": "trainer.berlin@northwind.example",
    "trainer_learner": "trainer.newyork@northwind.example",
    "learner": "lena.fischer@northwind.example",
    "manager": "katrin.vogel@northwind.example",  # My team: her reports' assigned work and tasks
}
LANGUAGES = ("en", "de", "ru")
# Moderate (or minor) rules that WCAG 2.2 AA needs here; any serious or critical rule fails too.
ALSO_FAILING = {"heading-order", "page-has-heading-one", "label", "label-title-only", "target-size",
                "color-contrast", "landmark-one-main", "empty-heading", "select-name"}  # fmt: skip
CHECK = """async failingIds => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  const failing = new Set(failingIds);
  const found = result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical' || failing.has(v.id))
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
  const ones = document.querySelectorAll('h1').length;
  if (ones > 1) found.push(ones + ' h1 elements');
  return found;
}"""
# After a few Tab presses the focused element must show a ring (outline or shadow).
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return true;
  const style = getComputedStyle(el);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
}"""


def _axe(page, live_server: str, addresses, client=None) -> tuple[list[str], int]:
    """What axe and the focus check find on each page; and how many pages were walked."""
    problems, walked = [], 0
    for address in walk(page, live_server, addresses, client):
        walked += 1
        found = page.evaluate(CHECK, sorted(ALSO_FAILING))
        for _ in range(3):
            page.keyboard.press("Tab")
            if not page.evaluate(FOCUS_SHOWN):
                found.append("no visible focus on " + page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
                break
        problems += [f"{address}: {line}" for line in found]
    return problems, walked


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_axe_finds_nothing_on_any_page(app, browser, live_server, demo, role, language):  # noqa: F811
    person = demo.people[ROLES[role]]
    with committing(app):
        user = db.session.get(User, person.user_id)
        own_language, user.locale = user.locale, language
    client = signed_in(app, person)
    cookie = client.get_cookie("session")
    context = browser.new_context(**PHONE, base_url=live_server, locale=language, service_workers="block",
                                  bypass_csp=True)  # fmt: skip
    context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
    context.add_init_script(path=str(AXE))
    try:
        problems, walked = _axe(context.new_page(), live_server, _pages_of(app, person, per_page_kind=2), client)
    finally:
        context.close()
        with committing(app):
            db.session.get(User, person.user_id).locale = own_language
    assert walked >= 5, f"only {walked} pages walked"
    assert not problems, f"axe, {role} in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_nothing_on_the_pages_anyone_may_open(app, browser, live_server, demo, language):  # noqa: F811
    """Signed out: sign-in, the check page and a shared credential's page (valid, revoked,
    expired), in the browser's language."""
    context = browser.new_context(**PHONE, base_url=live_server, locale=language, service_workers="block",
                                  bypass_csp=True)  # fmt: skip
    context.add_init_script(path=str(AXE))
    addresses = public_pages(app)
    try:
        problems, walked = _axe(context.new_page(), live_server, addresses)
    finally:
        context.close()
    assert any(a.startswith("/verify/") for a in addresses) and walked >= 5, addresses
    assert not problems, f"axe, signed out in {language}:\n" + "\n".join(problems)


def test_every_role_is_walked():
    roles = {role for email in ROLES.values() for p in PEOPLE if p.email == email for role in p.roles}
    assert roles >= {"admin", "trainer", "learner", "reviewer", "manager"}
