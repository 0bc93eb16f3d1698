"""``flask lxp init`` and ``flask lxp organisation …``: start an installation, add organisations.

Each command commits once, at its end, and prints the first admin's sign-in link only after
the commit: a link to an account that was never written would be no use.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from lxp.accounts import organisations
from lxp.accounts.organisations import organisation_slugs
from lxp.core import unit_of_work
from lxp.core.errors import ServiceError

organisation_cli = AppGroup("organisation", help="Organisations on this installation.")

_slug_help = "Short name: lower-case letters, digits and hyphens (goes into commands)."
_name_help = "The organisation's name, as people see it."
_admin_help = "E-mail of the first admin, who chooses a password through the printed link."
_admin_name_help = "The first admin's name (default: the part of the e-mail before the @)."


def _create(slug: str, name: str, admin_email: str, admin_name: str | None) -> None:
    """Create the organisation and its first admin, commit, print the sign-in link."""

    try:
        # Committed before the link is printed: a link to an organisation that is not there helps nobody.
        with unit_of_work.boundary(f"organisation: create {slug}"):
            created = organisations.create_organisation(slug, name, admin_email, admin_name)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    organisation, admin = created.organisation, created.admin
    click.echo(f"Organisation {organisation.slug!r} ({organisation.name}) created.")
    click.echo(f"First admin: {admin.email} ({', '.join(sorted(admin.roles))}), no password yet.")
    days = current_app.config["INVITATION_DAYS"]
    click.echo(f"To choose a password and sign in, open this link (it works once, for {days} days):")
    click.echo(f"  {created.sign_in_link}")


@click.command("init")
@click.option("--organisation", "slug", required=True, help=_slug_help)
@click.option("--name", required=True, help=_name_help)
@click.option("--admin", "admin_email", required=True, help=_admin_help)
@click.option("--admin-name", help=_admin_name_help)
@with_appcontext
def init(slug: str, name: str, admin_email: str, admin_name: str | None) -> None:
    """Start lxp on an empty, migrated database: the first organisation and its first admin.

    Prints a one-time link with which the admin chooses a password (none is given here).
    Refuses when an organisation exists already; add more with `flask lxp organisation create`."""
    existing = organisation_slugs()
    if slug.strip().lower() in existing:
        raise click.ClickException(f"the organisation {slug.strip().lower()!r} already exists; nothing was changed")
    if existing:
        raise click.ClickException(f"lxp is set up already (organisations: {', '.join(existing)}); "
                                   "add another with flask lxp organisation create")  # fmt: skip
    _create(slug, name, admin_email, admin_name)


@organisation_cli.command("create")
@click.option("--slug", required=True, help=_slug_help)
@click.option("--name", required=True, help=_name_help)
@click.option("--admin", "admin_email", required=True, help=_admin_help)
@click.option("--admin-name", help=_admin_name_help)
def create_organisation(slug: str, name: str, admin_email: str, admin_name: str | None) -> None:
    """Add an organisation, isolated from the others, with its first admin; prints their
    one-time sign-in link."""
    _create(slug, name, admin_email, admin_name)


@organisation_cli.command("list")
def list_organisations() -> None:
    """List the organisations: slug, people, created, name, admins."""
    rows = organisations.list_organisations()
    if not rows:
        click.echo("no organisation yet: run flask lxp init")
        return
    width = max(len(row.slug) for row in rows)
    for row in rows:
        admins = ", ".join(row.admins) or "no admin"
        people = f"{row.people} {'person' if row.people == 1 else 'people'}"
        click.echo(f"{row.slug:<{width}}  {people:>12}  created {row.created_at:%Y-%m-%d}  "
                   f"{row.name}  (admins: {admins})")  # fmt: skip
