"""What a learner's history says at a cut-off date: the risk model's features and its label.

Pure: plain data in, plain data out; no database, no Flask. ``lxp.risk.history`` reads the
database into a ``History``; ``lxp.risk.population`` generates synthetic ones.

Everything is computed from what happened strictly before the cut-off, so a snapshot taken
weeks ago sees exactly what a coach could have seen then (no peeking at the future). The label
looks only at the 14 days from the cut-off: ``True`` when the learner did nothing to learn in
them ("went quiet"), ``None`` while those 14 days are not over yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

HORIZON = timedelta(days=14)  # the label: no learning activity in this long after the cut-off
CAP_DAYS = 60.0  # "days since" features stop counting here (and stand for "never")
ACTIVE_WINDOW = timedelta(days=56)  # a learner counts at a cut-off when active in this long before it

# Any sign of learning (``lxp.events.LEARNING_VERBS``, copied: this module imports no database code).
LEARNING_VERBS = frozenset({"completed", "passed", "failed", "attended", "answered", "attempted", "launched"})
FINISH_VERBS = frozenset({"completed", "passed", "attended"})

# The features in the model's order; reasons and the stored model refer to these names.
FEATURES = (
    "days_since_activity",  # days since the last learning event
    "active_days_14",  # distinct days with learning in the last 14 days
    "active_days_trend",  # active days in the last 14 minus the 14 before
    "steps_behind",  # finished steps the plan expected by now minus those finished (may be negative)
    "failed_checks_28",  # checks failed in the last 28 days
    "help_unresolved",  # help requests asked in the last 28 days not resolved by the cut-off
    "help_not_helped_28",  # answers the learner said did not help, last 28 days
    "mood_28",  # mean pulse mood (1..5) in the last 28 days; 3 when none
    "effort_28",  # mean pulse effort (1..5) in the last 28 days; 3 when none
    "sessions_missed_28",  # live sessions missed in the last 28 days
    "sessions_attended_28",  # live sessions attended in the last 28 days
    "touchpoints_unopened_28",  # touchpoints sent in the last 28 days and not opened
    "days_since_coach_contact",  # days since a coach last wrote to the learner
)


@dataclass(frozen=True)
class Event:
    """One learning event, reduced to what the features read."""

    verb: str
    object_type: str
    object_id: str
    at: datetime  # aware
    success: bool | None = None  # result.success (a help answer that helped or not)
    mood: int | None = None  # result.extensions.mood (a pulse)
    effort: int | None = None  # result.extensions.effort (a pulse)


@dataclass(frozen=True)
class Touchpoint:
    sent_at: datetime
    opened_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """The learner's journey as the pace needs it: required steps spread from start to target."""

    start: date
    target: date | None
    steps: int  # required steps of the journey


@dataclass(frozen=True)
class History:
    learner_id: int
    events: tuple[Event, ...] = ()  # in any order
    timezone: str = "UTC"
    plan: Plan | None = None
    touchpoints: tuple[Touchpoint, ...] = ()
    coach_contacts: tuple[datetime, ...] = ()  # when a coach wrote to the learner (thread messages, answers)
    titles: dict[str, str] = field(default_factory=dict)  # item ref -> title, for the reasons


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _before(history: History, cutoff: datetime) -> list[Event]:
    return [e for e in history.events if e.at < cutoff]


def learning_times(history: History) -> list[datetime]:
    """The moments of the learner's learning events, oldest first."""
    return sorted(e.at for e in history.events if e.verb in LEARNING_VERBS)


def last_activity(history: History, cutoff: datetime) -> datetime | None:
    """The learner's latest learning event before ``cutoff``, or None."""
    times = [t for t in learning_times(history) if t < cutoff]
    return times[-1] if times else None


def eligible(history: History, cutoff: datetime) -> bool:
    """Whether the learner counts at ``cutoff``: their journey had started and they learnt
    something in the 56 days before (someone long gone is not "at risk", they are gone)."""
    if history.plan is not None and history.plan.start > cutoff.date():
        return False
    last = last_activity(history, cutoff)
    return last is not None and cutoff - last <= ACTIVE_WINDOW


def label(history: History, cutoff: datetime, now: datetime) -> bool | None:
    """True when the learner did no learning in the 14 days from ``cutoff``; None while
    those days are not over at ``now``."""
    if cutoff + HORIZON > now:
        return None
    return not any(cutoff <= t < cutoff + HORIZON for t in learning_times(history))


def _active_days(events: list[Event], cutoff: datetime, start: timedelta, end: timedelta, zone: ZoneInfo) -> int:
    return len({e.at.astimezone(zone).date() for e in events
                if e.verb in LEARNING_VERBS and cutoff - end <= e.at < cutoff - start})  # fmt: skip


def steps_behind(plan: Plan | None, finished: int, day: date) -> float:
    """How many finished steps the plan expected by ``day`` (spread evenly from start to
    target) minus how many are finished; 0 without a plan or a target date."""
    if plan is None or plan.target is None or plan.steps == 0:
        return 0.0
    span = max((plan.target - plan.start).days, 1)
    elapsed = min(max((day - plan.start).days, 0), span)
    return round(plan.steps * elapsed / span - finished, 2)


def features_at(history: History, cutoff: datetime) -> dict[str, float]:
    """The features (``FEATURES``) of ``history`` as they stood just before ``cutoff``."""
    zone = ZoneInfo(history.timezone)
    events = _before(history, cutoff)
    recent = [e for e in events if cutoff - e.at <= timedelta(days=28)]
    last = last_activity(history, cutoff)
    finished = len({e.object_id for e in events if e.verb in FINISH_VERBS and e.object_type == "item"})
    moods = [e.mood for e in recent if e.verb == "responded" and e.object_type == "item" and e.mood is not None]
    efforts = [e.effort for e in recent if e.verb == "responded" and e.object_type == "item" and e.effort is not None]
    asked = {e.object_id for e in recent if e.verb == "asked" and e.object_type == "help_request"}
    resolved = {e.object_id for e in events if e.verb == "completed" and e.object_type == "help_request"}
    contacts = [t for t in history.coach_contacts if t < cutoff]
    sent = [t for t in history.touchpoints if cutoff - timedelta(days=28) <= t.sent_at < cutoff]
    last_14 = _active_days(events, cutoff, timedelta(0), timedelta(days=14), zone)
    return {
        "days_since_activity": min(_days(cutoff - last), CAP_DAYS) if last else CAP_DAYS,
        "active_days_14": float(last_14),
        "active_days_trend": float(
            last_14 - _active_days(events, cutoff, timedelta(days=14), timedelta(days=28), zone)
        ),
        "steps_behind": steps_behind(history.plan, finished, cutoff.astimezone(zone).date()),
        "failed_checks_28": float(sum(e.verb == "failed" for e in recent)),
        "help_unresolved": float(len(asked - resolved)),
        "help_not_helped_28": float(
            sum(
                e.verb == "responded" and e.object_type in ("help_request", "coaching_message") and e.success is False
                for e in recent
            )
        ),  # fmt: skip
        "mood_28": sum(moods) / len(moods) if moods else 3.0,
        "effort_28": sum(efforts) / len(efforts) if efforts else 3.0,
        "sessions_missed_28": float(sum(e.verb == "missed" for e in recent)),
        "sessions_attended_28": float(sum(e.verb == "attended" for e in recent)),
        "touchpoints_unopened_28": float(sum(t.opened_at is None or t.opened_at >= cutoff for t in sent)),
        "days_since_coach_contact": min(_days(cutoff - max(contacts)), CAP_DAYS) if contacts else CAP_DAYS,
    }


def usual_weekday(history: History, cutoff: datetime) -> int | None:
    """The weekday (0 = Monday, in the learner's zone) of most of their learning days in the
    56 days before ``cutoff``, when one stands out (a third of those days at least); else None."""
    zone = ZoneInfo(history.timezone)
    days = {t.astimezone(zone).date() for t in learning_times(history) if cutoff - ACTIVE_WINDOW <= t < cutoff}
    if len(days) < 3:
        return None
    weekday, count = Counter(d.weekday() for d in days).most_common(1)[0]
    return weekday if count * 3 >= len(days) else None


def most_failed(history: History, cutoff: datetime) -> tuple[str, int] | None:
    """The item failed most often in the 28 days before ``cutoff`` and how often, or None."""
    fails = Counter(e.object_id for e in _before(history, cutoff)
                    if e.verb == "failed" and cutoff - e.at <= timedelta(days=28))  # fmt: skip
    if not fails:
        return None
    return fails.most_common(1)[0]
