"""The risk model's pipeline on generated populations: trained on one, judged on others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lxp.risk import model, population
from lxp.risk.features import HORIZON

NOW = datetime(2026, 11, 29, 23, 50, tzinfo=UTC)
TRAINING = population.Behaviour()
OTHERS = {
    "another seed": (11, population.Behaviour()),
    "more failures, fewer learning days": (
        23,
        population.Behaviour(learning_day=0.3, fail_rate=0.4, failure_effect=0.8, break_hazard=0.03),
    ),
    "coaches write more, breaks end sooner": (
        37,
        population.Behaviour(coach_rate=0.08, break_days=6, no_return=0.1, mood_effect=0.9),
    ),
}


@pytest.fixture(scope="module")
def trained() -> model.Evaluation:
    histories = population.generate(250, seed=1, now=NOW, behaviour=TRAINING)
    return model.train_and_evaluate(model.snapshots(histories, model.cutoffs(NOW), NOW), margin=0.02)


def test_the_split_holds_out_the_latest_weeks_and_trains_only_on_windows_closed_before_them():
    rows = model.snapshots(population.generate(60, seed=3, now=NOW), model.cutoffs(NOW), NOW)
    training, held_out = model.split(rows)
    first_held = min(r.cutoff for r in held_out)
    assert all(r.cutoff + HORIZON <= first_held for r in training)
    assert len({r.cutoff for r in held_out}) == round(len({r.cutoff for r in rows}) / 3)
    assert all(r.cutoff + HORIZON <= NOW for r in rows)  # every label is known


def test_on_the_held_out_weeks_the_model_ranks_and_calibrates_better_than_chance(trained):
    scores = trained.model_scores
    base_rate = trained.held_out_quiet / trained.held_out_rows
    assert scores.auc > 0.75
    assert scores.brier < base_rate * (1 - base_rate)  # better than always saying the base rate
    assert sum(b.rows for b in scores.table) == trained.held_out_rows
    assert trained.baseline_scores.auc > 0.6  # days since last activity alone is a strong baseline


@pytest.mark.parametrize("name", OTHERS)
def test_the_trained_model_holds_up_on_populations_it_never_saw(trained, name):
    seed, behaviour = OTHERS[name]
    rows = model.snapshots(population.generate(150, seed=seed, now=NOW, behaviour=behaviour), model.cutoffs(NOW), NOW)
    outcomes = [r.quiet for r in rows]
    probabilities = [trained.model.probability(r.features) for r in rows]
    scores = model.score(probabilities, outcomes)
    base_rate = sum(outcomes) / len(outcomes)
    assert scores.auc > 0.7, name
    assert scores.brier < base_rate * (1 - base_rate), name


def test_the_stored_json_gives_the_same_estimates(trained):
    again = model.Fitted.from_json(trained.model.to_json())
    rows = model.snapshots(population.generate(5, seed=5, now=NOW), model.cutoffs(NOW), NOW)
    assert [again.probability(r.features) for r in rows] == [trained.model.probability(r.features) for r in rows]


def test_too_little_history_says_so():
    rows = model.snapshots(population.generate(8, seed=2, now=NOW), model.cutoffs(NOW), NOW)
    with pytest.raises(model.NotEnoughHistory, match="at least 200"):
        model.train_and_evaluate(rows, margin=0.02)
    with pytest.raises(model.NotEnoughHistory, match="weeks"):
        model.train_and_evaluate(rows[:0], margin=0.02)


def test_auc_brier_and_reliability_by_hand():
    assert model.auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert model.auc([0.5, 0.5], [False, True]) == 0.5
    assert model.auc([0.2], [True]) is None
    assert model.brier([1.0, 0.0, 0.5], [True, False, True]) == pytest.approx(0.25 / 3)
    table = model.reliability([0.1, 0.15, 0.9, 1.0], [False, True, True, True], bins=2)
    assert [(b.rows, b.predicted, b.observed) for b in table] == [(2, 0.125, 0.5), (2, 0.95, 1.0)]


def test_the_model_is_used_only_when_it_beats_the_baseline_by_the_margin(trained):
    gap = trained.model_scores.auc - trained.baseline_scores.auc
    better = trained.model_scores.brier <= trained.baseline_scores.brier
    assert trained.beats_baseline == (gap >= 0.02 and better)
    from dataclasses import replace

    assert not replace(trained, margin=gap + 0.01).beats_baseline
