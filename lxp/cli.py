"""``flask lxp …`` commands for operators and newcomers."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

lxp_cli = AppGroup("lxp", help="lxp administration commands.")


@lxp_cli.command("seed-demo")
@click.option("--force", is_flag=True, help="Allow seeding although LXP_ENV=production.")
def seed_demo(force: bool) -> None:
    """Load the demo organisation (safe to run again) and print its logins."""
    from lxp import demo

    if current_app.config["LXP_ENV"] == "production" and not force:
        raise click.ClickException("refusing to load demo people into production; pass --force if you mean it")
    from lxp.demo.journeys import seed_journeys

    report = demo.seed()
    courses = demo.seed_courses()
    journeys = seed_journeys()
    created = sum(1 for _, was_created in report if was_created)
    click.echo(
        f"Demo organisation {demo.DEMO_ORGANISATION[1]!r}: {created} people added, {len(report) - created} already there."
    )
    click.echo(f"Every demo account's password: {demo.DEMO_PASSWORD}")
    width = max(len(person.email) for person, _ in report)
    for person, _ in report:
        click.echo(f"  {person.email:<{width}}  {'+'.join(person.roles):<16} {person.locale}  {person.timezone}")
    for slug, was_created in courses:
        click.echo(f"Course {slug!r}: {'imported and published' if was_created else 'already there'}.")
    for email, story, was_created in journeys:
        click.echo(f"Path of {email}: {story.replace('_', ' ')}{'' if was_created else ' (already there)'}.")


def init_app(app) -> None:
    from lxp.authoring.cli import course_cli
    from lxp.paths.cli import path_cli

    lxp_cli.add_command(course_cli)
    lxp_cli.add_command(path_cli)
    app.cli.add_command(lxp_cli)
