"""The demo organisation that ``flask lxp seed-demo`` loads, so a newcomer sees lxp in use.

Idempotent: people are looked up by e-mail, so running it twice changes nothing. Later
features add their content through ``seed(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from lxp.accounts.models import User, UserRole
from lxp.accounts.services import get_or_create_organisation
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
    DemoPerson("admin@northwind.example", "Amara Okafor", ("admin",), "en", "Europe/London"),
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
)


def seed() -> list[tuple[DemoPerson, bool]]:
    """Create the demo organisation and people that are missing; return (person, created)."""
    organisation = get_or_create_organisation(*DEMO_ORGANISATION)
    existing = set(db.session.execute(select(User.email).where(User.email.in_([p.email for p in PEOPLE]))).scalars())
    password_hash = generate_password_hash(DEMO_PASSWORD)
    report = []
    for person in PEOPLE:
        created = person.email not in existing
        if created:
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
    db.session.commit()
    return report
