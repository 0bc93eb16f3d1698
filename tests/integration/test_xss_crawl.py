"""An XSS corpus in every authored and learner-written field, and a crawl that fails on any
payload that escapes its context (issue #16).

The demo is seeded once for the module, then every text a person writes is overwritten in the
database with a vector of the corpus (course concepts, item titles and content, goals,
competencies, packages, modules, outcomes, names, cohorts, help requests and answers, coaching
messages, task evidence and reviews, feedback, session places and video links, inbox messages,
touchpoints, file names, token names, error texts). Writing the database directly skips the
forms' validation on purpose: output encoding must hold whatever is stored.

Then every page is crawled as an admin, trainers and learners (every GET address they may open
without ids, and the links found on the pages, a few per endpoint), every e-mail template is
rendered with the corpus in each of its texts, and the iCalendar files and CSV exports met on
the way are read. A failure is anything the payload introduced, found with an HTML parser, never
by searching text: an element or attribute named ``lxp-xss…``, an event handler or a
``javascript:`` address carrying the payload, a script whose text carries it, an evaluated
template expression, a calendar property or component the payload added, a CSV cell that would
run as a formula. Each payload carries the number of its field (``xss~N~``), and the test also
proves that the fields were shown, so it cannot pass by showing nothing.
"""

from __future__ import annotations

import csv
import html
import io
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import url_for
from icalendar import Calendar
from sqlalchemy import select, text, update
from werkzeug.exceptions import HTTPException

from lxp.accounts.models import User
from lxp.channels import email as email_channel
from lxp.core.auth import required_roles
from lxp.core.security import EXPIRES_AT
from lxp.extensions import db, limiter
from tests.conftest import committing, empty_all_tables
from tests.seeded_demo import seeded_demo

# One vector per line; {n} is the field's number. Each fits the shortest column it goes into
# (80 characters) once {n} is filled in.
CORPUS = (
    "<lxp-xss>xss~{n}~</lxp-xss>",
    '"><lxp-xss a=1>xss~{n}~',
    "'><lxp-xss b=1>xss~{n}~",
    '" lxp-xss-attr="xss~{n}~',
    "' lxp-xss-attr='xss~{n}~",
    "<img src=x onerror=lxpxss({n}) lxp-xss-attr>xss~{n}~",
    "</title></textarea></script><lxp-xss>xss~{n}~",
    "<script>lxpxss({n})</script>xss~{n}~",
    "[xss~{n}~](javascript:lxpxss({n}))",
    '<a href="javascript:lxpxss({n})">xss~{n}~</a>',
    "<svg onload=lxpxss({n})>xss~{n}~",
    "javascript:lxpxss({n})//xss~{n}~",
    '=HYPERLINK("http://x.invalid","xss~{n}~")',
    "xss~{n}~\r\nLXP-XSS:1\r\nBEGIN:VALARM",
    "lxp-ssti-{{{{7*7}}}}-{{{{config}}}}xss~{n}~",
    "![xss~{n}~](https://tracker.invalid/p.gif) xss~{n}~",
)

# (table, column) of every text a person writes; JSON columns hold texts under TEXT_KEYS.
TEXT_COLUMNS = (
    ("organisations", "name"), ("users", "display_name"), ("competencies", "name"),
    ("competencies", "description"), ("goals", "title"), ("goals", "description"), ("packages", "title"),
    ("packages", "description"), ("course_versions", "title"), ("course_versions", "summary"),
    ("course_versions", "audience_role"), ("course_versions", "audience_experience"),
    ("course_versions", "audience_prior_learning"), ("course_versions", "audience_language"),
    ("course_versions", "problem_today"), ("course_versions", "cost_of_inaction"), ("course_versions", "approach"),
    ("modules", "title"), ("modules", "summary"), ("outcomes", "statement"), ("items", "title"),
    ("cohorts", "name"), ("api_tokens", "name"), ("coach_feedback", "comment"), ("help_requests", "item_title"),
    ("help_requests", "note"), ("help_requests", "answer"), ("coaching_threads", "item_title"),
    ("coaching_messages", "body"), ("task_submissions", "item_title"), ("task_submissions", "account"),
    ("task_reviews", "comment"), ("live_sessions", "place"), ("in_app_messages", "subject"),
    ("in_app_messages", "body"), ("in_app_messages", "why"), ("outbox_messages", "subject"),
    ("outbox_messages", "body"), ("outbox_messages", "why"), ("review_cards", "question"),
    ("stored_files", "original_name"), ("scheduler_heartbeats", "last_error"), ("outbox_messages", "last_error"),
)  # fmt: skip
JSON_COLUMNS = (("items", "content"), ("course_versions", "questions"))
TEXT_KEYS = {"markdown", "prompt", "text", "feedback", "instructions", "criterion", "description", "agenda", "intro",
             "checks", "question", "answer", "label", "title", "summary"}  # fmt: skip
# Addresses stored as given: a page must never make a javascript: link of one.
URL_COLUMNS = (("live_sessions", "video_url"), ("task_submissions", "links"), ("in_app_messages", "link"))
# Outbox messages show on the admin's outbox page when they failed: make a few dead letters.
DEAD_LETTERS = 3
URL_KEYS = {"video_url", "url", "link"}  # in JSON content

PEOPLE = ("admin@northwind.example", "trainer.newyork@northwind.example", "trainer.berlin@northwind.example",
          "lena.fischer@northwind.example", "aarav.sharma@northwind.example", "kenji.watanabe@northwind.example",
          "sofia.garcia@northwind.example")  # fmt: skip
PER_ENDPOINT = 3  # addresses opened per endpoint and person: an item page is the same for every item
HREF = re.compile(r'href="([^"#]+)')
TAG = re.compile(r"xss~(\d+)~")


@dataclass
class Seeded:
    fields: dict[int, str] = field(default_factory=dict)  # number -> "table.column"

    def vector(self, where: str, row: int) -> str:
        number = len(self.fields) + 1
        self.fields[number] = where
        return CORPUS[(number + row) % len(CORPUS)].format(n=number)


def _fill_json(value, seeded: Seeded, where: str, row: int):
    if isinstance(value, dict):
        return {k: (_javascript_address(seeded, f"{where}.{k}") if k in URL_KEYS and isinstance(v, str) else
                    _fill_json(v, seeded, f"{where}.{k}", row) if k in TEXT_KEYS or not isinstance(v, str) else v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_fill_json(v, seeded, where, row + i) for i, v in enumerate(value)]
    if isinstance(value, str):
        return seeded.vector(where, row)
    return value


def _javascript_address(seeded: Seeded, where: str) -> str:
    number = len(seeded.fields) + 1
    seeded.fields[number] = where
    return f"javascript:lxpxss({number})//xss~{number}~"


def _put_the_corpus_everywhere() -> Seeded:
    seeded = Seeded()
    tables = db.metadata.tables
    outbox = tables["outbox_messages"]
    dead = db.session.execute(select(outbox.c.id).order_by(outbox.c.id).limit(DEAD_LETTERS)).scalars().all()
    db.session.execute(update(outbox).where(outbox.c.id.in_(dead)).values(status="failed", last_error="x"))
    help_requests = tables["help_requests"]  # the demo people's requests are open: give them an answer to show
    db.session.execute(update(help_requests).where(help_requests.c.answer.is_(None)).values(answer="x"))
    for table_name, column_name in TEXT_COLUMNS + JSON_COLUMNS + URL_COLUMNS:
        table = tables[table_name]
        column = table.c[column_name]
        keys = list(table.primary_key.columns)
        rows = db.session.execute(select(*keys, column).where(column.isnot(None))).all()
        for row_number, row in enumerate(rows):
            where = f"{table_name}.{column_name}"
            if (table_name, column_name) in JSON_COLUMNS:
                value = _fill_json(row[-1], seeded, where, row_number)
            elif (table_name, column_name) in URL_COLUMNS:
                address = _javascript_address(seeded, where)
                value = [address] if isinstance(row[-1], list) else address
            else:
                value = seeded.vector(where, row_number)
            condition = [key == row[i] for i, key in enumerate(keys)]
            db.session.execute(update(table).where(*condition).values({column_name: value}))
    return seeded


# --- what counts as injected ------------------------------------------------------------------


class _Injected(HTMLParser):
    """Collects what a payload introduced into a page, and the field numbers shown as text."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.shown: set[int] = set()
        self.raw: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag.startswith("lxp-xss"):
            self.found.append(f"element <{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("lxp-xss"):
                self.found.append(f"attribute {name} on <{tag}>")
            elif name.startswith("on") and "lxpxss" in value:
                self.found.append(f"handler {name}={value!r} on <{tag}>")
            elif name in self.URL_ATTRIBUTES and value.strip().lower().startswith(("javascript:", "vbscript:")):
                self.found.append(f"{name}={value!r} on <{tag}>")
            if name in ("title", "alt", "value", "aria-label", "placeholder", "content"):
                self.shown |= {int(n) for n in TAG.findall(value)}
        if tag in ("script", "style"):
            self.raw = tag

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == self.raw:
            self.raw = None

    def handle_data(self, data):
        if self.raw == "script" and ("lxpxss" in data or "xss~" in data):
            self.found.append(f"script text {data[:60]!r}")
        if "lxp-ssti-49" in data or "&lt;Config" in data or "<Config " in data:
            self.found.append(f"template expression evaluated: {data[:60]!r}")
        self.shown |= {int(n) for n in TAG.findall(data)}


def injected_in_html(page: str) -> tuple[list[str], set[int]]:
    parser = _Injected()
    parser.feed(page)
    parser.close()
    return parser.found, parser.shown


def injected_in_ics(body: str) -> tuple[list[str], set[int]]:
    calendar = Calendar.from_ical(body)
    found = [f"calendar property {name}" for component in calendar.walk() for name in component
             if name.upper().startswith("LXP-XSS")]  # fmt: skip
    components = [c.name for c in calendar.walk()]
    if "VALARM" in components:
        found.append("calendar component VALARM added by a payload")
    if body.count("BEGIN:VEVENT") != components.count("VEVENT"):
        found.append("events that do not parse as events")
    shown = {int(n) for n in TAG.findall(body.replace("\r\n ", ""))}
    return found, shown


def injected_in_csv(body: str) -> tuple[list[str], set[int]]:
    found, shown = [], set()
    for row in csv.reader(io.StringIO(body)):
        for cell in row:
            numbers = {int(n) for n in TAG.findall(cell)}
            shown |= numbers
            if numbers and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                found.append(f"formula cell {cell[:60]!r}")
    return found, shown


# --- the crawl --------------------------------------------------------------------------------


@dataclass
class Crawl:
    problems: list[str] = field(default_factory=list)
    shown: set[int] = field(default_factory=set)
    pages: int = 0
    calendars: int = 0
    spreadsheets: int = 0
    mails: int = 0

    def check(self, where: str, found: list[str], shown: set[int]) -> None:
        self.problems += [f"{where}: {what}" for what in found]
        self.shown |= shown


def _client_of(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session[EXPIRES_AT] = time.time() + 3600
        db.session.remove()
    return client


def _endpoint_of(app, path: str) -> str | None:
    try:
        return app.url_map.bind("lxp.test").match(path, method="GET")[0]
    except HTTPException:
        return None


def _start_addresses(app, roles: frozenset[str]) -> list[str]:
    addresses = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
                continue
            needed = required_roles(app, rule.endpoint)
            if needed is None or needed & roles:
                addresses.append(url_for(rule.endpoint))
    return sorted(set(addresses))


def crawl_as(app, user_id: int, roles: frozenset[str], crawl: Crawl) -> None:
    limiter.reset()
    client = _client_of(app, user_id)
    queue = _start_addresses(app, roles)
    queued = set(queue)
    per_endpoint: dict[str, int] = {}
    while queue:
        address = queue.pop(0)
        endpoint = _endpoint_of(app, urlsplit(address).path)
        if endpoint is None or endpoint in ("accounts.logout", "effect.open_link", "nudges.unsubscribe"):
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        if per_endpoint[endpoint] > PER_ENDPOINT:
            continue
        response = client.get(address)
        mimetype = response.mimetype
        if response.status_code >= 500:
            crawl.problems.append(f"GET {address} -> {response.status_code}")
        if mimetype not in ("text/html", "text/calendar", "text/csv"):
            response.close()  # files, JSON, images: not read as text here
            continue
        body = response.get_data(as_text=True)
        if mimetype == "text/html":
            crawl.pages += 1
            crawl.check(address, *injected_in_html(body))
            for href in HREF.findall(body):
                href = html.unescape(href)
                if href.startswith("/") and not href.startswith(("//", "/static/")) and href not in queued:
                    queued.add(href)
                    queue.append(href)
        elif mimetype == "text/calendar" and response.status_code == 200:
            crawl.calendars += 1
            crawl.check(address, *injected_in_ics(body))
        elif mimetype == "text/csv" and response.status_code == 200:
            crawl.spreadsheets += 1
            crawl.check(address, *injected_in_csv(body))
        response.close()


# Every e-mail template with the corpus in each text it shows (the same ``render`` the
# services call; their other values as the services give them).
MAILS = {
    "invitation": {"days": 7, "organisation": "{v}"},
    "password_reset": {"hours": 2},
    "coaching_message": {"author": "{v}", "about": "{v}", "body": "{v}"},
    "help_requested": {"learner": "{v}", "item": "{v}", "note": "{v}"},
    "help_answered": {"trainer": "{v}", "item": "{v}", "answer": "{v}"},
    "help_handed_over": {"trainer": "{v}", "learner": "{v}", "item": "{v}", "note": "{v}"},
    "task_submitted": {"learner": "{v}", "item": "{v}", "number": 2},
    "task_reviewed": {"coach": "{v}", "item": "{v}", "accepted": False, "comment": "{v}"},
    "touchpoint": {"headline": "{v}", "body": "{v}", "why": "{v}", "unsubscribe": "http://lxp.test/u/1"},
}


def render_every_mail(app, crawl: Crawl) -> None:
    number = 10_000
    for template, values in MAILS.items():
        for offset, vector in enumerate(CORPUS):
            number += 1
            filled = {k: (v.format(v=vector.format(n=number)) if isinstance(v, str) and "{v}" in v else v)
                      for k, v in values.items()}  # fmt: skip
            with app.test_request_context():
                mail = email_channel.render(template, to="p@example.com", name=vector.format(n=number),
                                            link="http://lxp.test/x", **filled)  # fmt: skip
                message = email_channel.build_message(mail, "lxp <no-reply@lxp.test>")
            crawl.mails += 1
            if "\n" in mail.subject or "\r" in mail.subject:
                crawl.problems.append(f"mail {template}: a line break in the subject")
            html_part = message.get_body(("html",)).get_content()
            crawl.check(f"mail {template} (vector {offset + 1})", *injected_in_html(html_part))


# --- the module's demo ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(app, smtp_server):
    """The demo, a scheduler run later, with the corpus written over every text."""
    seeded_demo(app, smtp_server)
    limiter.reset()
    runner = app.test_cli_runner()
    ticked = runner.invoke(args=["lxp", "scheduler", "--once"])
    assert ticked.exit_code == 0, ticked.output
    with committing(app):
        from lxp.authoring import services as authoring
        from lxp.authoring.models import Course

        # An admin is working on the next version of a course, so its editors (forms) open.
        admin = db.session.execute(select(User).where(User.email == PEOPLE[0])).scalar_one()
        authoring.draft_for_editing(admin, db.session.execute(select(Course).order_by(Course.id)).scalars().first())
    with committing(app):
        filled = _put_the_corpus_everywhere()
        people = {email: (user.id, user.roles) for email, user in (
            (email, db.session.execute(select(User).where(User.email == email)).scalar_one()) for email in PEOPLE)}  # fmt: skip
    yield filled, people
    with committing(app):
        empty_all_tables()


@pytest.fixture(autouse=True)
def _fresh_database(corpus):
    """Overrides the integration tests' emptying of every table: the crawl reads the module's demo."""


def test_the_corpus_reached_the_database_as_written(app, corpus):
    with app.app_context():
        names = db.session.execute(text("SELECT display_name FROM users")).scalars().all()
    assert sum("lxp-xss" in name or "lxpxss" in name for name in names) > len(names) // 2


def test_no_payload_escapes_its_context_in_pages_calendars_csv_or_mails(app, corpus):
    seeded, people = corpus
    crawl = Crawl()
    for user_id, roles in people.values():
        crawl_as(app, user_id, frozenset(roles), crawl)
    render_every_mail(app, crawl)
    assert not crawl.problems, f"{len(crawl.problems)} escapes:\n" + "\n".join(sorted(set(crawl.problems))[:60])
    assert crawl.pages > 150 and crawl.calendars >= 1 and crawl.spreadsheets >= 1 and crawl.mails == 9 * len(CORPUS)
    # The crawl saw the fields it was meant to test: each table's texts were shown somewhere.
    shown_where = {seeded.fields[n].split(".")[0] + "." + seeded.fields[n].split(".")[1] for n in crawl.shown
                   if n in seeded.fields}  # fmt: skip
    seeded_where = {".".join(where.split(".")[:2]) for where in seeded.fields.values()}
    never_shown = sorted(seeded_where - shown_where - NOT_SHOWN_BY_DESIGN)
    assert not never_shown, f"fields the crawl never saw on any page: {never_shown}"


# Texts no page shows (kept for other uses); the crawl cannot test them and need not.
NOT_SHOWN_BY_DESIGN = {
    "organisations.name",  # only in the invitation e-mail, which render_every_mail fills with the corpus
    "in_app_messages.why",  # on a message's own page, which opens by a POST (opening marks it read)
    "in_app_messages.link",  # the same page's button
    "outbox_messages.body",  # sent as the touchpoint e-mail (render_every_mail) or copied into an inbox message
    "outbox_messages.why",  # the same
}
