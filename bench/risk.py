"""The risk model on synthetic populations: trained on one, judged on others.

Prints figures; it is not a test. Trains on a population of the demo's behaviour, then scores
the held-out later weeks of the same population and every week of populations generated with
other seeds and behaviour settings, next to the baseline "days since last activity". Also
prints how long features, training and scoring took.

    .venv/bin/python bench/risk.py [--learners 400]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from lxp.risk import model, population

NOW = datetime(2026, 11, 29, 23, 50, tzinfo=UTC)
OTHERS = {
    "same behaviour, seed 11": (11, population.Behaviour()),
    "more failures, fewer learning days": (23, population.Behaviour(learning_day=0.3, fail_rate=0.4,
                                                                    failure_effect=0.8, break_hazard=0.03)),
    "coaches write more, breaks end sooner": (37, population.Behaviour(coach_rate=0.08, break_days=6,
                                                                       no_return=0.1, mood_effect=0.9)),
}  # fmt: skip


def line(name: str, scores: model.Scores, baseline: model.Scores) -> str:
    return (f"{name:40} AUC {scores.auc:.3f} (baseline {baseline.auc:.3f})   "
            f"Brier {scores.brier:.3f} (baseline {baseline.brier:.3f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=400)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = model.snapshots(population.generate(args.learners, seed=1, now=NOW), model.cutoffs(NOW), NOW)
    features_done = time.perf_counter()
    evaluation = model.train_and_evaluate(rows, margin=0.02)
    trained = time.perf_counter()
    print(f"{len(rows)} learner-weeks; features {features_done - started:.1f} s, "
          f"training and evaluation {trained - features_done:.1f} s")  # fmt: skip
    print(line("held-out later weeks", evaluation.model_scores, evaluation.baseline_scores))
    for name, (seed, behaviour) in OTHERS.items():
        other = model.snapshots(population.generate(args.learners, seed=seed, now=NOW, behaviour=behaviour),
                                model.cutoffs(NOW), NOW)  # fmt: skip
        outcomes = [r.quiet for r in other]
        print(line(name, model.score([evaluation.model.probability(r.features) for r in other], outcomes),
                   model.score([evaluation.baseline.probability(r.features) for r in other], outcomes)))  # fmt: skip
    print("used" if evaluation.beats_baseline else "not used: no better than the baseline by 0.02 AUC")


if __name__ == "__main__":
    main()
