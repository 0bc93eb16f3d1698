"""The demo organisation that ``flask lxp seed-demo`` loads, so a newcomer sees lxp in use.

Idempotent: people are looked up by e-mail, so running it twice changes nothing. Later
features add their content through ``seed(...)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from lxp.accounts.models import User, UserRole
from lxp.accounts.services import get_or_create_organisation
from lxp.authoring import publishing, services, transfer
from lxp.demo import availability_check, complaint_walkthrough, listening_drill
from lxp.extensions import db

DEMO_PASSWORD = "learn-together-2026"  # noqa: S105 (printed for the demo on purpose)
DEMO_ORGANISATION = ("northwind", "Northwind Retail")


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    roles: tuple[str, ...]
    locale: str
    timezone: str


PEOPLE = (
    # The demo admin also reviews, so the demo courses can be published by one person.
    DemoPerson("admin@northwind.example", "Amara Okafor", ("admin", "reviewer"), "en", "Europe/London"),
    DemoPerson("trainer.berlin@northwind.example", "Jonas Becker", ("trainer",), "de", "Europe/Berlin"),
    DemoPerson("trainer.newyork@northwind.example", "Priya Raman", ("trainer", "learner"), "en", "America/New_York"),
    DemoPerson("lena.fischer@northwind.example", "Lena Fischer", ("learner",), "de", "Europe/Berlin"),
    DemoPerson("tobias.wagner@northwind.example", "Tobias Wagner", ("learner",), "de", "Europe/Berlin"),
    DemoPerson("anna.ivanova@northwind.example", "Anna Ivanova", ("learner",), "ru", "Europe/Moscow"),
    DemoPerson("dmitri.sokolov@northwind.example", "Dmitri Sokolov", ("learner",), "ru", "Europe/Moscow"),
    DemoPerson("olga.petrova@northwind.example", "Olga Petrova", ("learner",), "ru", "Asia/Yekaterinburg"),
    DemoPerson("marcus.johnson@northwind.example", "Marcus Johnson", ("learner",), "en", "America/New_York"),
    DemoPerson("sofia.garcia@northwind.example", "Sofía García", ("learner",), "en", "America/Chicago"),
    DemoPerson("aarav.sharma@northwind.example", "Aarav Sharma", ("learner",), "en", "Asia/Kolkata"),
    DemoPerson("meera.nair@northwind.example", "Meera Nair", ("learner",), "en", "Asia/Kolkata"),
    DemoPerson("claire.dubois@northwind.example", "Claire Dubois", ("learner",), "en", "Europe/Paris"),
    DemoPerson("kenji.watanabe@northwind.example", "Kenji Watanabe", ("learner",), "en", "Asia/Tokyo"),
    DemoPerson("lucas.silva@northwind.example", "Lucas Silva", ("learner",), "en", "America/Sao_Paulo"),
    # The Berlin store's manager (My team) and two newcomers: onboarding overdue, and at risk.
    DemoPerson("katrin.vogel@northwind.example", "Katrin Vogel", ("manager",), "de", "Europe/Berlin"),
    DemoPerson("felix.braun@northwind.example", "Felix Braun", ("learner",), "de", "Europe/Berlin"),
    DemoPerson("jana.koch@northwind.example", "Jana Koch", ("learner",), "de", "Europe/Berlin"),
)


COURSES = Path(__file__).with_name("courses")


def seed() -> list[tuple[DemoPerson, bool]]:
    """Create the demo organisation and people that are missing; return (person, created)."""
    organisation = get_or_create_organisation(*DEMO_ORGANISATION)
    existing = {
        user.email: user
        for user in db.session.execute(select(User).where(User.email.in_([p.email for p in PEOPLE]))).scalars()
    }
    password_hash = generate_password_hash(DEMO_PASSWORD)
    report = []
    for person in PEOPLE:
        created = person.email not in existing
        if not created:  # a role added to the demo later reaches older demo databases too
            user = existing[person.email]
            user.role_rows += [UserRole(role=r) for r in person.roles if r not in user.roles]
        else:
            db.session.add(
                User(
                    organisation_id=organisation.id,
                    email=person.email,
                    display_name=person.name,
                    password_hash=password_hash,
                    locale=person.locale,
                    timezone=person.timezone,
                    role_rows=[UserRole(role=r) for r in person.roles],
                )
            )
        report.append((person, created))
    db.session.flush()
    return report


def seed_courses() -> list[tuple[str, bool]]:
    """Import and publish the demo courses that are missing; return (slug, created) in order.

    The demo admin imports each document and, holding the reviewer role, approves it, so
    the history reads as it would in real use.
    """
    admin = db.session.execute(select(User).where(User.email == PEOPLE[0].email)).scalar_one()
    report = []
    for path in sorted(COURSES.glob("*.json")):
        raw = path.read_text(encoding="utf-8")
        slug = json.loads(raw)["course"]["slug"]
        if services.find_course(admin.organisation_id, slug) is not None:
            report.append((slug, False))
            continue
        version = transfer.import_document(admin, raw)
        if slug == listening_drill.COURSE:
            listening_drill.add_to(admin, version)
        if slug == complaint_walkthrough.COURSE:
            complaint_walkthrough.add_to(admin, version)
        if slug == availability_check.COURSE:
            availability_check.add_to(admin, version)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        report.append((slug, True))
    return report
