"""Predictive support over the API for admins (``admin`` role, and with a token the ``admin``
scope): the organisation's learners who may need support, with the reasons in words, their
coach, and what can be offered; and the page's three actions (a message, a session offer, a
lighter plan), each told to the learner in their inbox and recorded. The same services and
refusals as ``/admin/predictive-support/flags``: no held-out flags, none of learners who turned
the support off, never a score. A trainer's own list is ``/api/v1/trainer/at-risk``."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.risk import actions, services
from lxp.risk.reasons import ACTIONS as SUGGESTED
from lxp.risk.texts import reason_text

bp = area("predictive_support", "For admins: learners who may need support, and reaching out to them",
          "admin", admin=True)  # fmt: skip

KINDS = ("message", "offer_session", "simplify_plan")


class RiskReasonSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "quiet, behind, failed_checks, help_open, … (see the docs)"})
    values = ma.fields.Function(lambda r: dict(r.values), metadata={"description": "the named values its words use"})
    text = ma.fields.Function(reason_text, metadata={"description": "in the caller's language"})


class OfferableSessionSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    starts_at = ma.fields.AwareDateTime()


class FlaggedPersonSchema(ma.Schema):
    id = ma.fields.Integer()
    display_name = ma.fields.String()


class WeeklyMinutesSchema(ma.Schema):
    now = ma.fields.Integer()
    lighter = ma.fields.Integer()


class FlagSchema(ma.Schema):
    id = ma.fields.Integer()
    learner = ma.fields.Nested(FlaggedPersonSchema)
    raised_at = ma.fields.AwareDateTime()
    reasons = ma.fields.List(ma.fields.Nested(RiskReasonSchema))
    suggested_action = ma.fields.String(metadata={"description": ", ".join(KINDS)})
    coach = ma.fields.Nested(
        FlaggedPersonSchema, allow_none=True, metadata={"description": "null: nobody coaches them"}
    )
    sessions = ma.fields.List(ma.fields.Nested(OfferableSessionSchema),
                              metadata={"description": "what offer_session may offer"})  # fmt: skip
    weekly_minutes = ma.fields.Nested(WeeklyMinutesSchema, allow_none=True,
                                      metadata={"description": "now and in a lighter plan; null without an open path"})  # fmt: skip


class FlagActionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    body = ma.fields.String(load_default="", validate=ma.validate.Length(max=actions.MESSAGE_LIMIT),
                            metadata={"description": "the message (action message)"})  # fmt: skip
    session_id = ma.fields.Integer(strict=True, load_default=None, validate=ma.validate.Range(1, 2147483647),
                                   metadata={"description": "one of the flag's sessions (action offer_session)"})  # fmt: skip


class ActedSchema(ma.Schema):
    id = ma.fields.Integer()
    action = ma.fields.String()
    acted_at = ma.fields.AwareDateTime()


def flag_rows(flags, coaches: dict | None = None) -> list[dict]:
    """The flags as ``FlagSchema`` shows them, with what can be offered to each."""
    sessions, minutes = actions.session_choices(flags), actions.plan_minutes(flags)
    return [{
        "id": flag.id, "learner": flag.learner, "raised_at": flag.raised_at, "reasons": services.reasons_of(flag),
        "suggested_action": flag.suggested, "coach": (coaches or {}).get(flag.id), "sessions": sessions[flag.id],
        "weekly_minutes": None if minutes[flag.id] is None else dict(zip(("now", "lighter"), minutes[flag.id], strict=True)),
    } for flag in flags]  # fmt: skip


assert set(SUGGESTED.values()) <= set(KINDS)  # every suggestion is an action the API offers


@bp.get("/predictive-support/flags")
@bp.response(200, FlagSchema(many=True))
def flags():
    """The organisation's learners who may need support, oldest flag first: a list to work
    through, never a ranking. A learner leaves it once someone (their coach or an admin) acts."""
    found = services.organisation_flags(current_user)
    return flag_rows(found, services.coaches_of(found))


@bp.post("/predictive-support/flags/<int(max=2147483647):flag_id>/actions")
@bp.arguments(FlagActionSchema)
@bp.response(200, ActedSchema)
def act(args, flag_id: int):
    """Reach out to the learner: a message (``body``), a place at one of the flag's sessions
    (``session_id``) or a lighter plan; they read it in their inbox, with why. 404 for a flag
    that is not (or no longer) on the list, 400 with the reason for a bad message or session."""
    if args["action"] == "message":
        return actions.message_as_admin(current_user, flag_id, args["body"])
    if args["action"] == "offer_session":
        return actions.offer_session_as_admin(current_user, flag_id, args["session_id"])
    return actions.simplify_plan_as_admin(current_user, flag_id)
