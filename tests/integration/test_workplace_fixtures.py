"""Shared set-up for the on-the-job task tests (fixtures and helpers only, no tests): the mini
course plus a workplace task that assesses listening on live calls, learners on that path with a
coach, real images made in memory, and an upload folder of the test's own."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal
from lxp.coaching.models import CoachAssignment
from lxp.core import unit_of_work
from lxp.extensions import db
from lxp.paths import services as paths
from tests.conftest import committing, sign_in

MINI = json.loads((Path(__file__).resolve().parents[1] / "data/mini-course.json").read_text())
TASK_KEY = "listen-on-the-job"
RUBRIC = [
    {"criterion": "Names the feeling", "description": "Says how the customer feels, in their words."},
    {"criterion": "Summarises the need", "description": "Checks what the customer needs before acting."},
]


def task_course_document() -> str:
    """The mini course with an on-the-job task after the lesson, the only check of listening on
    live calls (which the lesson teaches too)."""
    doc = json.loads(json.dumps(MINI))
    doc["competencies"].append({"code": "live-calls", "name": "Listening on live calls",
                                "description": "Active listening with a real customer on the line."})  # fmt: skip
    doc["goals"][0]["competencies"].append("live-calls")
    doc["course"]["outcomes"].append({"statement": "I listen well on real calls", "competencies": ["live-calls"]})
    doc["course"]["modules"][0]["items"][0]["teaches"].append("live-calls")
    doc["course"]["modules"][0]["items"].append(
        {
            "key": TASK_KEY,
            "kind": "workplace_task",
            "title": "Listen on a real call",
            "minutes": 30,
            "assesses": ["live-calls"],
            "prerequisites": ["listen-lesson"],
            "content": {
                "instructions": "On your next complaint call, **name the feeling** and summarise the need.",
                "evidence": ["text", "photo", "file", "link"],
                "rubric": RUBRIC,
            },
        }
    )
    doc["course"]["how"]["modality_mix"] = {"self_paced": 50, "on_the_job": 50}
    return json.dumps(doc)


def png(width: int = 4, height: int = 3, rgb=(200, 40, 40)) -> bytes:
    """A real PNG image of one colour, made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# An ELF executable's first bytes: what a program renamed to photo.jpg starts with.
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(name="upload_dir")
def upload_dir_fixture(app, tmp_path, monkeypatch):
    """Uploads of this test go to a folder of its own (not the project's instance folder)."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture(name="task_course")
def task_course_fixture(app, make_user, upload_dir):
    """The course with the task, published; its goal; refs of the lesson, quiz and task."""
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, task_course_document())
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one()
        course = version.course_id
        return {"course": course, "goal": goal.id, "lesson": f"{course}:listen-lesson",
                "quiz": f"{course}:listen-check", "task": f"{course}:{TASK_KEY}"}  # fmt: skip


def on_path(app, learner_id: int, goal_id: int, coach_id: int | None = None) -> None:
    """Start the learner's journey on the goal (every modality), with ``coach_id`` as coach."""
    with committing(app):
        learner = db.session.get(User, learner_id)
        paths.start_journey(learner, paths.JourneyChoice((goal_id,), None, None, 120,
                                                         ("self_paced", "live", "coaching", "on_the_job")))  # fmt: skip
        if coach_id is not None:
            db.session.add(CoachAssignment(learner_id=learner_id, coach_id=coach_id))
            db.session.commit()
        unit_of_work.commit()  # the service's work, as the request would commit it
        db.session.remove()


def client_for(app, email: str):
    """A test client of its own, signed in as ``email``."""
    other = app.test_client()
    assert sign_in(other, email).status_code == 302
    return other


def plan_of(app, learner_id: int):
    with committing(app):
        learner = db.session.get(User, learner_id)
        return paths.current_plan(paths.open_journey(learner))
