"""The risk model on synthetic populations: trained on one, judged on others.

Prints figures; it is not a test. Trains on a population of the demo's behaviour, then scores
the held-out later weeks of the same population and every week of populations generated with
other seeds and behaviour settings, next to the baseline "days since last activity". Also
prints how long features, training and scoring took, and how long the daily flagging takes
for a large organisation (``--flagging``, 10,000 learners by default): eligibility, features,
the model's estimate, reasons in codes, the rules where the model does not flag, and the
seeded holdout draw, per learner, as ``services.raise_flags`` does them. Reading the histories
from the database and writing the flags are not in that figure: ``--job`` (2,000 learners by
default) times the scheduler's whole job end to end on a generated organisation stored in a
database, as ``lxp.scheduler.run_job`` runs it: reading every history, training and evaluating
the model, storing the organisation's rhythm, reading the histories again, raising and storing
the flags, and the commit; then a second run the same day (nothing due: the steady hourly cost).

    .venv/bin/python bench/risk.py [--learners 400] [--flagging 10000] [--job 2000] [--database-url URL]

Without a URL (or ``LXP_BENCH_DATABASE_URL``) the job runs on a fresh SQLite file; give an empty
PostgreSQL database for the production figure.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta

from lxp.risk import holdout, model, population
from lxp.risk.features import eligible, features_at
from lxp.risk.reasons import by_rules, from_contributions
from lxp.risk.services import FLAG_PROBABILITY

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


def daily_flagging(learners: int, fitted: model.Fitted) -> None:
    """Time one day's flagging of ``learners`` generated learners with ``fitted``."""
    started = time.perf_counter()
    histories = population.generate(learners, seed=5, now=NOW)
    generated = time.perf_counter()
    counted = by_model = by_rules_only = held = 0
    for learner in histories:
        if not eligible(learner, NOW):
            continue
        counted += 1
        values = features_at(learner, NOW)
        if fitted.probability(values) >= FLAG_PROBABILITY:
            reasons = from_contributions(fitted.contributions(values), values, learner, NOW)
            by_model += bool(reasons)
        else:
            reasons = by_rules(values, learner, NOW)
            by_rules_only += bool(reasons)
        if reasons:
            held += holdout.held_out("bench-seed", learner.learner_id, NOW.date(), 0.2)
    done = time.perf_counter()
    print(f"daily flagging, {learners:,} learners ({counted:,} active): {done - generated:.1f} s "
          f"({(done - generated) / max(learners, 1) * 1000:.2f} ms a learner); flagged by the model's estimate "
          f"{by_model:,}, by the rules where the estimate stayed low {by_rules_only:,}; {held:,} drawn into a 20 % holdout")  # fmt: skip
    print(f"  (generating the histories took {generated - started:.1f} s and is not counted; reading them from "
          "the database and storing the flags: the whole job below, --job)")  # fmt: skip


def whole_job(learners: int, database_url: str | None) -> None:
    """Time the scheduler's risk job end to end over an organisation of ``learners`` generated
    learners, each on an active journey, stored in a fresh database."""
    from flask_migrate import upgrade
    from sqlalchemy import event, func, insert, select

    from lxp import create_app
    from lxp.accounts.models import Organisation
    from lxp.core import unit_of_work
    from lxp.core.time import utcnow
    from lxp.extensions import db
    from lxp.nudges.models import OrganisationRhythm
    from lxp.paths.models import Journey
    from lxp.risk import history, services
    from lxp.risk.models import RiskFlag, RiskModel
    from lxp.scheduler import run_job

    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch,
                          "BASE_URL": "http://lxp.bench"})  # fmt: skip
        with app.app_context():
            upgrade()
            began = time.perf_counter()
            now = utcnow()
            organisation = Organisation(slug="bench", name="Bench")
            db.session.add(organisation)
            db.session.flush()
            generated = population.generate(learners, seed=8, now=now)
            ids = history.store(organisation.id, generated)
            db.session.execute(insert(Journey), [
                {"learner_id": i, "status": "active", "weekly_minutes": 60, "modalities": [], "choices": {},
                 "start_date": h.plan.start if h.plan else (now - timedelta(days=120)).date(),
                 "target_date": h.plan.target if h.plan else None, "created_at": now - timedelta(days=120)}
                for i, h in zip(ids, generated, strict=True)
            ])  # fmt: skip
            organisation_id = organisation.id
            db.session.commit()
            events = sum(len(h.events) for h in generated)
            print(f"whole job on {url.split(':')[0]}: {learners:,} learners, {events:,} events "
                  f"(built in {time.perf_counter() - began:.0f} s)")  # fmt: skip
            statements: list = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        for label in ("first run (trains, stores the rhythm, raises flags)", "second run the same day (nothing due)"):
            statements.clear()
            started = time.perf_counter()
            run_job(app, "lxp.risk.jobs:refresh")
            seconds = time.perf_counter() - started
            with app.app_context():
                status = db.session.execute(select(RiskModel.status).order_by(RiskModel.id.desc())).scalar()
                flags = db.session.scalar(select(func.count()).select_from(RiskFlag))
                rhythm = db.session.get(OrganisationRhythm, organisation_id)
                print(f"  {label}: {seconds:.1f} s ({seconds / learners * 1000:.2f} ms a learner), "
                      f"{len(statements)} SQL statements; model {status}, {flags:,} flags stored, rhythm from "
                      f"{rhythm.learners if rhythm else 0:,} learners")  # fmt: skip
        # The next day: the model is a day old, so only the flags (read, compute, store) and the commit.
        with app.app_context():
            statements.clear()
            started = time.perf_counter()
            with unit_of_work.boundary("bench: the next day's flags"):
                services.refresh(utcnow() + timedelta(days=1, minutes=5))
            seconds = time.perf_counter() - started
            flags = db.session.scalar(select(func.count()).select_from(RiskFlag))
            print(f"  the next day's run (flags only, the model is kept): {seconds:.1f} s "
                  f"({seconds / learners * 1000:.2f} ms a learner), {len(statements)} SQL statements; "
                  f"{flags:,} flags stored in all")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=400)
    parser.add_argument("--flagging", type=int, default=10_000, help="learners in the daily flagging run (0: skip)")
    parser.add_argument("--job", type=int, default=2_000, help="learners in the whole scheduler job (0: skip)")
    parser.add_argument("--database-url", default=os.environ.get("LXP_BENCH_DATABASE_URL"))
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
    if args.flagging:
        daily_flagging(args.flagging, evaluation.model)
    if args.job:
        whole_job(args.job, args.database_url)


if __name__ == "__main__":
    main()
