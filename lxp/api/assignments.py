"""For admins (``admin`` role, and with a token the ``admin`` scope): assignments, their
completion report and reporting lines."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.assignments import reports
from lxp.assignments import services as assignments
from lxp.assignments.models import AUDIENCES
from lxp.core.auth import ROLES
from lxp.managers import services as managers

bp = area("assignments", "For admins: learning the organisation assigns, its completion, reporting lines", "admin",
          admin=True)  # fmt: skip

ID = ma.validate.Range(1, 2147483647)


class AssignmentSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.Method("_title")
    goal_id = ma.fields.Integer()
    package_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String()
    audience = ma.fields.String(metadata={"description": "people, cohort, unit or role"})
    cohort_id = ma.fields.Integer(allow_none=True)
    unit_id = ma.fields.Integer(allow_none=True)
    role = ma.fields.String(allow_none=True)
    due_date = ma.fields.Date(allow_none=True)
    due_within_days = ma.fields.Integer(allow_none=True)
    recertify_months = ma.fields.Integer(allow_none=True)
    escalate = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()

    def _title(self, assignment):
        return assignments.title_of(assignment)


class NewAssignmentSchema(ma.Schema):
    goal_id = ma.fields.Integer(strict=True, required=True, validate=ID)
    package_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True, validate=ID)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(AUDIENCES))
    people = ma.fields.List(ma.fields.Integer(strict=True, validate=ID), load_default=list,
                            validate=ma.validate.Length(max=10_000))  # fmt: skip
    cohort_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True, validate=ID)
    unit_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True, validate=ID)
    role = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(ROLES))
    due_date = ma.fields.Date(load_default=None, allow_none=True)
    due_within_days = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                        validate=ma.validate.Range(1, assignments.MAX_DAYS))  # fmt: skip
    recertify_months = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                         validate=ma.validate.Range(1, assignments.MAX_MONTHS))  # fmt: skip
    escalate = ma.fields.Boolean(load_default=False)


class AssignmentCountsSchema(ma.Schema):
    people = ma.fields.Integer()
    done = ma.fields.Integer(allow_none=True, metadata={"description": "null for groups of fewer than 5 people"})
    overdue = ma.fields.Integer(allow_none=True)
    open = ma.fields.Integer(allow_none=True)


class CompletionRowSchema(ma.Schema):
    unit = ma.fields.String()
    window = ma.fields.String(metadata={"description": "past, week, month, later or none"})
    counts = ma.fields.Nested(AssignmentCountsSchema)


class ReportingLineSchema(ma.Schema):
    user_id = ma.fields.Integer()
    manager_id = ma.fields.Integer(allow_none=True)


class ReportingLineChoiceSchema(ma.Schema):
    manager_id = ma.fields.Integer(strict=True, required=True, allow_none=True, validate=ID,
                                   metadata={"description": "an active person of your organisation; null: none"})  # fmt: skip


@bp.get("/assignments")
@bp.response(200, AssignmentSchema(many=True))
def list_assignments():
    """The assignments in force, the newest first."""
    return assignments.assignments_of(current_user.organisation_id)


@bp.post("/assignments")
@bp.arguments(NewAssignmentSchema)
@bp.response(201, AssignmentSchema)
def create_assignment(args):
    """Assign a goal (or one of its packages) to people, a cohort, a unit or a role; everyone it
    reaches, now or later, gets it on their path."""
    return assignments.create_assignment(current_user, assignments.AssignmentInput(
        goal_id=args["goal_id"], package_id=args["package_id"], reason=args["reason"], audience=args["audience"],
        people=tuple(args["people"]), cohort_id=args["cohort_id"], unit_id=args["unit_id"], role=args["role"],
        due_date=args["due_date"], due_within_days=args["due_within_days"],
        recertify_months=args["recertify_months"], escalate=args["escalate"],
    ))  # fmt: skip


@bp.get("/assignments/report")
@bp.response(200, CompletionRowSchema(many=True))
def completion_report():
    """Completion by organisation unit and due window (groups under 5 people without figures)."""
    return reports.completion(current_user.organisation_id)


@bp.put("/reporting-lines/<int(max=2147483647):user_id>")
@bp.arguments(ReportingLineChoiceSchema)
@bp.response(200, ReportingLineSchema)
def set_reporting_line(args, user_id: int):
    """Set a person's line manager (who gets the manager role), or none."""
    managers.set_line_by_admin(current_user, user_id, args["manager_id"])
    manager = managers.manager_of(user_id)
    return {"user_id": user_id, "manager_id": manager.id if manager else None}
