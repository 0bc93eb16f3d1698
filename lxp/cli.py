"""``flask lxp …`` commands for operators and newcomers."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from lxp import checks, demo, scheduler
from lxp.accounts.cli import init, organisation_cli
from lxp.authoring.cli import course_cli
from lxp.core import crypto, unit_of_work
from lxp.core.migrations import schema_state
from lxp.core.paging import pages_for
from lxp.credentials.cli import credentials_cli
from lxp.demo.assignments import seed_assignments
from lxp.demo.coaching import COHORT, seed_coaching
from lxp.demo.company_sign_in import EXAMPLE_ISSUER, seed_company_sign_in
from lxp.demo.credentials import seed_credentials
from lxp.demo.insights import seed_insights
from lxp.demo.journeys import seed_journeys
from lxp.demo.live import seed_live_sessions
from lxp.demo.privacy import seed_privacy
from lxp.demo.provisioning import seed_provisioning
from lxp.demo.risk import seed_risk
from lxp.demo.saml_sign_in import EXAMPLE_ENTITY_ID, seed_saml_example
from lxp.demo.security import seed_two_step
from lxp.demo.social import seed_introductions, seed_social
from lxp.demo.workplace import seed_workplace
from lxp.extensions import db
from lxp.insights.cli import insights_cli, seed_synthetic
from lxp.nudges.cli import nudges_cli
from lxp.ops import backup
from lxp.paths.cli import path_cli
from lxp.privacy.cli import privacy_cli
from lxp.risk.cli import risk_cli
from lxp.social.services import REPLIES_PER_PAGE

_COMMAND_ARGS = "lxp.command_args"
# The doctor reports the database's state among its other findings instead of stopping at it;
# a backup is taken before `flask db upgrade`, and a restore goes into an empty installation.
_WITHOUT_SCHEMA_CHECK = {"check", "backup", "restore"}


class _LxpGroup(AppGroup):
    """The ``lxp`` group; notes the chosen command's arguments for the group's callback."""

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_COMMAND_ARGS] = rest
        return name, command, rest


@click.group("lxp", cls=_LxpGroup, help="lxp administration commands.")
@with_appcontext
def lxp_cli() -> None:
    """Before any ``flask lxp`` command: the database must be reachable and migrated to the
    newest revision, or the command stops with one line saying what to run (``flask db`` is
    another group and keeps working). Asking a command for its help needs no database."""
    ctx = click.get_current_context()
    if ctx.invoked_subcommand in _WITHOUT_SCHEMA_CHECK:
        return
    if any(arg in ctx.help_option_names for arg in ctx.meta.get(_COMMAND_ARGS, ())):
        return
    problem = schema_state().problem()
    if problem is not None:
        raise click.ClickException(problem)


@lxp_cli.command("check")
def check() -> None:
    """Check the installation: secret key, base URL, database and migrations, SMTP, VAPID
    keys, rate-limit storage, upload folder, scheduler heartbeat, trusted proxies, metrics
    access. One line each; exits
    non-zero when any fails."""
    results = checks.run_all()
    for result in results:
        click.echo(result.line())
    failed = [result.name for result in results if not result.ok]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed: {', '.join(failed)}")


@lxp_cli.command("rotate-encryption")
def rotate_encryption() -> None:
    """Encrypt every secret stored in the database again under the first key of
    LXP_ENCRYPTION_KEY. Rotate a key by putting the new one first, running this, then
    dropping the old one."""
    try:
        rotated = crypto.rotate_all(db.session, db.metadata)
    except crypto.EncryptionUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{rotated} encrypted value(s) now under the first key of LXP_ENCRYPTION_KEY")


@lxp_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the SQLite database (consistent while lxp runs) and the uploaded files into
    one archive at PATH (PostgreSQL: see the README's backups)."""
    try:
        manifest = backup.backup(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up {manifest.people} people and {manifest.files} files at migration "
               f"{', '.join(manifest.revision)} into {path}")  # fmt: skip


@lxp_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database and upload folder that already hold data.")
def restore_command(path: Path, force: bool) -> None:
    """Restore an archive made by `flask lxp backup` into the configured SQLite database and
    upload folder (stop the web server and the scheduler first)."""
    try:
        manifest = backup.restore(path, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {manifest.people} people and {manifest.files} files from {manifest.created_at}")
    if not schema_state().at_head:
        click.echo("the backup was made by an older lxp: run flask db upgrade")


@lxp_cli.command("seed-demo")
@click.option("--force", is_flag=True, help="Allow seeding although LXP_ENV=production.")
def seed_demo(force: bool) -> None:
    """Load the demo organisation (safe to run again) and print its logins."""
    if current_app.config["LXP_ENV"] == "production" and not force:
        raise click.ClickException("refusing to load demo people into production; pass --force if you mean it")
    report = demo.seed()
    courses = demo.seed_courses()
    journeys = seed_journeys()
    coaches, asked = seed_coaching()
    sessions = seed_live_sessions()
    evidence = seed_workplace()
    space = seed_social()
    synthetic = seed_insights()
    introductions = seed_introductions()  # the synthetic learners are in the cohort now
    quiet_added, model_status, flags = seed_risk()
    company = seed_company_sign_in(demo.DEMO_ORGANISATION[0])
    saml_example = seed_saml_example(demo.DEMO_ORGANISATION[0])
    provisioned = seed_provisioning(demo.DEMO_ORGANISATION[0])
    two_step_email, two_step_key, _ = seed_two_step()
    policy_set, audited = seed_privacy()
    issued = seed_credentials()
    assigned = seed_assignments()
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
    click.echo(f"Coaches given to {coaches} learners; {'a help request raised' if asked else 'no new help request'}.")
    click.echo(
        f"Cohort space of {COHORT[0]!r}: {'a weekly question, replies, a shared stuck request and a report' if space else 'already there'}."
    )
    for email, what in evidence:
        click.echo(f"Evidence of {email}: {what}.")
    for title, scheduled in sessions:
        click.echo(f"Live sessions of {title!r}: {scheduled or 'already'} scheduled.")
    click.echo(f"Predictive support: {quiet_added or 'no'} synthetic learners with half a year of history added; "
               f"model {model_status.replace('_', ' ')}; {flags} learners flagged for their coaches today. "
               "See flask lxp risk evaluate.")  # fmt: skip
    click.echo(f"Synthetic learners for the insights: {synthetic or 'already there'}{' added' if synthetic else ''}.")
    click.echo(f"Introductions thread of {COHORT[0]!r}: "
               f"{f'{introductions} replies ({pages_for(introductions, REPLIES_PER_PAGE)} pages)' if introductions else 'already there'}.")  # fmt: skip
    click.echo(f"Company sign-in for {EXAMPLE_ISSUER} (a local Keycloak): {'filled in' if company else 'already there'}, "
               "switched off; see /admin/sign-in.")  # fmt: skip
    click.echo(f"SAML 2.0 metadata of {EXAMPLE_ENTITY_ID} (an Entra ID example): "
               f"{'filled in' if saml_example else 'already there'}, OpenID Connect still chosen.")  # fmt: skip
    click.echo(f"People provisioned by SCIM: {provisioned or 'already there'}{' added' if provisioned else ''}; "
               "see /admin/provisioning.")  # fmt: skip
    click.echo(f"Two-step sign-in is on for {two_step_email}: after the password, enter the code of an authenticator app "
               f"given the key {two_step_key}, or print it with: "
               f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{two_step_key}').now())\"")  # fmt: skip
    click.echo(f"Onboarding assigned to the cohort of Berlin newcomers (within 14 days of joining), with their manager "
               f"{'katrin.vogel@northwind.example' if assigned else ''}{'' if assigned else 'already there'}; see /team.")  # fmt: skip
    click.echo(
        f"Retention policy: {'set (24 months inactive, events 36 months)' if policy_set else 'already set'}; "
        f"audit trail: {audited or 'already has'} entries{' written' if audited else ''}."
    )
    click.echo(f"Credentials: {issued['earned']} earned, {issued['revoked']} revoked, {issued['expired']} expired added; "
               "see /admin/credentials.")  # fmt: skip


_prepared = False


def prepared_group() -> click.Group:
    """The ``lxp`` group with every command added (once per process)."""
    global _prepared  # noqa: PLW0603  (the commands are added to the module's group once)
    if not _prepared:
        lxp_cli.add_command(init)
        lxp_cli.add_command(scheduler.run_scheduler)
        lxp_cli.add_command(organisation_cli)
        lxp_cli.add_command(course_cli)
        lxp_cli.add_command(nudges_cli)
        lxp_cli.add_command(path_cli)
        lxp_cli.add_command(privacy_cli)
        lxp_cli.add_command(seed_synthetic)
        lxp_cli.add_command(insights_cli)
        lxp_cli.add_command(risk_cli)
        lxp_cli.add_command(credentials_cli)
        unit_of_work.commit_per_command(lxp_cli)  # one commit per successful command, none on failure
        _prepared = True
    return lxp_cli
