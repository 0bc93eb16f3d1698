"""Synthetic learner histories for the risk model: seeded, with behaviour settings.

Pure: returns ``History`` objects (``lxp.risk.history.write`` can store them as events for the
demo). The same seed and settings give the same population. Tests train on one population and
evaluate on others with different seeds and settings; the bench prints the figures.

How a synthetic learner behaves, day by day in their own zone: on a learning day (likelier on
their usual weekdays) they open and finish a block or two, sometimes fail a check, sometimes say
how it felt. Each day they may also start a break, with a hazard that rises with recent failed
checks, low mood, missed sessions and unanswered help requests and falls after a coach writes;
a break lasts some days, and some breaks never end. That is the "going quiet" the model predicts,
and it depends on more than the days since the last activity, as it does for real people.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lxp.risk.features import Event, History, Plan, Touchpoint

ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Europe/Moscow", "Asia/Kolkata")


@dataclass(frozen=True)
class Behaviour:
    """How a population behaves; the defaults are the demo's."""

    learning_day: float = 0.45  # chance of learning on a usual weekday (a third of it on other days)
    break_hazard: float = 0.02  # daily chance of starting a break, before the effects below
    failure_effect: float = 0.5  # log-hazard per failed check in the last 14 days
    mood_effect: float = 0.6  # log-hazard per point of mood below 3 (the last pulse)
    missed_effect: float = 0.7  # log-hazard per missed session in the last 28 days
    help_effect: float = 0.8  # log-hazard while a help request is unanswered
    coach_effect: float = -1.0  # log-hazard for 10 days after a coach wrote
    break_days: float = 12.0  # mean length of a break that ends
    no_return: float = 0.25  # share of breaks that never end
    fail_rate: float = 0.25  # chance a check is failed
    coach_rate: float = 0.03  # daily chance a coach writes
    session_every: int = 14  # days between live sessions a learner registers for


def _at(rng: random.Random, day: date, zone: ZoneInfo, hour: int) -> datetime:
    local = datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=zone)
    return local.astimezone(UTC)


def generate(learners: int, *, seed: int, now: datetime, days: int = 180,
             behaviour: Behaviour | None = None, first_id: int = 1) -> list[History]:  # fmt: skip
    """``learners`` synthetic histories over the ``days`` before ``now`` (learner ids from ``first_id``)."""
    rng = random.Random(seed)
    settings = behaviour or Behaviour()
    return [_learner(rng, settings, first_id + n, now, days) for n in range(learners)]


def _learner(rng: random.Random, b: Behaviour, learner_id: int, now: datetime, days: int) -> History:
    zone_name = rng.choice(ZONES)
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    start = today - timedelta(days=rng.randint(30, days))
    usual = set(rng.sample(range(7), rng.randint(1, 3)))
    hour = rng.choice((7, 12, 18, 20))  # the learner's own time of day
    grit = rng.gauss(0, 0.5)  # some people keep going more than others
    skill = rng.uniform(-0.15, 0.15)
    events: list[Event] = []
    touchpoints: list[Touchpoint] = []
    contacts: list[datetime] = []
    fails: list[date] = []
    missed: list[date] = []
    mood = 4
    help_open = False
    break_until: date | None = None
    step = 0
    for offset in range((today - start).days):
        day = start + timedelta(days=offset)
        if (now - datetime.combine(day, time(0), tzinfo=zone)).total_seconds() < 86400:
            break  # only whole days before now
        if rng.random() < b.coach_rate:
            contacts.append(_at(rng, day, zone, 10))
            help_open = False
        if break_until is not None:
            if day < break_until:
                if offset % 7 == 3:  # an inactivity touchpoint, rarely opened while away
                    sent = _at(rng, day, zone, 12)
                    touchpoints.append(Touchpoint(sent, sent + timedelta(hours=3) if rng.random() < 0.15 else None))
                continue
            break_until = None
        session_day = offset % b.session_every == b.session_every - 1
        if session_day:
            at = _at(rng, day, zone, 17)
            came = rng.random() < 0.8 + grit * 0.2
            events.append(Event("attended" if came else "missed", "item", f"1:session-{offset}", at))
            if not came:
                missed.append(day)
        chance = b.learning_day * (1 if day.weekday() in usual else 1 / 3)
        if rng.random() < chance:
            step += 1
            ref = f"1:block-{step}"
            at = _at(rng, day, zone, hour)
            events.append(Event("launched", "item", ref, at))
            if step % 3 == 0:  # a check
                failed = rng.random() < b.fail_rate - skill
                events.append(Event("failed" if failed else "passed", "item", ref, at + timedelta(minutes=8),
                                    success=not failed))  # fmt: skip
                if failed:
                    fails.append(day)
                    mood = max(1, mood - 1)
                    if rng.random() < 0.3:
                        events.append(
                            Event("asked", "help_request", f"h{learner_id}-{step}", at + timedelta(minutes=9))
                        )
                        help_open = True
                else:
                    mood = min(5, mood + 1)
            else:
                events.append(Event("completed", "item", ref, at + timedelta(minutes=6)))
            if rng.random() < 0.5:
                events.append(Event("responded", "item", ref, at + timedelta(minutes=10), mood=mood,
                                    effort=max(1, min(5, 6 - mood + rng.choice((-1, 0, 1))))))  # fmt: skip
        log_hazard = (
            math.log(b.break_hazard)
            - grit
            + b.failure_effect * sum(day - f <= timedelta(days=14) for f in fails)
            + b.mood_effect * max(0, 3 - mood)
            + b.missed_effect * sum(day - m <= timedelta(days=28) for m in missed)
            + (b.help_effect if help_open else 0.0)
            + (b.coach_effect if contacts and day - contacts[-1].astimezone(zone).date() <= timedelta(days=10) else 0.0)
        )
        if rng.random() < min(math.exp(log_hazard), 0.9):
            length = 10_000 if rng.random() < b.no_return else max(1, round(rng.expovariate(1 / b.break_days)))
            break_until = day + timedelta(days=length)
            mood = max(mood, 3)  # a break resets the mood
    plan = Plan(start=start, target=start + timedelta(days=rng.choice((60, 90, 120))), steps=40)
    return History(learner_id, tuple(events), zone_name, plan, tuple(touchpoints), tuple(contacts),
                   {f"1:block-{k}": f"Block {k}" for k in range(1, step + 1)})  # fmt: skip
