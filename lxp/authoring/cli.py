"""``flask lxp course …``: list, export and import courses from the command line."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lxp.accounts.models import Organisation, User, UserRole
from lxp.extensions import db

course_cli = AppGroup("course", help="Export, import and list courses.")


def _organisation(slug: str | None) -> Organisation:
    organisations = db.session.execute(select(Organisation).order_by(Organisation.slug)).scalars().all()
    if not organisations:
        raise click.ClickException("no organisation yet: run flask lxp init")
    if slug:
        match = [o for o in organisations if o.slug == slug]
        if not match:
            raise click.ClickException(f"no organisation {slug!r}; known: {', '.join(o.slug for o in organisations)}")
        return match[0]
    if len(organisations) > 1:
        raise click.ClickException(f"several organisations exist ({', '.join(o.slug for o in organisations)}); "
                                   "choose one with --organisation SLUG")  # fmt: skip
    return organisations[0]


def _admin(organisation: Organisation, email: str | None) -> User:
    statement = select(User).where(
        User.organisation_id == organisation.id, User.role_rows.any(UserRole.role == "admin")
    )
    if email:
        statement = statement.where(User.email == email.strip().lower())
    admin = db.session.execute(statement.order_by(User.id)).scalars().first()
    if admin is None:
        raise click.ClickException(f"no admin {email or ''} in organisation {organisation.slug!r}".replace("  ", " "))
    return admin


organisation_option = click.option(
    "--organisation", "organisation_slug", help="Organisation slug (when there are several)."
)


@course_cli.command("list")
@organisation_option
def list_courses(organisation_slug: str | None) -> None:
    """List courses: slug, newest version and its status, title."""
    from lxp.authoring import services

    organisation = _organisation(organisation_slug)
    admin = _admin(organisation, None)
    for row in services.list_courses(admin):
        click.echo(f"{row.course.slug:<40} v{row.latest.number:<3} {row.latest.status:<10} {row.latest.title}")


@course_cli.command("export")
@click.argument("slug")
@click.option("--version", "version_number", type=int, help="Version number (default: the newest).")
@organisation_option
def export_course(slug: str, version_number: int | None, organisation_slug: str | None) -> None:
    """Write a course as a JSON document to standard output."""
    from lxp.authoring import services, transfer

    organisation = _organisation(organisation_slug)
    course = services.find_course(organisation.id, slug)
    if course is None:
        raise click.ClickException(f"no course {slug!r}")
    version = None
    if version_number is not None:
        version = next((v for v in course.versions if v.number == version_number), None)
        if version is None:
            raise click.ClickException(f"course {slug!r} has no version {version_number}")
    sys.stdout.write(transfer.export_document(course, version))


@course_cli.command("import")
@click.argument("document", type=click.File("rb"))
@click.option("--as", "admin_email", help="The admin recorded in the history (default: the first admin).")
@organisation_option
def import_course(document, admin_email: str | None, organisation_slug: str | None) -> None:
    """Import a course document as a draft; every error is listed and nothing is written."""
    from lxp.authoring import transfer
    from lxp.core.errors import ServiceError

    organisation = _organisation(organisation_slug)
    admin = _admin(organisation, admin_email)
    try:
        version = transfer.import_document(admin, document.read())
    except transfer.DocumentRejected as rejected:
        for error in rejected.errors:
            click.echo(f"{error.path}: {error.message}", err=True)
        raise click.ClickException(f"import refused: {len(rejected.errors)} error(s), nothing was written") from None
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"imported {version.course.slug!r} as version {version.number} (draft)")


@course_cli.command("schema")
def course_schema() -> None:
    """Print the JSON Schema of the course document."""
    from lxp.authoring.format_doc import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))
