"""The flag holdout as plain arithmetic: who is held out, and what the comparison may say.

Pure: no Flask, no database. Whether a flag is held out is a draw from the organisation's
stored seed, the learner and the day the flag was raised (``draw``), so a run is reproducible
and an analyst holding the seed can re-derive who was held out without lxp
(``sha256("<seed>:<learner id>:<YYYY-MM-DD>")``, its first 8 bytes read as a big-endian
integer and divided by 2**64; held out when below the share).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from lxp.nudges.effect_maths import difference_interval

K_ANONYMITY = 5  # no group of fewer learners is shown
ENOUGH_FLAGS = 30  # below this many closed flags in a group, say the figures are too few to judge


def new_seed() -> str:
    """A fresh organisation seed (16 hex digits)."""
    return secrets.token_hex(8)


def draw(seed: str, learner_id: int, day: date) -> float:
    """The flag's draw in [0, 1): the same seed, learner and day always give the same number."""
    digest = hashlib.sha256(f"{seed}:{learner_id}:{day.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out(seed: str | None, learner_id: int, day: date, share: float) -> bool:
    """Whether the flag raised for ``learner_id`` on ``day`` is held out from coaches."""
    return bool(seed) and share > 0 and draw(seed, learner_id, day) < share


@dataclass(frozen=True)
class Side:
    """One group of closed flags: how many, of how many learners, how many came back in 14 days."""

    flags: int
    learners: int
    came_back: int

    @property
    def shown(self) -> bool:
        return self.learners >= K_ANONYMITY

    @property
    def rate(self) -> float | None:
        return self.came_back / self.flags if self.flags else None


@dataclass(frozen=True)
class Comparison:
    """Flagged and helped (a coach acted) against held out. ``verdict`` says what may be said:
    ``no_holdout`` (nothing held out yet), ``too_few`` (a group under ``K_ANONYMITY`` learners:
    nothing is shown), ``small`` (shown, but under ``ENOUGH_FLAGS`` flags a side: too few to judge),
    ``unclear`` (the 95 % interval of the difference spans zero), ``helped_more`` or
    ``held_out_more`` (the interval lies on one side)."""

    helped: Side
    held_out: Side
    verdict: str
    difference: float | None = None  # helped's came-back rate minus held out's
    low: float | None = None
    high: float | None = None


def compare(helped: Side, held: Side) -> Comparison:
    """What the holdout comparison may honestly say (see ``Comparison``)."""
    if held.flags == 0:
        return Comparison(helped, held, "no_holdout")
    if not (helped.shown and held.shown):
        return Comparison(helped, held, "too_few")
    difference, low, high = difference_interval(helped.came_back, helped.flags, held.came_back, held.flags)
    if min(helped.flags, held.flags) < ENOUGH_FLAGS:
        verdict = "small"
    elif low > 0:
        verdict = "helped_more"
    elif high < 0:
        verdict = "held_out_more"
    else:
        verdict = "unclear"
    return Comparison(helped, held, verdict, difference, low, high)
