"""Demo on-the-job tasks: one learner's evidence waits for their coach's review, another's
was sent back once and then accepted, so both the desk and the history show something.

Idempotent: a learner who has started the task already is left alone. Run after the demo
journeys and coaches (``seed_journeys``, ``seed_coaching``).
"""

from __future__ import annotations

import io
import struct
import zlib

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring.models import Item
from lxp.coaching.services import coach_of
from lxp.extensions import db
from lxp.files import services as files
from lxp.paths import services as paths
from lxp.workplace import services as workplace
from lxp.workplace.models import TaskSubmission

WAITING = (
    "marcus.johnson@northwind.example",
    "At the returns desk a customer was missing a part for her shelf. We agreed I would tell her by Thursday "
    "when it arrived, *by text message, not a call*. It came on Wednesday; I texted her and she collected it "
    "the same evening. My note from the desk is attached.",
)
ACCEPTED = (
    "kenji.watanabe@northwind.example",
    "We drafted our team agreement in Monday's call. I wrote most of it myself to save time.",
    "Good start, but it should be *the team's* agreement: **let each person add one rule**, then add a photo of the board.",
    "Second round: everyone added one rule on the board and we voted on the five we keep. Photo of the board attached.",
    "That is a team agreement: everyone is in it, and the board shows it.",
)


def _photo(rgb: tuple[int, int, int]) -> bytes:
    """A small one-colour PNG standing in for a phone photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * 32 for _ in range(24))
    header = struct.pack(">IIBBBBB", 32, 24, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _first_task(learner: User) -> str | None:
    journey = paths.open_journey(learner)
    if journey is None:
        return None
    for journey_course in journey.courses:
        keys = db.session.execute(
            select(Item.key).where(Item.version_id == journey_course.version_id, Item.kind == "workplace_task")
            .order_by(Item.position)
        ).scalars().first()  # fmt: skip
        if keys is not None:
            return paths.item_ref(journey_course.course_id, keys)
    return None


def _ready(email: str) -> tuple[User, str, User] | None:
    learner = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ref = _first_task(learner) if learner is not None else None
    coach = coach_of(learner.id) if ref is not None else None
    if coach is None:
        return None
    started = db.session.execute(
        select(TaskSubmission.id).where(TaskSubmission.learner_id == learner.id, TaskSubmission.item_ref == ref)
    ).first()
    return None if started else (learner, ref, coach)


def _send(learner: User, ref: str, account: str, photo: tuple[str, bytes] | None = None) -> TaskSubmission:
    uploads = [files.check_upload(workplace.EVIDENCE, photo[0], io.BytesIO(photo[1]))] if photo else []
    return workplace.save_evidence(learner, ref, account, "", uploads, submit=True)


def _rubric_size(submission: TaskSubmission) -> int:
    return len(submission.rubric or [])


def seed_workplace() -> list[tuple[str, str]]:
    """Send the demo evidence that is missing; returns (learner e-mail, what happened)."""
    report = []
    ready = _ready(WAITING[0])
    if ready is not None:
        learner, ref, _coach = ready
        _send(learner, ref, WAITING[1], ("note-from-the-desk.png", _photo((70, 110, 180))))
        report.append((learner.email, "evidence waiting for review"))

    ready = _ready(ACCEPTED[0])
    if ready is not None:
        learner, ref, coach = ready
        first = _send(learner, ref, ACCEPTED[1])
        workplace.review(coach, first.id, "needs_another_try", [2] * _rubric_size(first), ACCEPTED[2])
        second = _send(learner, ref, ACCEPTED[3], ("team-board.png", _photo((60, 150, 90))))
        workplace.review(coach, second.id, "accepted", [3] * _rubric_size(second), ACCEPTED[4])
        report.append((learner.email, "evidence accepted on the second try"))
    return report
