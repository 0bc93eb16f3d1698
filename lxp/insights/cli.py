"""``flask lxp seed-synthetic``: a realistic synthetic population for benchmarks and demos;
``flask lxp insights rollup``: bring the journey map's rollups up to date."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.core.errors import ServiceError
from lxp.extensions import db
from lxp.insights import rollups, synthetic

insights_cli = AppGroup("insights", help="The insights: the journey map's rollups.")


@insights_cli.command("rollup")
@click.option("--rebuild", is_flag=True, help="Forget the rollups and roll the whole event log up again.")
def rollup(rebuild: bool) -> None:
    """Add the events stored since the last run to the rollups (the scheduler does it every minute)."""
    changed = rollups.rebuild() if rebuild else rollups.roll_up()
    if changed is None:
        raise click.ClickException("another run is rolling up right now; nothing done")
    click.echo(f"rollups up to date: {changed} station-days changed")


@click.command("seed-synthetic")
@click.option("--learners", type=int, required=True, help="How many learners to add.")
@click.option("--organisation", "organisation_slug", help="Organisation slug (default: the only or first one).")
@click.option("--course", "course_slug", help="Course slug (default: the first published course).")
@click.option("--cohort", "cohorts", multiple=True, help="Spread the learners over these cohorts (created if missing).")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same population.")
@click.option("--rebuild-indexes", is_flag=True,
              help="Drop the event log's indexes for the load and build them once after it: much quicker from about "
                   "10,000 learners, but the event log is locked until the end, so only on a database nobody uses yet.")  # fmt: skip
@click.option("--force", is_flag=True, help="Allow it although LXP_ENV=production.")
@with_appcontext
def seed_synthetic(learners: int, organisation_slug: str | None, course_slug: str | None, cohorts: tuple[str, ...],
                   seed: int, rebuild_indexes: bool, force: bool) -> None:  # fmt: skip
    """Add synthetic learners with journeys, events, pulses, help requests and NPS answers."""
    if current_app.config["LXP_ENV"] == "production" and not force:
        raise click.ClickException("refusing to add synthetic learners to production; pass --force if you mean it")
    if learners < 1:
        raise click.ClickException("--learners must be at least 1")
    query = select(Organisation).order_by(Organisation.id)
    if organisation_slug:
        query = query.where(Organisation.slug == organisation_slug)
    organisation = db.session.execute(query).scalars().first()
    if organisation is None:
        raise click.ClickException(f"no organisation {organisation_slug!r}" if organisation_slug else
                                   "no organisation yet: run `flask lxp seed-demo` or create one first")  # fmt: skip
    try:
        report = synthetic.generate(organisation, learners, course_slug=course_slug, cohort_names=cohorts, seed=seed,
                                    rebuild_indexes=rebuild_indexes)  # fmt: skip
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{report.learners} synthetic learners on {report.course!r}: {report.events} events, "
               f"{report.help_requests} help requests.")  # fmt: skip
