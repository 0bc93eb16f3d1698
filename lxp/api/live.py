"""Live sessions for learners: the dates on their path, registering, giving a seat back,
confirming an offered seat."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.api.paging import PageArgs, page_schema, paginate
from lxp.live import registration

bp = area("live", "Live sessions and your registrations", "learner")


class LiveSessionSchema(ma.Schema):
    id = ma.fields.Integer()
    item_ref = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.String(metadata={"description": "scheduled or cancelled"})
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    timezone = ma.fields.String()
    place = ma.fields.String()
    video_url = ma.fields.String(allow_none=True)
    capacity = ma.fields.Integer()
    seats_left = ma.fields.Integer()
    registration_deadline = ma.fields.AwareDateTime()
    my_status = ma.fields.String(allow_none=True,
                                 metadata={"description": "registered, waitlisted, offered, or null"})  # fmt: skip
    offer_expires_at = ma.fields.AwareDateTime(allow_none=True)


class RegistrationSchema(ma.Schema):
    session_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "registered, waitlisted, offered or cancelled"})
    offer_expires_at = ma.fields.AwareDateTime(allow_none=True)


class RegisterSchema(ma.Schema):
    confirm_overlap = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "true to take the place although the session overlaps one you hold a seat on; "
                                 "without it that is refused with 409 naming the other session"},
    )  # fmt: skip


SessionPage = page_schema(LiveSessionSchema, "LiveSessionPage")


def _session(view: registration.LearnerSession) -> dict:
    s, reg = view.session, view.registration
    return {"id": s.id, "item_ref": s.ref, "title": view.row.title, "status": s.status, "starts_at": s.starts_at,
            "ends_at": s.ends_at, "timezone": s.timezone, "place": s.place, "video_url": s.video_url,
            "capacity": s.capacity, "seats_left": view.row.seats_left,
            "registration_deadline": s.registration_deadline, "my_status": view.status,
            "offer_expires_at": reg.offer_expires_at if reg is not None and view.status else None}  # fmt: skip


def _registration(reg) -> dict:
    return {"session_id": reg.session_id, "status": reg.status, "offer_expires_at": reg.offer_expires_at}


@bp.get("/sessions")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SessionPage)
def list_sessions(args):
    """Upcoming dates of the live steps on your path and the sessions you hold a place on, by start."""
    rows = [_session(v) for v in registration.sessions_for_learner(current_user)]
    return paginate(rows, list_name="live.sessions", key=lambda r: (r["starts_at"], r["id"]), limit=args["limit"],
                    page_token=args["page_token"])  # fmt: skip


@bp.get("/sessions/<int(max=2147483647):session_id>")
@bp.response(200, LiveSessionSchema)
def get_session(session_id: int):
    """One session as you see it; 404 when it is not open to you."""
    return _session(registration.learner_session(current_user, session_id))


@bp.post("/sessions/<int(max=2147483647):session_id>/registration")
@bp.arguments(RegisterSchema, required=False)
@bp.response(201, RegistrationSchema)
def register(args, session_id: int):
    """Take a seat, or a place on the waitlist when it is full (``status`` says which). 409 when
    you are registered already, or registration is closed; 409 too when the session overlaps one
    you hold a seat on (the problem names it, ``errors[0].field`` is ``confirm_overlap``): send
    ``{"confirm_overlap": true}`` to register anyway."""
    return _registration(registration.register_for_session(current_user, session_id,
                                                           confirm_overlap=args["confirm_overlap"]))  # fmt: skip


@bp.delete("/sessions/<int(max=2147483647):session_id>/registration")
@bp.response(204)
def cancel(session_id: int):
    """Give your seat or waitlist place back; the next person is offered it."""
    registration.cancel_registration(current_user, session_id)


@bp.post("/sessions/<int(max=2147483647):session_id>/claim")
@bp.response(200, RegistrationSchema)
def claim(session_id: int):
    """Confirm a seat you were offered from the waitlist, before the offer expires."""
    return _registration(registration.claim_seat(current_user, session_id))
