"""For managers (``manager`` role): their direct reports' assigned work and tasks at work, as
on the My team page (from the same ``managers.team_view``, the "may need support" mark included);
nothing private."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
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


@bp.get("/team")
@bp.response(200, TeamMemberSchema(many=True))
def my_team():
    """Your direct reports, those who need attention first."""
    return managers.team_view(current_user)
