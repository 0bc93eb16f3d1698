"""``flask lxp risk train`` and ``flask lxp risk evaluate``: the risk model against its baseline."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.extensions import db
from lxp.risk import holdout, services
from lxp.risk import model as engine

risk_cli = AppGroup("risk", help="Predictive support: the model of who may go quiet, against its baseline.")


def _organisation(slug: str | None) -> Organisation:
    query = select(Organisation).order_by(Organisation.id)
    if slug:
        query = query.where(Organisation.slug == slug)
    organisation = db.session.execute(query).scalars().first()
    if organisation is None:
        raise click.ClickException(f"no organisation {slug!r}" if slug else "no organisation yet")
    return organisation


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_evaluation(data: dict) -> None:
    """The stored evaluation as a table: AUC and Brier score of both, and the reliability table."""
    model, baseline = data["model"], data["baseline"]
    click.echo(f"held out: cut-offs {data['held_out_from'][:10]} to {data['held_out_to'][:10]}, "
               f"{data['held_out_rows']} learner-weeks ({data['held_out_quiet']} went quiet); "
               f"trained on {data['training_rows']} earlier learner-weeks")  # fmt: skip
    click.echo(f"{'':28}{'model':>10}{'baseline':>10}")
    click.echo(f"{'AUC (higher is better)':28}{_figure(model['auc']):>10}{_figure(baseline['auc']):>10}")
    click.echo(f"{'Brier score (lower is better)':28}{_figure(model['brier']):>10}{_figure(baseline['brier']):>10}")
    click.echo("reliability: estimated against observed share who went quiet")
    click.echo(f"{'estimate':12}{'model rows':>12}{'predicted':>11}{'observed':>10}{'baseline rows':>15}"
               f"{'predicted':>11}{'observed':>10}")  # fmt: skip
    for m, b in zip(model["table"], baseline["table"], strict=True):
        click.echo(f"{m['low']:.1f}-{m['high']:.1f}{'':5}{m['rows']:>12}{_figure(m['predicted']):>11}"
                   f"{_figure(m['observed']):>10}{b['rows']:>15}{_figure(b['predicted']):>11}"
                   f"{_figure(b['observed']):>10}")  # fmt: skip


@risk_cli.command("evaluate")
@click.option("--organisation", "slug", help="Organisation slug (default: the first one).")
@click.option("--train", "retrain", is_flag=True, help="Train a new model first (the scheduler does it weekly).")
def evaluate(slug: str | None, retrain: bool) -> None:
    """Print the latest model's AUC, Brier score and reliability on the held-out later weeks,
    next to the baseline "days since last activity", and whether the model is used."""
    organisation = _organisation(slug)
    latest = services.latest_model(organisation.id)
    if retrain or latest is None:
        latest, _ = services.train(organisation)
    click.echo(f"{organisation.slug}: model trained {latest.trained_at:%Y-%m-%d %H:%M} UTC")
    if latest.status == "not_enough_history":
        click.echo(f"not enough history: {latest.detail}. The rules alone decide whom to flag.")
        return
    print_evaluation(latest.evaluation)
    margin = latest.evaluation["margin"]
    if latest.status == "used":
        click.echo(f"the model beats the baseline by at least {margin:.2f} AUC: it is used")
    else:
        click.echo(f"the model does not beat the baseline by {margin:.2f} AUC with a Brier score no worse: "
                   "it is not used; the rules alone decide whom to flag")  # fmt: skip
    minimum = f"{engine.MIN_ROWS} learner-weeks"
    click.echo(f"(a model needs at least {minimum} and {engine.MIN_WEEKS} weeks of history to train)")


@risk_cli.command("holdout")
@click.option("--organisation", "slug", help="Organisation slug (default: the first one).")
def holdout_draws(slug: str | None) -> None:
    """Print the organisation's holdout seed and share, and each flag's draw re-derived from
    the seed, the learner and the day, next to whether it was held out (a check an analyst can
    repeat outside lxp)."""
    organisation = _organisation(slug)
    seed = services.holdout_seed(organisation.id)
    share = services.holdout_percent(organisation.id)
    click.echo(f"{organisation.slug}: seed {seed or '-'}, {share} % held out")
    click.echo(
        "draw = first 8 bytes of sha256('<seed>:<learner id>:<YYYY-MM-DD>') / 2**64; held out when below the share"
    )
    click.echo(f"{'flag':>8}{'learner':>10}  {'raised':10}{'draw':>9}  held out")
    for flag in services.flags_of(organisation.id):
        value = "-" if not seed else f"{holdout.draw(seed, flag.learner_id, flag.raised_at.date()):.4f}"
        click.echo(f"{flag.id:>8}{flag.learner_id:>10}  {flag.raised_at:%Y-%m-%d}{value:>9}  "
                   f"{'yes' if flag.held_out else 'no'}")  # fmt: skip
