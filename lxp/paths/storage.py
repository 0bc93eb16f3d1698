"""The planner's ``Plan`` as JSON and back, for storing on the journey."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from lxp.paths.planner import AtRisk, Feasibility, Plan, Reason, Skipped, Step


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# Written out field by field: ``dataclasses.asdict`` walks every value recursively and deep-copies
# it, a tenth of the CPU of completing a block. The keys, their order and the sequence types are
# asdict's, so the stored JSON is byte for byte what it was (a property test holds them equal).


def _reason(reason: Reason) -> dict:
    return {"code": reason.code, "competency": reason.competency, "goal": reason.goal, "item": reason.item}


def _step(step: Step) -> dict:
    return {
        "ref": step.ref, "title": step.title, "kind": step.kind, "modality": step.modality,
        "minutes": step.minutes, "week": step.week, "due": _iso(step.due),
        "reasons": tuple(_reason(r) for r in step.reasons), "done": step.done, "optional": step.optional,
        "live_date": _iso(step.live_date), "again": step.again, "assigned_due": _iso(step.assigned_due),
    }  # fmt: skip


def plan_to_json(plan: Plan) -> dict:
    f = plan.feasibility
    feasibility = {
        "reachable": f.reachable, "finish": f.finish.isoformat(), "weeks_needed": f.weeks_needed,
        "remaining_minutes": f.remaining_minutes, "late_by_days": f.late_by_days,
        "weekly_minutes_needed": f.weekly_minutes_needed, "finished": f.finished,
        "at_risk": [{"ref": r.ref, "title": r.title, "due": r.due.isoformat(), "finish": r.finish.isoformat()}
                    for r in f.at_risk],
    }  # fmt: skip
    return {
        "steps": tuple(_step(step) for step in plan.steps),
        "skipped": tuple({"ref": s.ref, "title": s.title, "reason": _reason(s.reason)} for s in plan.skipped),
        "unmet": tuple(plan.unmet),
        "feasibility": feasibility,
    }


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
                "assigned_due": _day(s.get("assigned_due")),
                "reasons": tuple(Reason(**r) for r in s["reasons"]),
            }
        )  # fmt: skip
        for s in data["steps"]
    )
    skipped = tuple(Skipped(s["ref"], s["title"], Reason(**s["reason"])) for s in data["skipped"])
    stored = {**data["feasibility"], "finish": date.fromisoformat(data["feasibility"]["finish"])}
    stored["at_risk"] = tuple(
        AtRisk(r["ref"], r["title"], date.fromisoformat(r["due"]), date.fromisoformat(r["finish"]))
        for r in stored.get("at_risk", ())
    )  # plans stored before assignments existed have none
    if "finished" not in stored:
        stored["finished"] = all(step.done or step.optional for step in steps)
        if stored["finished"]:
            stored.update(reachable=True, late_by_days=0, weekly_minutes_needed=None)
    feasibility = Feasibility(**stored)
    return Plan(steps=steps, skipped=skipped, unmet=tuple(data["unmet"]), feasibility=feasibility)


# Reading a stored plan without building the planner's objects: a planning tick reads every
# active plan, and these questions need only a few keys of it. ``data`` None is a path not
# planned yet.


class OpenStep(NamedTuple):
    ref: str | None
    title: str
    minutes: int = 0


def first_open_step(data: dict | None) -> OpenStep:
    """The first step not done, or ``OpenStep(None, "")`` when there is none."""
    for step in (data or {}).get("steps", ()):
        if not step.get("done"):
            return OpenStep(step["ref"], step["title"], step["minutes"])
    return OpenStep(None, "")


def is_finished(data: dict | None) -> bool:
    """Every required step is done (``Feasibility.finished``); a path never planned is not."""
    if data is None:
        return False
    return all(step.get("done") or step.get("optional") for step in data.get("steps", ()))


def open_steps_due(data: dict | None, day: date) -> list[OpenStep]:
    """The steps not done that are due on ``day``, in plan order."""
    wanted = day.isoformat()
    return [OpenStep(s["ref"], s["title"], s["minutes"]) for s in (data or {}).get("steps", ())
            if not s.get("done") and s.get("due") == wanted]  # fmt: skip


def required_progress(data: dict | None) -> tuple[int, int]:
    """(done, total) of the required steps, what the halfway and goal milestones count."""
    required = [s for s in (data or {}).get("steps", ()) if not s.get("optional")]
    return sum(1 for s in required if s.get("done")), len(required)


def open_steps_due_by(data: dict | None, last_day: date) -> list[OpenStep]:
    """The steps not done that are due on or before ``last_day`` (overdue ones too), in plan order."""
    return [OpenStep(s["ref"], s["title"], s["minutes"]) for s in (data or {}).get("steps", ())
            if not s.get("done") and s.get("due") and date.fromisoformat(s["due"]) <= last_day]  # fmt: skip
