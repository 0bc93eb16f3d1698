"""The organisation's rhythm: when its learners learn, per hour of the week.

Recomputed weekly by the scheduler (with the organisations' risk models, ``lxp.risk.services.
refresh``) and stored (``OrganisationRhythm``), so every delivery run leans on the same rhythm,
learnt from all the organisation's learners rather than the few in its batch. Adaptive timing
uses it where a learner's own rhythm is thin (sparse hours borrow from it) or missing (the
organisation's busiest hour stands in for the fixed time), once it was learnt from at least
``MIN_LEARNERS`` learners; the admin sees it on the touchpoints page and in the timing API.
Services never commit (see ``lxp.core.unit_of_work``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LEARNING_VERBS, LearningEvent
from lxp.extensions import db
from lxp.nudges import policy
from lxp.nudges.effect_maths import MIN_LEARNERS
from lxp.nudges.models import OrganisationRhythm

RHYTHM_WEEKS = 8  # how far back learning events count, for a learner's rhythm and the organisation's
RECOMPUTE_AFTER = timedelta(days=7)


def compute(organisation_id: int, now: datetime) -> tuple[tuple[int, ...], int]:
    """The organisation's learners' learning events of the last ``RHYTHM_WEEKS`` per hour of the
    week, each event in its learner's own zone, and how many learners had any."""
    totals = [0] * policy.SLOTS
    learners: set[int] = set()
    for user_id, zone, when in db.session.execute(
        select(LearningEvent.actor_id, User.timezone, LearningEvent.occurred_at)
        .join(User, User.id == LearningEvent.actor_id)
        .where(User.organisation_id == organisation_id, LearningEvent.verb.in_(LEARNING_VERBS),
               LearningEvent.occurred_at >= now - timedelta(weeks=RHYTHM_WEEKS), LearningEvent.occurred_at <= now)
    ):  # fmt: skip
        totals[policy.slot_of(when, zone or "UTC")] += 1
        learners.add(user_id)
    return tuple(totals), len(learners)


def refresh(organisation_id: int, now: datetime | None = None) -> OrganisationRhythm:
    """Compute and store the organisation's rhythm now; returns it."""
    now = now or utcnow()
    hours, learners = compute(organisation_id, now)
    row = db.session.get(OrganisationRhythm, organisation_id)
    if row is None:
        row = OrganisationRhythm(organisation_id=organisation_id)
        db.session.add(row)
    row.computed_at, row.hours, row.learners = now, list(hours), learners
    db.session.flush()
    return row


def refresh_due(organisation_id: int, now: datetime | None = None) -> OrganisationRhythm | None:
    """Recompute the organisation's rhythm when it is a week old or missing; returns it when it was."""
    now = now or utcnow()
    row = db.session.get(OrganisationRhythm, organisation_id)
    if row is not None and now - row.computed_at < RECOMPUTE_AFTER:
        return None
    return refresh(organisation_id, now)


def usable(organisation_id: int) -> tuple[int, ...] | None:
    """The stored rhythm adaptive timing may lean on: None until it was learnt from at least
    ``MIN_LEARNERS`` learners (fewer could point at one person's habits)."""
    row = db.session.get(OrganisationRhythm, organisation_id)
    if row is None or row.learners < MIN_LEARNERS or len(row.hours or ()) != policy.SLOTS:
        return None
    return tuple(row.hours)


def stored(organisation_id: int) -> OrganisationRhythm | None:
    return db.session.get(OrganisationRhythm, organisation_id)


@dataclass(frozen=True)
class Summary:
    """What the admin sees of the stored rhythm: when, from how many learners, and (only from
    ``MIN_LEARNERS`` learners on) the busiest hours of the week and every hour's count."""

    computed_at: datetime
    learners: int
    shown: bool
    busiest: tuple[int, ...]  # hours of the week, busiest first; () unless shown
    hours: tuple[int, ...] | None  # 168 counts; None unless shown


def summary(organisation_id: int) -> Summary | None:
    """The organisation's stored rhythm for the admin (None until the scheduler first stored it)."""
    row = stored(organisation_id)
    if row is None:
        return None
    shown = row.learners >= MIN_LEARNERS and len(row.hours or ()) == policy.SLOTS
    return Summary(row.computed_at, row.learners, shown,
                   tuple(policy.busiest_hours(row.hours)) if shown else (),
                   tuple(row.hours) if shown else None)  # fmt: skip
