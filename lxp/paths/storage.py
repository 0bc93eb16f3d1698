"""The planner's ``Plan`` as JSON and back, for storing on the journey."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from lxp.paths.planner import Feasibility, Plan, Reason, Skipped, Step


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def plan_to_json(plan: Plan) -> dict:
    data = asdict(plan)
    for step in data["steps"]:
        step["due"] = step["due"].isoformat() if step["due"] else None
        step["live_date"] = step["live_date"].isoformat() if step["live_date"] else None
    data["feasibility"]["finish"] = plan.feasibility.finish.isoformat()
    return data


def plan_from_json(data: dict) -> Plan:
    """The stored plan; extra keys the journey keeps beside it (``week_start``) are ignored.

    Plans stored before ``Feasibility.finished`` existed lack it: it is worked out from their
    steps, and a finished path counts as reachable whatever the old plan said."""
    steps = tuple(
        Step(
            **{
                **s,
                "due": _day(s["due"]),
                "live_date": _day(s["live_date"]),
                "reasons": tuple(Reason(**r) for r in s["reasons"]),
            }
        )  # fmt: skip
        for s in data["steps"]
    )
    skipped = tuple(Skipped(s["ref"], s["title"], Reason(**s["reason"])) for s in data["skipped"])
    stored = {**data["feasibility"], "finish": date.fromisoformat(data["feasibility"]["finish"])}
    if "finished" not in stored:
        stored["finished"] = all(step.done or step.optional for step in steps)
        if stored["finished"]:
            stored.update(reachable=True, late_by_days=0, weekly_minutes_needed=None)
    feasibility = Feasibility(**stored)
    return Plan(steps=steps, skipped=skipped, unmet=tuple(data["unmet"]), feasibility=feasibility)
