"""The insights' rollups: what the journey map reads instead of the event log.

``StationDay`` is person-free: per station (``"<course id>:<item key>"``) and UTC day, how
many learners did something *for the first time* on that day (so the sum over the days is the
number of distinct learners), and plain per-event counts (moods, effort, times on task).
``LearnerEnd`` is each learner's latest moment on a course, for drop-off; it points at the
(pseudonymous after erasure) learner like the events it is derived from.
``RollupMark`` is the high-water mark: the (stored time, id) of the last event rolled up, and
its generation, set afresh by every change to the rollups that is not a roll-up of the events
past the mark (so a process may bring figures it keeps forward while the generation holds).
``FirstMoment`` holds each learner's first moment per station and flag, ``RollupKept`` each
organisation's "rolled up for good until" (retention deleted the events before it).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from lxp.core.time import UTCDateTime
from lxp.extensions import db

FIRST_COUNTS = ("reached", "finished", "checked", "failed", "pulsed")


class StationDay(db.Model):
    __tablename__ = "insight_station_days"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, index=True)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    pulsed: Mapped[int] = mapped_column(Integer, default=0)
    moods: Mapped[list] = mapped_column(JSON, default=lambda: [0, 0, 0, 0, 0])
    effort_total: Mapped[int] = mapped_column(Integer, default=0)
    effort_answers: Mapped[int] = mapped_column(Integer, default=0)
    durations: Mapped[dict] = mapped_column(JSON, default=dict)  # {"seconds": how many finishes}


class LearnerEnd(db.Model):
    __tablename__ = "insight_learner_ends"

    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_refs: Mapped[list] = mapped_column(JSON)  # the stations of the latest moment (a tie: several)
    finished_refs: Mapped[list] = mapped_column(JSON)  # the stations the learner finished


class RollupMark(db.Model):
    __tablename__ = "insight_rollup_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    until_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Random, not a counter: a row deleted and created again (an emptied database) starts a new one.
    generation: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=uuid.uuid4)


class FirstMoment(db.Model):
    """A learner's first moment at a station for one of ``FIRST_COUNTS``, over what is rolled up.

    The rollup delta compares a batch with this instead of with the whole log before it, so the
    "first time" counts stay right once retention has deleted the early events."""

    __tablename__ = "insight_first_moments"

    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    flag: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RollupKept(db.Model):
    """Up to when an organisation's figures are rolled up for good: its events before
    ``until_at`` (a UTC midnight) were deleted by retention, so ``rollups.rebuild`` keeps the
    station days before it and recounts only after."""

    __tablename__ = "insight_rollups_kept"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    until_at: Mapped[datetime] = mapped_column(UTCDateTime)
