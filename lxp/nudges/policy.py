"""Learner control: whether, when and how a due touchpoint reaches the learner.

Pure: plain data in, a ``Decision`` out, no database and no Flask. The rules, in order:
  1. a category the learner switched off, a rule they asked for fewer of (or that paused itself
     after being ignored), or a pause: skip;
  2. within an hour of the learner's own activity, nothing but reminders they asked for
     (a session they registered for): hold until that hour is over;
  3. quiet hours in the learner's own time zone: hold until they end;
  4. the weekly cap (celebrations and registered-session reminders first, they never count
     against it): over it, a digest-able message is folded into the digest, others dropped;
  5. otherwise send: to the inbox always, and on the first other channel the learner chose for
     the category that is available (e-mail, push), in the course's order of channels where
     the rule has one (a course may narrow the learner's choice, never widen it).

Channels are plain names here: the caller reads the channel registry (``lxp.channels``) and
passes what the rules need, the defaults of a learner who never chose (``Preferences.defaults``)
and which channel is the inbox (``Situation.inbox``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CATEGORIES = ("reminder", "nudge", "digest", "celebration", "review")
DEFAULT_WEEKLY_CAP = 5
ACTIVITY_GRACE = timedelta(hours=1)


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


@dataclass(frozen=True)
class Situation:
    now: datetime  # aware, UTC
    last_activity: datetime | None = None  # the learner's latest learning event
    sent_this_week: int = 0  # messages counted against the cap in the learner's current week
    available_channels: frozenset[str] = frozenset()  # the channels that can reach the learner
    inbox: str = field(kw_only=True)  # the channel every message lands in


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
