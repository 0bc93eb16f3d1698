"""The planner's ``Plan`` as JSON and back, for storing on the journey."""

from __future__ import annotations

import sys
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


class Glance(NamedTuple):
    """What the touchpoint planner reads off a stored plan (``glance``): the steps not done, in
    plan order, with the day each is due, and how many required steps there are and are done.
    About 1.5 KB against 28 KB for the whole plan parsed (reasons, skipped items, feasibility), so
    a planning tick can keep every active path's at hand without holding every plan (issue 20)."""

    open_steps: tuple[OpenStep, ...] = ()
    due: tuple[str | None, ...] = ()  # each open step's due day as stored (ISO), or None
    required_done: int = 0
    required: int = 0
    planned: bool = False

    def first_open_step(self) -> OpenStep:
        """The first step not done, or ``OpenStep(None, "")`` when there is none."""
        return self.open_steps[0] if self.open_steps else OpenStep(None, "")

    @property
    def finished(self) -> bool:
        """Every required step is done (``Feasibility.finished``); a path never planned is not."""
        return self.planned and self.required_done == self.required

    def open_steps_due(self, day: date) -> list[OpenStep]:
        """The steps not done that are due on ``day``, in plan order."""
        wanted = day.isoformat()
        return [step for step, due in zip(self.open_steps, self.due, strict=True) if due == wanted]

    def open_steps_due_by(self, last_day: date) -> list[OpenStep]:
        """The steps not done that are due on or before ``last_day`` (overdue ones too), in plan order."""
        return [step for step, due in zip(self.open_steps, self.due, strict=True)
                if due and date.fromisoformat(due) <= last_day]  # fmt: skip


def _shared(text: str | None) -> str | None:
    # The same titles, refs and days recur on every path of a course: one string each, not one per path.
    return sys.intern(text) if type(text) is str else text


def glance(data: dict | None) -> Glance:
    """A glance at the stored plan ``data`` (None: a path not planned yet)."""
    if data is None:
        return Glance()
    open_steps, due, required_done, required = [], [], 0, 0
    for step in data.get("steps", ()):
        if not step.get("optional"):
            required += 1
            required_done += 1 if step.get("done") else 0
        if not step.get("done"):
            open_steps.append(OpenStep(_shared(step["ref"]), _shared(step["title"]), step["minutes"]))
            due.append(_shared(step.get("due")))
    return Glance(tuple(open_steps), tuple(due), required_done, required, planned=True)


def first_open_step(data: dict | None) -> OpenStep:
    """The first step not done, or ``OpenStep(None, "")`` when there is none."""
    return glance(data).first_open_step()


def is_finished(data: dict | None) -> bool:
    """Every required step is done (``Feasibility.finished``); a path never planned is not."""
    return glance(data).finished


def open_steps_due(data: dict | None, day: date) -> list[OpenStep]:
    """The steps not done that are due on ``day``, in plan order."""
    return glance(data).open_steps_due(day)


def required_progress(data: dict | None) -> tuple[int, int]:
    """(done, total) of the required steps, what the halfway and goal milestones count."""
    read = glance(data)
    return read.required_done, read.required


def open_steps_due_by(data: dict | None, last_day: date) -> list[OpenStep]:
    """The steps not done that are due on or before ``last_day`` (overdue ones too), in plan order."""
    return glance(data).open_steps_due_by(last_day)
