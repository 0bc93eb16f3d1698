"""For managers (``manager`` role): their direct reports' assigned work and tasks at work, as
on the My team page (from the same ``managers.team_view``, the "may need support" mark included);
nothing private."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.assignments import ID, AssignmentSchema
from lxp.api.common import area
from lxp.assignments import services as assignments
from lxp.managers import services as managers

bp = area("team", "For managers: your direct reports' assigned learning", "manager")


class AssignedWorkSchema(ma.Schema):
    assignment_id = ma.fields.Function(lambda w: w.work.assignment_id)
    title = ma.fields.String()
    reason = ma.fields.String()
    due_on = ma.fields.Date(allow_none=True)
    state = ma.fields.String(metadata={"description": "done, overdue, at_risk or on_track"})
    open_steps = ma.fields.Integer()
    expires_on = ma.fields.Date(allow_none=True)


class TeamTaskSchema(ma.Schema):
    ref = ma.fields.String()
    title = ma.fields.String()
    due = ma.fields.Date(allow_none=True)


class TeamMemberSchema(ma.Schema):
    user_id = ma.fields.Function(lambda m: m.person.id)
    display_name = ma.fields.Function(lambda m: m.person.display_name)
    state = ma.fields.String(attribute="worst", metadata={"description": "the state needing most attention"})
    assignments = ma.fields.List(ma.fields.Nested(AssignedWorkSchema))
    tasks = ma.fields.List(ma.fields.Nested(TeamTaskSchema))
    may_need_support = ma.fields.Boolean(metadata={
        "description": "predictive support flagged them and they chose to let their manager know (no reasons given)"})  # fmt: skip


class TeamAssignmentSchema(ma.Schema):
    goal_id = ma.fields.Integer(strict=True, required=True, validate=ID)
    package_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True, validate=ID,
                                   metadata={"description": "one of the goal's packages; null: the whole goal"})  # fmt: skip
    people = ma.fields.List(ma.fields.Integer(strict=True, validate=ID), required=True,
                            validate=ma.validate.Length(min=1, max=1000),
                            metadata={"description": "your direct reports' user ids"})  # fmt: skip
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    due_date = ma.fields.Date(load_default=None, allow_none=True)
    due_within_days = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                        validate=ma.validate.Range(1, assignments.MAX_DAYS))  # fmt: skip


@bp.get("/team")
@bp.response(200, TeamMemberSchema(many=True))
def my_team():
    """Your direct reports, those who need attention first."""
    return managers.team_view(current_user)


@bp.post("/team/assignments")
@bp.arguments(TeamAssignmentSchema)
@bp.response(201, AssignmentSchema)
def assign_to_team(args):
    """Ask people who report to you for a goal, or one of its packages, by a due date (or within
    a number of days); they are told you asked. 403 when anyone named does not report to you
    (nothing is assigned then), 400 without a due date."""
    return assignments.create_team_assignment(current_user, assignments.AssignmentInput(
        goal_id=args["goal_id"], package_id=args["package_id"], reason=args["reason"], audience="people",
        people=tuple(args["people"]), due_date=args["due_date"], due_within_days=args["due_within_days"],
    ))  # fmt: skip
