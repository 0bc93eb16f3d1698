"""Shared set-up for the live-session tests (fixtures and helpers only, no tests): a published
course whose role-play lab is a live session with a self-paced alternative, trainers, learners
on that path, and helpers to schedule and to act as one person with their own browser."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.live import scheduling
from lxp.live.models import LiveSession, Registration
from lxp.paths import services as paths
from tests.conftest import committing, csrf_from, sign_in, submit

MINI = json.loads((Path(__file__).resolve().parents[2] / "tests/data/mini-course.json").read_text())


def live_course_document() -> str:
    """The mini course plus a live role-play lab (the only teacher of de-escalation besides its
    self-paced alternative)."""
    doc = json.loads(json.dumps(MINI))
    doc["competencies"].append({"code": "de-escalation", "name": "De-escalation", "description": "Calm things down."})
    items = doc["course"]["modules"][0]["items"]
    items.append(
        {
            "key": "roleplay-live",
            "kind": "live_session",
            "title": "Role-play lab",
            "minutes": 60,
            "teaches": ["de-escalation"],
            "alternatives": ["roleplay-self"],
            "content": {"agenda": "- Warm-up\n- Three rounds of role-play", "duration_minutes": 60},
        }
    )
    items.append(
        {
            "key": "roleplay-self",
            "kind": "lesson",
            "title": "Role-play, annotated",
            "minutes": 10,
            "teaches": ["de-escalation"],
            "content": {"markdown": "Read three conversations."},
        }
    )
    items.append(
        {
            "key": "roleplay-check",
            "kind": "quiz",
            "title": "Check: de-escalation",
            "minutes": 3,
            "assesses": ["de-escalation"],
            "content": {
                "pass_mark": 100,
                "questions": [
                    {
                        "key": "q1",
                        "prompt": "The customer shouts. First?",
                        "competency": "de-escalation",
                        "options": [
                            {"text": "Lower your voice and name the feeling", "correct": True},
                            {"text": "Ask them to calm down", "correct": False},
                        ],
                    }
                ],
            },
        }
    )
    doc["course"]["outcomes"].append({"statement": "I can calm an angry customer", "competencies": ["de-escalation"]})
    doc["course"]["how"]["modality_mix"] = {"self_paced": 60, "live": 40}
    doc["goals"][0]["competencies"].append("de-escalation")
    doc["goals"][0]["packages"] = []
    return json.dumps(doc)


@pytest.fixture(name="live_course")
def live_course_fixture(app, make_user):
    """The course published; returns ids and refs."""
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, live_course_document())
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one()
        course = version.course_id
        return {
            "course": course,
            "goal": goal.id,
            "live": f"{course}:roleplay-live",
            "alt": f"{course}:roleplay-self",
            "organisation": admin.organisation_id,
        }


@pytest.fixture(name="trainer")
def trainer_fixture(make_user):
    return make_user(("trainer",), email="trainer@example.com", name="Tess Trainer", timezone="Europe/Berlin")


def schedule(
    app,
    trainer_id: int,
    ref: str,
    when: datetime,
    *,
    zone: str = "Europe/Berlin",
    minutes: int = 60,
    capacity: int = 10,
    claim_hours: int | None = None,
    deadline_hours: int = 0,
    place: str = "Room 1",
    extra_days=(),
    video_url: str | None = None,
    cohort_id: int | None = None,
) -> list[int]:
    """Schedule through the service; ``when`` is local wall time in ``zone``; returns ids."""
    with committing(app):
        trainer = db.session.get(User, trainer_id)
        details = scheduling.SessionDetails(
            dates=(when.date(), *extra_days),
            start_time=when.time(),
            timezone=zone,
            duration_minutes=minutes,
            place=place,
            video_url=video_url,
            capacity=capacity,
            deadline_hours=deadline_hours,
            claim_hours=claim_hours,
            cohort_id=cohort_id,
        )
        return [s.id for s in scheduling.schedule_sessions(trainer, ref, details).sessions]


def soon(days: int = 7, hour: int = 18) -> datetime:
    """A local wall time ``days`` from today at ``hour`` o'clock."""
    return datetime.combine(date.today() + timedelta(days=days), time(hour, 0))


def start_path(client, live_course):
    data = {
        "goals": [str(live_course["goal"])],
        "package": "",
        "weekly_minutes": "120",
        "modalities": ["self_paced", "live", "coaching", "on_the_job"],
    }
    response = submit(client, "/path/goals", data)
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture(name="person")
def person_fixture(app, make_user):
    """A new signed-in browser for a new user: ``person(roles, **fields)`` -> (client, user id)."""

    def make(roles=("learner",), **fields):
        user_id = make_user(roles, **fields)
        client = app.test_client()
        with committing(app):
            email = db.session.get(User, user_id).email
        assert sign_in(client, email).status_code == 302
        return client, user_id

    return make


def post_on(client, page: str, action: str, data: dict | None = None, **kwargs):
    """Post to ``action`` with the CSRF token of ``page`` (the form the person sees)."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)


def register(client, session_id: int, **kwargs):
    return post_on(client, f"/sessions/{session_id}", f"/sessions/{session_id}/register", **kwargs)


def statuses(app, session_id: int) -> dict[int, str]:
    with committing(app):
        rows = db.session.execute(
            select(Registration.learner_id, Registration.status).where(Registration.session_id == session_id)
        ).all()
        return dict(rows)


def count_events(app, verb: str | None = None) -> int:
    with committing(app):
        query = select(func.count()).select_from(LearningEvent)
        if verb:
            query = query.where(LearningEvent.verb == verb)
        return db.session.scalar(query)


def session_row(app, session_id: int) -> LiveSession:
    with committing(app):
        found = db.session.get(LiveSession, session_id)
        db.session.expunge(found)
        return found


def plan_of(app, learner_id: int):
    with committing(app):
        learner = db.session.get(User, learner_id)
        return paths.current_plan(paths.open_journey(learner))


def next_dst_nights(zone: str = "Europe/Berlin") -> tuple[date, date]:
    """The next night the clocks go forward and the next they go back in ``zone``."""
    tz = ZoneInfo(zone)
    forward = back = None
    day = date.today() + timedelta(days=2)
    while forward is None or back is None:
        noon_before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=tz).utcoffset()
        noon = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
        if noon > noon_before and forward is None:
            forward = day
        if noon < noon_before and back is None:
            back = day
        day += timedelta(days=1)
    return forward, back


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
