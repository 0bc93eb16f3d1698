"""``flask lxp path show EMAIL``: a learner's current plan, for support and for scripts."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from lxp.accounts.services import find_user_by_email
from lxp.paths import services
from lxp.paths.storage import plan_to_json

path_cli = AppGroup("path", help="Learners' paths.")


@path_cli.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def show_path(email: str, as_json: bool) -> None:
    """Print the learner's plan: steps with item, kind, due date and reasons; skipped; feasibility."""
    learner = find_user_by_email(email)
    if learner is None:
        raise click.ClickException(f"no user with the e-mail {email!r}")
    journey = services.open_journey(learner)
    if journey is None:
        raise click.ClickException(f"{learner.email} has no open path")
    plan = services.current_plan(journey)
    if as_json:
        document = {
            "learner": learner.email,
            "goals": [goal.title for goal in journey.goals],
            "package": journey.package.title if journey.package else None,
            "weekly_minutes": journey.weekly_minutes,
            "target_date": journey.target_date.isoformat() if journey.target_date else None,
            **plan_to_json(plan),
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for step in plan.steps:
        when = "done" if step.done else f"due {step.due.isoformat()}"
        reasons = "; ".join(r.code + (f" {r.competency}" if r.competency else "") for r in step.reasons)
        click.echo(f"{when:<15} {step.ref:<28} {step.kind:<20} {step.title}  [{reasons}]")
    feasibility = plan.feasibility
    if feasibility.finished:
        click.echo("finished")
        return
    needed = feasibility.weekly_minutes_needed
    click.echo(f"finish {feasibility.finish.isoformat()}; " + ("on track" if feasibility.reachable else
               f"{feasibility.late_by_days} days late; " + (f"needs {needed} min/week" if needed else
                                                            "needs a later target date")))  # fmt: skip
