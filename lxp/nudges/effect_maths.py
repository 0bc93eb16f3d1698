"""The measured effect of touchpoints as plain arithmetic: counts in, rates, differences and
their uncertainty out. No Flask, no database; ``effect`` does the counting in SQL.

Counting rules, so the numbers mean one thing everywhere:

- a row counts messages; ``learners`` is how many different learners they went to, and a
  row about fewer than ``MIN_LEARNERS`` learners is not shown (it could point at one person);
- "came back" is measured only on messages whose 48 hours are over (``measured``), so the
  last two days do not look worse than they are;
- the holdout group is compared by its came-back rate from the moment the message would have
  gone; the difference comes with a 95 % interval (Newcombe's hybrid score method, which
  behaves with small groups and rates near 0 or 1, unlike the textbook normal approximation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

MIN_LEARNERS = 5
WINDOW_HOURS = 48
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Counts:
    """What the database counted for one group of messages (sent, or held out)."""

    rule: str
    channel: str | None  # None: all channels together (and always for the holdout)
    messages: int
    learners: int
    opened: int = 0
    opted_out: int = 0
    measured: int = 0  # messages whose 48 hours are over
    came_back: int = 0  # of ``measured``: the learner learned within 48 hours


@dataclass(frozen=True)
class ChannelRow:
    """One line of the "per rule and channel" table; the numbers are None when not ``shown``."""

    rule: str
    channel: str | None
    shown: bool
    sent: int | None = None
    learners: int | None = None
    opened: int | None = None
    open_rate: float | None = None
    measured: int | None = None
    came_back: int | None = None
    came_back_rate: float | None = None
    opted_out: int | None = None
    opt_out_rate: float | None = None


@dataclass(frozen=True)
class Group:
    """One side of a holdout comparison; the numbers are None when not ``shown``."""

    shown: bool
    messages: int | None = None
    learners: int | None = None
    measured: int | None = None
    came_back: int | None = None
    rate: float | None = None
    opened: int | None = None  # a held-out group's messages were never sent: always 0 there
    open_rate: float | None = None


@dataclass(frozen=True)
class HoldoutRow:
    """A rule's learners who got the message against those held out. ``difference`` is the
    sent group's came-back rate minus the held-out group's (positive: the message helps), with
    its 95 % interval; all three are None unless both groups are shown and measured."""

    rule: str
    sent: Group
    held_out: Group
    has_holdout: bool
    difference: float | None = None
    low: float | None = None
    high: float | None = None


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return part / whole if whole else None


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion. Raises ``ValueError`` for ``trials`` < 1 or
    ``successes`` outside 0..trials."""
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError("need 0 <= successes <= trials and trials >= 1")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(a: int, n: int, b: int, m: int, z: float = Z_95) -> tuple[float, float, float]:
    """``a/n - b/m`` with its interval by Newcombe's method 10 (1998): each rate's Wilson
    interval combined as a square root of summed squares. Returns (difference, low, high).
    Raises ``ValueError`` as ``wilson_interval`` does."""
    p, q = a / n if n else 0.0, b / m if m else 0.0
    l1, u1 = wilson_interval(a, n, z)
    l2, u2 = wilson_interval(b, m, z)
    difference = p - q
    low = difference - math.sqrt((p - l1) ** 2 + (u2 - q) ** 2)
    high = difference + math.sqrt((u1 - p) ** 2 + (q - l2) ** 2)
    return difference, low, high


def channel_rows(counts: Iterable[Counts]) -> list[ChannelRow]:
    """One row per (rule, channel), sorted by rule then channel; too few learners hides a row."""
    rows = []
    for c in sorted(counts, key=lambda c: (c.rule, c.channel or "")):
        if c.learners < MIN_LEARNERS:
            rows.append(ChannelRow(c.rule, c.channel, shown=False))
            continue
        rows.append(ChannelRow(
            c.rule, c.channel, True, sent=c.messages, learners=c.learners, opened=c.opened,
            open_rate=rate(c.opened, c.messages), measured=c.measured, came_back=c.came_back,
            came_back_rate=rate(c.came_back, c.measured), opted_out=c.opted_out,
            opt_out_rate=rate(c.opted_out, c.messages),
        ))  # fmt: skip
    return rows


def _group(c: Counts | None) -> Group:
    if c is None or c.learners < MIN_LEARNERS:
        return Group(shown=False)
    return Group(True, c.messages, c.learners, c.measured, c.came_back, rate(c.came_back, c.measured), c.opened,
                 rate(c.opened, c.messages))  # fmt: skip


def holdout_rows(sent: Iterable[Counts], held_out: Iterable[Counts]) -> list[HoldoutRow]:
    """Per rule (channels together): the sent group against its holdout, sorted by rule.
    A rule that kept no holdout still gets a row, with ``has_holdout`` False."""
    by_rule_sent = {c.rule: c for c in sent}
    by_rule_held = {c.rule: c for c in held_out}
    rows = []
    for rule in sorted(by_rule_sent.keys() | by_rule_held.keys()):
        got, kept = _group(by_rule_sent.get(rule)), _group(by_rule_held.get(rule))
        row = HoldoutRow(rule, got, kept, has_holdout=rule in by_rule_held)
        if got.shown and kept.shown and got.measured and kept.measured:
            difference, low, high = difference_interval(got.came_back, got.measured, kept.came_back, kept.measured)
            row = HoldoutRow(rule, got, kept, True, difference, low, high)
        rows.append(row)
    return rows
