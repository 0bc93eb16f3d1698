"""``flask lxp privacy retention [--dry-run]``: apply the organisations' retention now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lxp.privacy import retention

privacy_cli = AppGroup("privacy", help="Privacy duties: retention of inactive accounts and raw events.")


@privacy_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Only show what would be warned, erased and deleted.")
def retention_command(dry_run: bool) -> None:
    """Warn, erase and delete old events as each organisation's retention policy says (what the
    scheduler does hourly); with --dry-run, list it and change nothing."""
    if not dry_run:
        click.echo(retention.run_all().summary())
        return
    plans = retention.dry_run()
    if not plans:
        click.echo("no organisation has a retention policy")
    for organisation, plan in plans:
        click.echo(f"{organisation.slug}: would warn {len(plan.to_warn)}, erase {len(plan.to_erase)}, "
                   f"delete {plan.events} event(s) older than {plan.events_before:%Y-%m-%d}"
                   f"{f' ({plan.events_waiting} more once rolled up)' if plan.events_waiting else ''}" if plan.events_before else
                   f"{organisation.slug}: would warn {len(plan.to_warn)}, erase {len(plan.to_erase)}")  # fmt: skip
        for user in plan.to_warn:
            click.echo(f"  warn  {user.id} {user.email}")
        for user in plan.to_erase:
            click.echo(f"  erase {user.id} {user.email}")
