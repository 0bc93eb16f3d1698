"""Demo live sessions: two dates of each demo course's live session, taught by the demo
trainers in their own zones, with some demo learners registered.

Idempotent: an item that already has sessions is left alone; a learner already registered
stays registered.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring.models import Item
from lxp.core.errors import ServiceError
from lxp.extensions import db
from lxp.live import registration, scheduling
from lxp.live.models import LiveSession

# (trainer e-mail, item language) -> who teaches; learners registered on the first date.
TRAINERS = {"de": "trainer.berlin@northwind.example", "en": "trainer.newyork@northwind.example"}
LEARNERS = {
    "de": ("lena.fischer@northwind.example", "tobias.wagner@northwind.example"),
    "en": ("marcus.johnson@northwind.example", "aarav.sharma@northwind.example", "claire.dubois@northwind.example"),
}


def _user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def seed_live_sessions() -> list[tuple[str, int]]:
    """Schedule the demo sessions that are missing; return (item title, sessions scheduled)."""
    report = []
    trainer = _user(TRAINERS["en"])
    if trainer is None:
        return report
    for item in scheduling.live_items(trainer.organisation_id):
        course_id, _, key = item.ref.partition(":")
        exists = db.session.execute(
            select(LiveSession.id).where(LiveSession.course_id == int(course_id), LiveSession.item_key == key)
        ).first()
        if exists:
            report.append((item.title, 0))
            continue
        language = db.session.get(Item, item.item_id).language
        if language not in TRAINERS:  # no demo trainer speaks it (Russian): its dates are not set yet
            report.append((item.title, 0))
            continue
        teacher = _user(TRAINERS[language]) or trainer
        first = date.today() + timedelta(days=5)
        details = scheduling.SessionDetails(
            dates=(first, first + timedelta(days=7)),
            start_time=time(10, 0) if language == "de" else time(11, 0),
            timezone=teacher.timezone,
            duration_minutes=item.minutes,
            place="Schulungsraum 2, Filiale Berlin-Mitte" if language == "de" else "",
            video_url=None if language == "de" else "https://meet.example.com/northwind-roleplay",
            capacity=8,
            deadline_hours=24,
            claim_hours=12 if language == "en" else None,
        )
        scheduled = scheduling.schedule_sessions(teacher, item.ref, details)
        for email in LEARNERS[language]:
            learner = _user(email)
            if learner is not None:
                try:
                    with db.session.begin_nested():  # a refused registration undoes only itself
                        registration.register_for_session(learner, scheduled.sessions[0].id)
                except ServiceError:
                    pass
        report.append((item.title, len(scheduled.sessions)))
    return report
