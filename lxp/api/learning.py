"""The learner's journey over the API: goals and packages, the journey, the path with its
reasons, and Today. The same services as the pages; Today and the path carry ETags."""

from __future__ import annotations

from dataclasses import asdict

import marshmallow as ma
from flask import get_template_attribute
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp.api.common import area, not_found
from lxp.assignments import services as assignments
from lxp.learning import reasons
from lxp.learning import services as learning
from lxp.paths import planner
from lxp.paths import services as paths

bp = area("learning", "Goals, packages, the journey, the path with reasons, and Today", "learner")


class PackageSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    weeks = ma.fields.Integer()


class GoalCompetencySchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.Function(lambda competency: competency.name_in(str(get_locale())),
                              metadata={"type": "string", "description": "in your language where translated"})  # fmt: skip
    description = ma.fields.Function(lambda competency: competency.description_in(str(get_locale())),
                                     metadata={"type": "string", "description": "in your language where translated"})  # fmt: skip


class GoalSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    language = ma.fields.String()
    packages = ma.fields.List(ma.fields.Nested(PackageSchema))
    competencies = ma.fields.List(ma.fields.Nested(GoalCompetencySchema), metadata={
        "description": "what the goal builds, named in your language"})  # fmt: skip


class GoalListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GoalSchema), required=True)


class JourneySchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "active, paused, finished or left"})
    goal_ids = ma.fields.Method("_goal_ids", metadata={"type": "array", "items": {"type": "integer"}})
    package_id = ma.fields.Integer(allow_none=True)
    start_date = ma.fields.Date()
    target_date = ma.fields.Date(allow_none=True)
    weekly_minutes = ma.fields.Integer()
    modalities = ma.fields.List(ma.fields.String())

    def _goal_ids(self, journey):
        return [g.id for g in journey.goals]


class JourneyChoiceSchema(ma.Schema):
    goal_ids = ma.fields.List(ma.fields.Integer(strict=True), required=True, validate=ma.validate.Length(1, 50))
    package_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True)
    target_date = ma.fields.Date(load_default=None, allow_none=True)
    weekly_minutes = ma.fields.Integer(strict=True, required=True)
    modalities = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(planner.MODALITIES)), required=True,
                                validate=ma.validate.Length(1, 4))  # fmt: skip


class ReasonSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "teaches, assesses, prerequisite, mandatory, optional, …"})
    competency = ma.fields.String(allow_none=True, metadata={"description": "the competency's code"})
    competency_name = ma.fields.String(allow_none=True, metadata={"description": "its name in your language"})
    goal = ma.fields.String(allow_none=True)
    item = ma.fields.String(allow_none=True)
    text = ma.fields.String(metadata={"description": "the reason as the path page says it, in your language"})


class StepSchema(ma.Schema):
    ref = ma.fields.String(metadata={"description": "course id:item key, stable across versions"})
    title = ma.fields.String()
    kind = ma.fields.String()
    modality = ma.fields.String()
    minutes = ma.fields.Integer()
    week = ma.fields.Integer(allow_none=True)
    due = ma.fields.Date(allow_none=True)
    done = ma.fields.Boolean()
    optional = ma.fields.Boolean()
    live_date = ma.fields.Date(allow_none=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    again = ma.fields.Boolean(metadata={"description": "done before, back on the path after a failed check"})
    back_because = ma.fields.String(allow_none=True, metadata={
        "description": "why a step done before is back, as Today says it in your language; null otherwise"})  # fmt: skip


class SkippedSchema(ma.Schema):
    ref = ma.fields.String()
    title = ma.fields.String()
    reason = ma.fields.Nested(ReasonSchema)


class FeasibilitySchema(ma.Schema):
    status = ma.fields.String(metadata={"description": "finished (no required step left), on_track or late"})
    finished = ma.fields.Boolean(metadata={"description": "no required step is left; optional ones may be"})
    target_passed = ma.fields.Boolean(metadata={"description": "your target date lies before today"})
    text = ma.fields.String(metadata={"description": "what the path page says about your target, in your language"})
    reachable = ma.fields.Boolean(metadata={"description": "true when finished or on track"})
    finish = ma.fields.Date()
    weeks_needed = ma.fields.Integer()
    remaining_minutes = ma.fields.Integer()
    late_by_days = ma.fields.Integer()
    weekly_minutes_needed = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "a weekly budget that would make the target; null when none would (say, it has passed)"
        },
    )


class PathSchema(ma.Schema):
    journey = ma.fields.Nested(JourneySchema)
    steps = ma.fields.List(ma.fields.Nested(StepSchema))
    skipped = ma.fields.List(ma.fields.Nested(SkippedSchema))
    unmet = ma.fields.List(ma.fields.String())
    feasibility = ma.fields.Nested(FeasibilitySchema)


class UpcomingSessionSchema(ma.Schema):
    session_id = ma.fields.Integer()
    item_ref = ma.fields.String()
    title = ma.fields.String()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    timezone = ma.fields.String()
    place = ma.fields.String()
    video_url = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    offer_expires_at = ma.fields.AwareDateTime(allow_none=True)


class GlanceMessageSchema(ma.Schema):
    id = ma.fields.Integer()
    category = ma.fields.String()
    subject = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class TodaySchema(ma.Schema):
    journey_status = ma.fields.String(allow_none=True, metadata={"description": "null before a goal is chosen"})
    next_step = ma.fields.Nested(StepSchema, allow_none=True)
    this_week = ma.fields.List(ma.fields.Nested(StepSchema), metadata={"description": "open steps due this week"})
    sessions = ma.fields.List(ma.fields.Nested(UpcomingSessionSchema))
    unread_messages = ma.fields.Integer()
    replies = ma.fields.List(ma.fields.Nested(GlanceMessageSchema))
    tasks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                           metadata={"description": "on-the-job task states by step ref"})  # fmt: skip


def _reason(reason: planner.Reason, names: dict, step: planner.Step | None = None,
            askers: dict[str, str] | None = None) -> dict:  # fmt: skip
    # The pages' sentences, as plain text: "&" and "'" read as the author wrote them.
    return {"code": reason.code, "competency": reason.competency, "goal": reason.goal, "item": reason.item,
            "competency_name": names.get(reason.competency, reason.competency) if reason.competency else None,
            "text": reasons.reason_text(reason, names, step, askers)}  # fmt: skip


def _step(step: planner.Step, names: dict, askers: dict[str, str] | None = None) -> dict:
    return {**{k: getattr(step, k) for k in ("ref", "title", "kind", "modality", "minutes", "week", "due", "done",
                                             "optional", "live_date", "again")},
            "reasons": [_reason(r, names, step, askers) for r in step.reasons],
            "back_because": reasons.back_text(step, names) or None}  # fmt: skip


def _feasibility(journey, plan: planner.Plan) -> dict:
    """The plan's feasibility with what the path page says of it (``paths.outlook``)."""
    outlook = paths.outlook(journey, plan)
    text = get_template_attribute("learning/_outlook.html", "outlook_text")
    return {**asdict(plan.feasibility), "status": outlook.status, "target_passed": outlook.target_passed,
            "text": " ".join(str(text(outlook)).split())}  # fmt: skip


def path_document(journey) -> dict:
    """The journey's current path as ``PathSchema`` serialises it (``/path`` and the path changes)."""
    plan = paths.current_plan(journey)
    names = paths.competency_names(current_user.organisation_id, str(get_locale()))
    assigned = any(r.code == "assigned" for step in plan.steps for r in step.reasons)
    askers = assignments.askers_of(journey.learner_id) if assigned else {}
    return {"journey": journey, "steps": [_step(s, names, askers) for s in plan.steps],
            "skipped": [{"ref": s.ref, "title": s.title, "reason": _reason(s.reason, names)} for s in plan.skipped],
            "unmet": list(plan.unmet), "feasibility": _feasibility(journey, plan)}  # fmt: skip


@bp.get("/goals")
@bp.response(200, GoalListSchema)
def list_goals():
    """The goals you can choose, with their ready-made packages; those in your language first."""
    return {"items": paths.offered_goals(current_user)}


@bp.get("/journey")
@bp.response(200, JourneySchema)
def get_journey():
    """Your journey: goals, package, target date, weekly minutes, ways of learning. 404 before you chose."""
    journey = paths.open_journey(current_user)
    if journey is None:
        not_found(_l("You have no path yet; choose a goal first."))
    return journey


@bp.put("/journey")
@bp.arguments(JourneyChoiceSchema)
@bp.response(200, JourneySchema)
def choose_journey(choice):
    """Start your journey, or change it: the path is planned again at once."""
    journey = paths.open_journey(current_user)
    picked = paths.JourneyChoice(tuple(choice["goal_ids"]), choice["package_id"], choice["target_date"],
                                 choice["weekly_minutes"], tuple(choice["modalities"]))  # fmt: skip
    if journey is None:
        return paths.start_journey(current_user, picked)
    return paths.change_journey(current_user, journey, picked)


@bp.get("/path")
@bp.etag
@bp.response(200, PathSchema)
def get_path():
    """Your path: every step with why it is there, what was left out and why, and whether the
    target date is reachable. 404 before you chose a goal."""
    journey = paths.open_journey(current_user)
    if journey is None:
        not_found(_l("You have no path yet; choose a goal first."))
    return path_document(journey)


@bp.get("/today")
@bp.etag
@bp.response(200, TodaySchema)
def get_today():
    """What is due today: the next best step, the rest of this week, live sessions you hold a
    seat on, unread messages and replies, and your on-the-job tasks."""
    shown = learning.today(current_user)
    names = paths.competency_names(current_user.organisation_id, str(get_locale()))
    return {"journey_status": shown.journey.status if shown.journey else None,
            "next_step": _step(shown.next_step, names, shown.askers) if shown.next_step else None,
            "this_week": [_step(s, names, shown.askers) for s in shown.this_week], "tasks": shown.tasks,
            "sessions": shown.sessions, "unread_messages": shown.inbox.unread, "replies": shown.inbox.replies}  # fmt: skip


@bp.post("/journey/pause")
@bp.response(200, JourneySchema)
def pause():
    """Pause your path: nothing is due and no reminders come until you resume."""
    return _set_paused(True)


@bp.post("/journey/resume")
@bp.response(200, JourneySchema)
def resume():
    """Resume your path; it is planned again from today."""
    return _set_paused(False)


def _set_paused(paused: bool):
    journey = paths.open_journey(current_user)
    if journey is None:
        not_found(_l("You have no path yet; choose a goal first."))
    paths.set_paused(current_user, journey, paused)
    return journey
