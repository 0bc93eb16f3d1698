"""The risk model: snapshots, a time-based split, training and honest evaluation.

No database and no Flask: histories in, a ``Fitted`` model and an ``Evaluation`` out.

- **Snapshots.** Every week back from the newest cut-off whose 14 days are over, each
  eligible learner gives one row: the features at the cut-off and whether they then went quiet.
- **Time-based split.** The latest weeks (a third, at least one) are held out; training uses
  only cut-offs whose 14-day label window ended before the first held-out cut-off, so nothing
  the held-out period knows leaks into training.
- **Model.** Standardised features, L2-regularised logistic regression (scikit-learn). It is
  stored as plain numbers (means, scales, coefficients, intercept: JSON, no pickle) and
  ``Fitted.probability`` needs nothing but ``math``.
- **Baseline.** "Days since last activity" alone, turned into a probability by a one-feature
  logistic regression on the same training rows, so Brier scores compare like with like.
- **Enough history.** Below ``MIN_ROWS`` training rows, ``MIN_EACH`` of each outcome or
  ``MIN_WEEKS`` training cut-offs, ``train`` raises ``NotEnoughHistory``: the rules alone apply.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxp.risk.features import FEATURES, HORIZON, History, eligible, features_at, label

MIN_ROWS = 200
MIN_EACH = 20
MIN_WEEKS = 4
MAX_WEEKS = 26
HELD_OUT_SHARE = 1 / 3
REGULARISATION = 1.0  # scikit-learn's C: smaller is stronger
BASELINE = "days_since_activity"
BINS = 5  # rows of the reliability table


class NotEnoughHistory(ValueError):
    """Too little history to train a model that means anything; the message says what is missing."""


@dataclass(frozen=True)
class Row:
    learner_id: int
    cutoff: datetime
    features: dict[str, float]
    quiet: bool


def cutoffs(now: datetime, weeks: int = MAX_WEEKS) -> list[datetime]:
    """Weekly cut-offs, oldest first, ending at the newest one whose 14 days are over by ``now``
    (at midnight UTC, so a day's events fall on one side)."""
    newest = (now - HORIZON).replace(hour=0, minute=0, second=0, microsecond=0)
    return [newest - timedelta(weeks=k) for k in reversed(range(weeks))]


def snapshots(histories: Iterable[History], moments: Sequence[datetime], now: datetime) -> list[Row]:
    """One row per eligible learner and cut-off whose label is known by ``now``."""
    rows = []
    for history in histories:
        for cutoff in moments:
            went_quiet = label(history, cutoff, now)
            if went_quiet is None or not eligible(history, cutoff):
                continue
            rows.append(Row(history.learner_id, cutoff, features_at(history, cutoff), went_quiet))
    return rows


def split(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """(training, held out) by time: the latest third of the cut-offs held out, and training
    rows only from cut-offs whose label window closed before the first held-out cut-off."""
    moments = sorted({r.cutoff for r in rows})
    if len(moments) < 2:
        return rows, []
    held = max(1, round(len(moments) * HELD_OUT_SHARE))
    first_held = moments[-held]
    training = [r for r in rows if r.cutoff + HORIZON <= first_held]
    return training, [r for r in rows if r.cutoff >= first_held]


@dataclass(frozen=True)
class Fitted:
    """A logistic regression on standardised features, as plain numbers."""

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float

    def contributions(self, values: dict[str, float]) -> dict[str, float]:
        """Each feature's push on the log-odds against the average training row."""
        return {name: c * (values[name] - m) / s
                for name, m, s, c in zip(self.features, self.means, self.scales, self.coefficients, strict=True)}  # fmt: skip

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(self.contributions(values).values())
        return 1 / (1 + math.exp(-max(min(z, 35), -35)))

    def to_json(self) -> dict:
        return {"features": list(self.features), "means": list(self.means), "scales": list(self.scales),
                "coefficients": list(self.coefficients), "intercept": self.intercept}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> Fitted:
        return cls(tuple(data["features"]), tuple(map(float, data["means"])), tuple(map(float, data["scales"])),
                   tuple(map(float, data["coefficients"])), float(data["intercept"]))  # fmt: skip


def fit(rows: list[Row], features: Sequence[str] = FEATURES, regularisation: float = REGULARISATION) -> Fitted:
    """A regularised logistic regression of "went quiet" on ``features``. Raises ``NotEnoughHistory``."""
    import numpy as np  # heavy: only the training job and the evaluation need them
    from sklearn.linear_model import LogisticRegression

    quiet = sum(r.quiet for r in rows)
    if len(rows) < MIN_ROWS or min(quiet, len(rows) - quiet) < MIN_EACH:
        raise NotEnoughHistory(
            f"{len(rows)} learner-weeks ({quiet} went quiet) to train on; at least {MIN_ROWS} are needed, "
            f"with {MIN_EACH} of each outcome"
        )
    x = np.array([[r.features[name] for name in features] for r in rows], dtype=float)
    y = np.array([r.quiet for r in rows], dtype=int)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0  # a feature that never varies contributes nothing
    model = LogisticRegression(C=regularisation, max_iter=1000)
    model.fit((x - means) / scales, y)
    return Fitted(tuple(features), tuple(means.tolist()), tuple(scales.tolist()),
                  tuple(model.coef_[0].tolist()), float(model.intercept_[0]))  # fmt: skip


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float | None:
    """The area under the ROC curve (ties count half); None with only one outcome."""
    positives = [s for s, o in zip(scores, outcomes, strict=True) if o]
    negatives = [s for s, o in zip(scores, outcomes, strict=True) if not o]
    if not positives or not negatives:
        return None
    ranked = sorted((s, o) for s, o in zip(scores, outcomes, strict=True))
    # Mann-Whitney: sum of the positives' mid-ranks.
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + j + 1) / 2
        rank_sum += mid * sum(o for _, o in ranked[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def brier(probabilities: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean squared difference between estimate and outcome (0 is perfect; 0.25 is a coin)."""
    return sum((p - o) ** 2 for p, o in zip(probabilities, outcomes, strict=True)) / len(outcomes)


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    rows: int
    predicted: float | None  # mean estimate in the bin
    observed: float | None  # share who went quiet


def reliability(probabilities: Sequence[float], outcomes: Sequence[bool], bins: int = BINS) -> list[Bin]:
    """Estimates grouped in equal-width bins: what was predicted against what happened."""
    table = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        inside = [(p, o) for p, o in zip(probabilities, outcomes, strict=True)
                  if low <= p < high or (k == bins - 1 and p == 1.0)]  # fmt: skip
        table.append(Bin(low, high, len(inside),
                         sum(p for p, _ in inside) / len(inside) if inside else None,
                         sum(o for _, o in inside) / len(inside) if inside else None))  # fmt: skip
    return table


@dataclass(frozen=True)
class Scores:
    auc: float | None
    brier: float
    table: list[Bin]


def score(probabilities: Sequence[float], outcomes: Sequence[bool]) -> Scores:
    return Scores(auc(probabilities, outcomes), brier(probabilities, outcomes), reliability(probabilities, outcomes))


@dataclass(frozen=True)
class Evaluation:
    model: Fitted
    baseline: Fitted
    training_rows: int
    held_out_rows: int
    held_out_quiet: int
    held_out_from: datetime
    held_out_to: datetime
    model_scores: Scores
    baseline_scores: Scores
    margin: float
    notes: list[str] = field(default_factory=list)

    @property
    def beats_baseline(self) -> bool:
        """The model is used only when its AUC beats the baseline's by the margin and its Brier score is no worse."""
        m, b = self.model_scores, self.baseline_scores
        return m.auc is not None and b.auc is not None and m.auc >= b.auc + self.margin and m.brier <= b.brier


def train_and_evaluate(rows: list[Row], margin: float, regularisation: float = REGULARISATION) -> Evaluation:
    """Split by time, fit the model and the baseline on the earlier rows, score both on the
    later ones. Raises ``NotEnoughHistory`` (too few rows, weeks or of either outcome)."""
    training, held_out = split(rows)
    weeks = len({r.cutoff for r in training})
    if weeks < MIN_WEEKS or not held_out:
        raise NotEnoughHistory(f"{weeks} weeks of history to train on and {len({r.cutoff for r in held_out})} to "
                               f"test on; at least {MIN_WEEKS} and 1 are needed")  # fmt: skip
    model = fit(training, FEATURES, regularisation)
    baseline = fit(training, (BASELINE,), regularisation)
    outcomes = [r.quiet for r in held_out]
    moments = sorted({r.cutoff for r in held_out})
    return Evaluation(
        model=model, baseline=baseline, training_rows=len(training), held_out_rows=len(held_out),
        held_out_quiet=sum(outcomes), held_out_from=moments[0], held_out_to=moments[-1], margin=margin,
        model_scores=score([model.probability(r.features) for r in held_out], outcomes),
        baseline_scores=score([baseline.probability(r.features) for r in held_out], outcomes),
    )  # fmt: skip
