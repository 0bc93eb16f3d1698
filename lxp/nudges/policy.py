"""Learner control: whether, when and how a due touchpoint reaches the learner.

Pure: plain data in, a ``Decision`` out, no database and no Flask. The rules, in order:
  1. a category the learner switched off, a rule they asked for fewer of (or that paused itself
     after being ignored), or a pause: skip;
  2. within an hour of the learner's own activity, nothing but reminders they asked for
     (a session they registered for): hold until that hour is over;
  3. quiet hours in the learner's own time zone: hold until they end;
  4. a rule with adaptive timing (opt-in per rule): hold until the hour, within a day of when
     the message fell due and outside quiet hours, that the learner's own rhythm favours
     (``learner_time``), or for a learner with too little history the hour their organisation
     learns most in (``organisation_time``); a share of such messages keeps the fixed time, to compare;
  5. the weekly cap (celebrations and registered-session reminders first, they never count
     against it): over it, a digest-able message is folded into the digest, others dropped;
  6. otherwise send: to the inbox always, and on the first other channel the learner chose for
     the category that is available (e-mail, push), in the course's order of channels where
     the rule has one (a course may narrow the learner's choice, never widen it).

Channels are plain names here: the caller reads the channel registry (``lxp.channels``) and
passes what the rules need, the defaults of a learner who never chose (``Preferences.defaults``)
and which channel is the inbox (``Situation.inbox``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CATEGORIES = ("reminder", "nudge", "digest", "celebration", "review")
DEFAULT_WEEKLY_CAP = 5
ACTIVITY_GRACE = timedelta(hours=1)
SLOTS = 7 * 24  # hours of the week, Monday 00:00 first, in the learner's zone
SLOT_PRIOR = 0.5  # pseudo-count per hour of the week before any activity is seen
MIN_ACTIVITY = 5  # fewer learning events than this: too little to learn a rhythm from, keep the fixed time
ADAPTIVE_WINDOW = timedelta(hours=24)  # how long after falling due a message may wait for the learner's hour
FIXED_TIME_PERCENT = 20  # of an adaptive rule's messages keep the fixed time: the comparison group
# Pooling for sparse hours (``pooled_concentrations``): an hour borrows from the hours next to it
# and from the same hour on the days either side, the less the more events of its own it has,
# and the organisation's rhythm counts as a few events spread as the organisation learns.
NEIGHBOUR_SHARE = 0.5  # of each neighbouring hour's events, for an hour with none of its own
SAME_HOUR_SHARE = 0.25  # of the same hour's events on the day before and after
SPARSE_EVENTS = 2.0  # the most an hour borrows, in events; less the more events it has of its own
ORGANISATION_WEIGHT = 3.0  # the organisation's rhythm is worth this many of the learner's events
MIN_POOLED_ACTIVITY = 3  # with the organisation's rhythm to borrow from, this many events suffice


@dataclass(frozen=True)
class Preferences:
    """What the learner chose; the defaults are what a learner who never visited the page gets."""

    timezone: str = "UTC"
    off: frozenset[str] = frozenset()  # categories switched off
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category -> channels in order
    # category -> channels in order where the learner has not chosen (the channels' defaults)
    defaults: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(7, 30)
    weekly_cap: int = DEFAULT_WEEKLY_CAP
    paused_until: datetime | None = None
    muted_rules: frozenset[str] = frozenset()  # "fewer like this"
    auto_paused_rules: frozenset[str] = frozenset()  # paused by lxp after being ignored several times
    digest_weekday: int = 0  # Monday
    digest_hour: int = 9

    def channels_for(self, category: str) -> tuple[str, ...]:
        return self.channels.get(category) or self.defaults.get(category, ())


@dataclass(frozen=True)
class Candidate:
    rule: str
    category: str
    asked_for: bool = False  # a reminder of something the learner signed up for (a registered session)
    digestible: bool = True  # may be folded into the weekly digest when over the cap
    channels: tuple[str, ...] = ()  # the course's order of preference; () follows the learner's own
    adaptive: bool = False  # send at the learner's own time (the rule opted in, and not in the fixed-time group)
    due_since: datetime | None = None  # when the message first fell due: the adaptive window starts here
    seed: int = 0  # the message's own draw (its id), so every decision about it samples the same


@dataclass(frozen=True)
class Situation:
    now: datetime  # aware, UTC
    last_activity: datetime | None = None  # the learner's latest learning event
    sent_this_week: int = 0  # messages counted against the cap in the learner's current week
    available_channels: frozenset[str] = frozenset()  # the channels that can reach the learner
    inbox: str = field(kw_only=True)  # the channel every message lands in
    activity: tuple[int, ...] = ()  # the learner's learning events per hour of the week (``activity_by_slot``)
    # the organisation's learners' events per hour of the week, each in their own zone; () when unknown
    organisation_activity: tuple[int, ...] = ()
    # True when ``organisation_activity`` is the organisation's stored rhythm, learnt from enough
    # learners to stand in for a learner with too little history of their own (``organisation_time``)
    organisation_fallback: bool = False


@dataclass(frozen=True)
class Decision:
    action: str  # send, hold, fold, drop, skip
    channel: str | None = None
    until: datetime | None = None  # for hold
    reason: str = ""  # for the record: why it was held, folded, dropped or skipped


def counts_against_cap(candidate: Candidate) -> bool:
    return not (candidate.category == "celebration" or candidate.asked_for)


def decide(candidate: Candidate, preferences: Preferences, situation: Situation) -> Decision:
    """What to do with one due message now (see the module docstring for the rules)."""
    now = situation.now
    if candidate.category in preferences.off:
        return Decision("skip", reason="category_off")
    if candidate.rule in preferences.muted_rules:
        return Decision("skip", reason="rule_muted")
    if candidate.rule in preferences.auto_paused_rules:
        return Decision("skip", reason="rule_paused")
    if preferences.paused_until is not None and now < preferences.paused_until and not candidate.asked_for:
        return Decision("skip", reason="paused")
    if (
        not candidate.asked_for
        and situation.last_activity is not None
        and now - situation.last_activity < ACTIVITY_GRACE
    ):
        return Decision("hold", until=situation.last_activity + ACTIVITY_GRACE, reason="recently_active")
    quiet_end = quiet_hours_end(now, preferences)
    if quiet_end is not None:
        return Decision("hold", until=quiet_end, reason="quiet_hours")
    if candidate.adaptive and candidate.due_since is not None:
        best = learner_time(candidate.due_since, now, preferences, situation.activity, candidate.seed,
                            situation.organisation_activity)  # fmt: skip
        if best is None and situation.organisation_fallback:
            best = organisation_time(candidate.due_since, now, preferences, situation.organisation_activity)
        if best is not None and best > now:
            return Decision("hold", until=best, reason="learner_time")
    if counts_against_cap(candidate) and situation.sent_this_week >= preferences.weekly_cap:
        if candidate.digestible and "digest" not in preferences.off:
            return Decision("fold", reason="weekly_cap")
        return Decision("drop", reason="weekly_cap")
    # The inbox always gets it; the channel is the first other way the learner allowed that
    # works, in the course's order where it set one (it can narrow the learner's choice, never widen it).
    allowed = preferences.channels_for(candidate.category)
    ordered = [c for c in candidate.channels if c in allowed] if candidate.channels else list(allowed)
    channel = next((c for c in ordered if c != situation.inbox and c in situation.available_channels), situation.inbox)
    return Decision("send", channel=channel)


def quiet_hours_end(now: datetime, preferences: Preferences) -> datetime | None:
    """When the learner's quiet hours end, if ``now`` falls inside them (in their own zone;
    hours that span midnight, like 21:00–07:30, are understood); else None."""
    start, end = preferences.quiet_start, preferences.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(preferences.timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # across midnight
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)


def week_start(now: datetime, timezone: str) -> datetime:
    """The start (Monday 00:00 in the learner's zone) of the learner's current week, in UTC."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0, 0), tzinfo=zone).astimezone(now.tzinfo)


def slot_of(moment: datetime, timezone: str) -> int:
    """The hour of the week (0 = Monday 00:00-01:00) of ``moment`` in ``timezone``."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.weekday() * 24 + local.hour


def activity_by_slot(moments: Iterable[datetime], timezone: str) -> tuple[int, ...]:
    """How many of ``moments`` (the learner's learning events) fell in each hour of the week."""
    counts = [0] * SLOTS
    for moment in moments:
        counts[slot_of(moment, timezone)] += 1
    return tuple(counts)


def fixed_time(seed: int) -> bool:
    """Whether the message with this draw keeps the fixed time (the comparison group)."""
    return random.Random(seed * 7919 + 1).randrange(100) < FIXED_TIME_PERCENT


def pooled_concentrations(activity: Sequence[int], organisation: Sequence[int] = ()) -> tuple[float, ...]:
    """The Dirichlet concentration of each hour of the week for a learner's rhythm.

    Each hour starts from ``SLOT_PRIOR`` plus its own events; it then borrows a share of the
    events of the hours either side (``NEIGHBOUR_SHARE``) and of the same hour on the days either
    side (``SAME_HOUR_SHARE``), as ``SPARSE_EVENTS * nearby / (SPARSE_EVENTS + nearby + own)``: never
    more than ``SPARSE_EVENTS`` events, and little for an hour with much evidence of its own; and the organisation's rhythm
    (``organisation``, any non-negative counts) adds ``ORGANISATION_WEIGHT`` pseudo-events spread
    in its proportions. The week wraps around (Sunday 23:00 neighbours Monday 00:00).
    Raises ``ValueError`` when ``activity`` (or a non-empty ``organisation``) is not ``SLOTS`` long."""
    if len(activity) != SLOTS or (organisation and len(organisation) != SLOTS):
        raise ValueError(f"need {SLOTS} hours of the week")
    organisation_total = sum(organisation) if organisation else 0
    concentrations = []
    for slot, own in enumerate(activity):
        neighbours = activity[slot - 1] + activity[(slot + 1) % SLOTS]
        same_hour = activity[slot - 24] + activity[(slot + 24) % SLOTS]
        nearby = NEIGHBOUR_SHARE * neighbours + SAME_HOUR_SHARE * same_hour
        # At most SPARSE_EVENTS borrowed, less the more the hour saw itself; written so one more
        # event of its own always makes an hour likelier (what it stops borrowing is under 1/4).
        borrowed = SPARSE_EVENTS * nearby / (SPARSE_EVENTS + nearby + own)
        prior = ORGANISATION_WEIGHT * organisation[slot] / organisation_total if organisation_total else 0.0
        concentrations.append(SLOT_PRIOR + own + borrowed + prior)
    return tuple(concentrations)


def learner_time(due_since: datetime, now: datetime, preferences: Preferences, activity: Sequence[int],
                 seed: int, organisation: Sequence[int] = ()) -> datetime | None:  # fmt: skip
    """When to send a message that fell due at ``due_since``, at the learner's own time.

    Thompson sampling over the hours of the week: each hour's chance of finding the learner
    active has a Dirichlet posterior whose sparse hours borrow from their neighbours and from the
    organisation's rhythm (``pooled_concentrations``); one draw, seeded by the message (so every
    delivery run decides the same), picks the best hour among the next 24 from ``due_since`` that
    are outside quiet hours. Returns the start of that hour (``due_since`` itself for the first),
    ``now`` when it has passed, or None when there is too little activity to learn from
    (``MIN_ACTIVITY``; ``MIN_POOLED_ACTIVITY`` with the organisation's rhythm to lean on) or no
    hour outside quiet hours."""
    pooled = bool(organisation) and len(organisation) == SLOTS and sum(organisation) > 0
    if len(activity) != SLOTS or sum(activity) < (MIN_POOLED_ACTIVITY if pooled else MIN_ACTIVITY):
        return None
    draw = random.Random(seed)
    weights = [
        draw.gammavariate(alpha, 1.0) for alpha in pooled_concentrations(activity, organisation if pooled else ())
    ]
    return _best_hour(due_since, now, preferences, weights)


def _best_hour(
    due_since: datetime, now: datetime, preferences: Preferences, weights: Sequence[float]
) -> datetime | None:
    """The hour among the next 24 from ``due_since``, outside quiet hours, whose hour of the week
    weighs most (the earliest of equal ones): its start (``due_since`` itself for the first),
    ``now`` when it has passed, None when every hour is quiet."""
    start = due_since.replace(minute=0, second=0, microsecond=0)
    best, best_weight = None, -1.0
    for k in range(int(ADAPTIVE_WINDOW / timedelta(hours=1))):
        moment = max(start + timedelta(hours=k), due_since)
        if quiet_hours_end(moment, preferences) is not None:
            continue
        weight = weights[slot_of(moment, preferences.timezone)]
        if weight > best_weight:
            best, best_weight = moment, weight
    return None if best is None else max(best, now)


def organisation_time(due_since: datetime, now: datetime, preferences: Preferences,
                      organisation: Sequence[int]) -> datetime | None:  # fmt: skip
    """When to send a message that fell due at ``due_since`` to a learner with too little history
    of their own: the hour among the next 24 from ``due_since``, outside the learner's quiet hours,
    in which the organisation's learners (``organisation``, events per hour of the week, each in
    their own zone) learnt most; the earliest of equally busy hours. Returns the start of that hour
    (``due_since`` itself for the first), ``now`` when it has passed, or None when the organisation's
    rhythm has fewer than ``MIN_ACTIVITY`` events or no hour is outside quiet hours."""
    if len(organisation) != SLOTS or sum(organisation) < MIN_ACTIVITY:
        return None
    return _best_hour(due_since, now, preferences, organisation)


def busiest_hours(rhythm: Sequence[int], top: int = 3) -> list[int]:
    """The ``top`` hours of the week (0 = Monday 00:00) with the most events, busiest first
    (the earlier of equally busy hours first); hours with none are left out."""
    ranked = sorted(
        (slot for slot in range(min(len(rhythm), SLOTS)) if rhythm[slot] > 0), key=lambda s: (-rhythm[s], s)
    )
    return ranked[:top]
