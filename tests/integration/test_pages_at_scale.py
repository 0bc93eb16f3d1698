"""No staff page grows with the organisation (issue 20). The demo's admin, a trainer of the
synthetic cohorts and a manager open every page (and API list) without ids, with 900 synthetic
learners (``lxp.insights.synthetic``: journeys, events, help requests, cohorts) and again with
2,700: each answers with the same statements and within 5% + 1 KB of its size. Long lists are
paged, queues show their first few, people are found rather than listed: a page that lists
everything of something fails here by name."""

import re

from sqlalchemy import select

from lxp import demo
from lxp.accounts.models import Organisation, User
from lxp.cohorts.models import Cohort
from lxp.extensions import db
from lxp.insights import synthetic
from tests.conftest import committing, statements_sent, submit
from tests.seeded_demo import seeded_demo

PEOPLE = ("admin@northwind.example", "trainer.newyork@northwind.example", "katrin.vogel@northwind.example")
NOT_PAGES = ("/static", "/sso", "/scim", "/lrs", "/t/", "/.well-known", "/metrics")
# Whole by design, with why.
WHOLE = {
    "/admin/audit.csv": "the audit trail's export, every entry",
    "/admin/audit": "paged (50); it grows here only because the walk's own CSV downloads are audited",
}
# A page of a fixed number of items whose sizes differ by kind: only its statements are compared.
SIZE_VARIES = {
    "/api/v1/xapi/statements": "the newest 100 statements; which kinds those are (a reply, a passed quiz with its "
                               "result) moves with what was recorded last",
}  # fmt: skip


def _grow(app, learners: int, seed: int) -> None:
    """``learners`` more synthetic learners in two cohorts, the first coached by the trainer, so
    their desk's queues (evidence waiting, conversations, conversations due) fill as the
    organisation grows."""
    with committing(app):
        organisation = db.session.execute(select(Organisation).where(Organisation.slug == "northwind")).scalar_one()
        synthetic.generate(organisation, learners, cohort_names=("Synthetic A", "Synthetic B"), seed=seed)
        coached = db.session.execute(select(Cohort).where(Cohort.name == "Synthetic A")).scalar_one()
        coached.coach_id = db.session.execute(select(User.id).where(User.email == PEOPLE[1])).scalar_one()


def _pages(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and "<" not in rule.rule
                   and not rule.rule.startswith(NOT_PAGES) and rule.rule not in WHOLE})  # fmt: skip


def _measure(app, clients: dict) -> dict[tuple[str, str], tuple[int, int, bool]]:
    """(statements, bytes, whether it is an API list's only page) of each page that answers 200,
    per person."""
    found = {}
    for email, client in clients.items():
        for page in _pages(app):
            client.get(page).close()  # this process's caches filled first
            with statements_sent(app) as sent, client.get(page) as response:
                if response.status_code == 200:
                    found[(email, page)] = (len(sent), len(response.data), _only_page(response))
    return found


def _only_page(response) -> bool:
    """An API list with no next page: not full yet, it may grow to its page size."""
    body = response.get_json(silent=True)
    return isinstance(body, dict) and isinstance(body.get("items"), list) and body.get("next_page_token") is None


def _grew(page: str, before: tuple[int, int, bool], after: tuple[int, int, bool]) -> bool:
    """More statements, or (for a page whose size should not move: not an API list filling its
    first page, not one of ``SIZE_VARIES``) more than 5% + 1 KB."""
    if after[0] != before[0]:
        return True
    return not before[2] and page not in SIZE_VARIES and after[1] > before[1] * 1.05 + 1024


def test_no_staff_page_grows_with_the_organisation(app, smtp_server):
    seeded_demo(app, smtp_server)  # ``flask lxp seed-demo`` on an empty database
    _grow(app, 900, seed=3)
    clients = {}
    for email in PEOPLE:
        clients[email] = app.test_client()
        assert submit(clients[email], "/login", {"email": email, "password": demo.DEMO_PASSWORD}).status_code == 302
    before = _measure(app, clients)
    assert len(before) > 100 and ("trainer.newyork@northwind.example", "/desk") in before
    _grow(app, 1800, seed=4)
    after = _measure(app, clients)
    grown = [
        f"{page} for {email.split('@')[0]}: {before[key][0]} -> {after[key][0]} statements, "
        f"{before[key][1] // 1024} -> {after[key][1] // 1024} KB"
        for key in before
        for email, page in [key]
        if key in after and _grew(page, before[key], after[key])
    ]
    assert grown == [], "pages that grow with the organisation:\n" + "\n".join(grown)
    assert len(clients[PEOPLE[0]].get("/api/v1/xapi/statements").get_json()["statements"]) == 100  # SIZE_VARIES
    desk = clients[PEOPLE[1]].get("/desk").get_data(as_text=True)
    assert re.search(r"\d+ more waiting", desk)
    assert "No evidence is waiting." not in desk and "No conversations yet." not in desk  # from Synthetic A
