"""The trainer's desk over the API: their sessions and attendance, evidence waiting for
review and the review itself, "I'm stuck" help requests with their answers, and the learners
they coach who may need support (predictive support), with reaching out to them."""

from __future__ import annotations

from datetime import date, datetime

import marshmallow as ma
from flask_login import current_user

from lxp.api.coaching import HelpRequestSchema
from lxp.api.common import area
from lxp.api.paging import PageArgs, cursor, page_of, page_schema, paginate
from lxp.api.predictive_support import ActedSchema, FlagActionSchema, FlagSchema, flag_rows
from lxp.api.tasks import SubmissionSchema
from lxp.coaching import services as coaching
from lxp.coaching import threads
from lxp.core.errors import Invalid
from lxp.core.timezones import in_zone
from lxp.live import scheduling
from lxp.live.models import ATTENDANCE
from lxp.risk import actions as risk_actions
from lxp.risk import services as risk
from lxp.workplace import services as workplace
from lxp.workplace.models import OUTCOMES

# A date near the end of the calendar would overflow when turned into UTC: refuse it as input.
SESSION_DATES = ma.validate.Range(date(2000, 1, 1), date(9000, 12, 31))

bp = area("trainer", "For trainers: their sessions, attendance, reviews and help requests", "trainer")


class TrainerSessionSchema(ma.Schema):
    id = ma.fields.Integer()
    item_ref = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.String()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    timezone = ma.fields.String()
    place = ma.fields.String()
    video_url = ma.fields.String(allow_none=True)
    capacity = ma.fields.Integer()
    taken = ma.fields.Integer()
    waiting = ma.fields.Integer()


class NewSessionsSchema(ma.Schema):
    item_ref = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 64),
        metadata={"description": "the live-session step, course id:item key"},
    )
    dates = ma.fields.List(
        ma.fields.Date(validate=SESSION_DATES),
        required=True,
        validate=ma.validate.Length(1, 52),
        metadata={"description": "one date, or several for a series"},
    )
    start_time = ma.fields.Time(required=True, metadata={"description": "local wall time in timezone"})
    timezone = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    duration_minutes = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(5, 24 * 60))
    place = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    video_url = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    capacity = ma.fields.Integer(strict=True, load_default=12, validate=ma.validate.Range(1, 10_000))
    deadline_hours = ma.fields.Integer(strict=True, load_default=0, validate=ma.validate.Range(0, 24 * 60))
    claim_hours = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=ma.validate.Range(1, 24 * 14))  # fmt: skip


class ScheduledSchema(ma.Schema):
    sessions = ma.fields.List(ma.fields.Nested(TrainerSessionSchema))


class AttendeeSchema(ma.Schema):
    registration_id = ma.fields.Integer()
    learner_id = ma.fields.Integer()
    name = ma.fields.String()
    attendance = ma.fields.String(allow_none=True, metadata={"description": ", ".join(ATTENDANCE) + " or null"})


class AttendanceSchema(ma.Schema):
    session_id = ma.fields.Integer()
    opens_at = ma.fields.AwareDateTime(metadata={"description": "from when marks are taken (an hour before the start)"})
    attendees = ma.fields.List(ma.fields.Nested(AttendeeSchema))


class MarkSchema(ma.Schema):
    registration_id = ma.fields.Integer(strict=True, required=True)
    attendance = ma.fields.String(required=True, validate=ma.validate.OneOf(ATTENDANCE))


class MarksSchema(ma.Schema):
    marks = ma.fields.List(ma.fields.Nested(MarkSchema), required=True, validate=ma.validate.Length(1, 500))


class ReviewInSchema(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "made by the client; a replay is one review"})
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    ratings = ma.fields.List(ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(1, 4)),
                             required=True, validate=ma.validate.Length(max=12),
                             metadata={"description": "1–4 per rubric criterion, in rubric order"})  # fmt: skip
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=10_000))


class AnswerSchema(ma.Schema):
    answer = ma.fields.String(required=True, validate=ma.validate.Length(1, 10_000))
    resolve = ma.fields.Boolean(load_default=True)


class SessionChangeSchema(ma.Schema):
    """Fields left out stay as they are."""

    date = ma.fields.Date(validate=SESSION_DATES, metadata={"description": "the local date in timezone"})
    start_time = ma.fields.Time(metadata={"description": "local wall time in timezone"})
    timezone = ma.fields.String(validate=ma.validate.Length(1, 64))
    duration_minutes = ma.fields.Integer(strict=True, validate=ma.validate.Range(5, 24 * 60))
    place = ma.fields.String(validate=ma.validate.Length(max=200))
    video_url = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=500))
    capacity = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 10_000))
    deadline_hours = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 24 * 60))
    claim_hours = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(1, 24 * 14))


class HandOverSchema(ma.Schema):
    trainer_id = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(1, 2147483647),
                                   metadata={"description": "another active trainer of your organisation"})  # fmt: skip
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class CheckpointHeldSchema(ma.Schema):
    thread_id = ma.fields.Integer()
    learner_id = ma.fields.Integer()
    item_ref = ma.fields.String()
    held = ma.fields.Boolean(metadata={"description": "true: the step is done on the learner's path"})


SessionPage = page_schema(TrainerSessionSchema, "TrainerSessionPage")
SubmissionPage = page_schema(SubmissionSchema, "SubmissionPage")
HelpQueuePage = page_schema(HelpRequestSchema, "HelpQueuePage")


def _row(session, taken: int, waiting: int) -> dict:
    return {"id": session.id, "item_ref": session.ref, "title": session.item.title, "status": session.status,
            "starts_at": session.starts_at, "ends_at": session.ends_at, "timezone": session.timezone,
            "place": session.place, "video_url": session.video_url, "capacity": session.capacity,
            "taken": taken, "waiting": waiting}  # fmt: skip


def _attendance(session, registrations) -> dict:
    return {"session_id": session.id, "opens_at": scheduling.attendance_opens_at(session), "attendees": [
        {"registration_id": r.id, "learner_id": r.learner_id, "name": r.learner.display_name,
         "attendance": r.attendance} for r in registrations]}  # fmt: skip


@bp.get("/sessions")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SessionPage)
def my_sessions(args):
    """Your sessions from a week ago on, by start."""
    weeks, _overlaps = scheduling.trainer_schedule(current_user)
    rows = [_row(r.session, r.taken, r.waiting) for week in weeks for r in week.rows]
    return paginate(rows, list_name="trainer.sessions", key=lambda r: (r["starts_at"], r["id"]), limit=args["limit"],
                    page_token=args["page_token"])  # fmt: skip


@bp.post("/sessions")
@bp.arguments(NewSessionsSchema)
@bp.response(201, ScheduledSchema)
def schedule(args):
    """Schedule one date (or a series) of a live step; learners on paths with it can register."""
    details = scheduling.SessionDetails(
        dates=tuple(args["dates"]), start_time=args["start_time"], timezone=args["timezone"],
        duration_minutes=args["duration_minutes"], place=args["place"], video_url=args["video_url"],
        capacity=args["capacity"], deadline_hours=args["deadline_hours"], claim_hours=args["claim_hours"],
    )  # fmt: skip
    scheduled = scheduling.schedule_sessions(current_user, args["item_ref"], details)
    return {"sessions": [_row(s, 0, 0) for s in scheduled.sessions]}


@bp.patch("/sessions/<int(max=2147483647):session_id>")
@bp.arguments(SessionChangeSchema)
@bp.response(200, TrainerSessionSchema)
def change_session(change, session_id: int):
    """Change the date, time, place, link, seats or waitlist rules of one of your sessions
    (not once it started or was cancelled: 409). People registered are told once your edits
    have settled; a capacity below the seats taken is refused (400)."""
    found = scheduling.session_for_trainer(current_user, session_id)
    local = in_zone(found.starts_at, found.timezone)
    details = scheduling.SessionDetails(
        dates=(change.get("date", local.date()),), start_time=change.get("start_time", local.time()),
        timezone=change.get("timezone", found.timezone),
        duration_minutes=change.get("duration_minutes", int((found.ends_at - found.starts_at).total_seconds() // 60)),
        place=change.get("place", found.place), video_url=change.get("video_url", found.video_url),
        capacity=change.get("capacity", found.capacity),
        deadline_hours=change.get("deadline_hours",
                                  int((found.starts_at - found.registration_deadline).total_seconds() // 3600)),
        claim_hours=change.get("claim_hours", found.claim_hours),
        co_trainer_ids=tuple(t.id for t in found.trainers if t.id != current_user.id), cohort_id=found.cohort_id,
    )  # fmt: skip
    scheduling.update_session(current_user, session_id, details)
    return next((r for r in _session_rows() if r["id"] == session_id), None) or _row(found, 0, 0)


def _session_rows() -> list[dict]:
    weeks, _overlaps = scheduling.trainer_schedule(current_user)
    return [_row(r.session, r.taken, r.waiting) for week in weeks for r in week.rows]


@bp.delete("/sessions/<int(max=2147483647):session_id>")
@bp.response(200, TrainerSessionSchema)
def cancel(session_id: int):
    """Cancel one of your sessions: its registrants are told and their paths move on."""
    return _row(scheduling.cancel_session(current_user, session_id), 0, 0)


@bp.get("/sessions/<int(max=2147483647):session_id>/attendance")
@bp.response(200, AttendanceSchema)
def get_attendance(session_id: int):
    """The people holding a seat on one of your sessions, by name, with their marks."""
    return _attendance(*scheduling.attendance_sheet(current_user, session_id))


@bp.put("/sessions/<int(max=2147483647):session_id>/attendance")
@bp.arguments(MarksSchema)
@bp.response(200, AttendanceSchema)
def mark_attendance(marks, session_id: int):
    """Mark who came (from ``opens_at``, an hour before the start: 409 before, saying when); a
    changed mark replaces the earlier one."""
    scheduling.mark_attendance(
        current_user, session_id, {m["registration_id"]: m["attendance"] for m in marks["marks"]}
    )
    return _attendance(*scheduling.attendance_sheet(current_user, session_id))


@bp.get("/reviews")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SubmissionPage)
def reviews_waiting(args):
    """Evidence of the learners you coach waiting for your review, the oldest first."""
    after = cursor(args["page_token"], list_name="trainer.reviews", shape=(datetime.fromisoformat, int))
    return page_of(workplace.reviews_waiting_after(current_user, after, args["limit"]), list_name="trainer.reviews",
                   key=lambda s: (s.submitted_at, s.id), limit=args["limit"])  # fmt: skip


@bp.get("/reviews/<int(max=2147483647):submission_id>")
@bp.response(200, SubmissionSchema)
def get_submission(submission_id: int):
    """One try of a learner you coach, with its rubric."""
    return workplace.submission_for_reviewer(current_user, submission_id)


@bp.post("/reviews/<int(max=2147483647):submission_id>")
@bp.arguments(ReviewInSchema)
@bp.response(201, SubmissionSchema)
def review(verdict, submission_id: int):
    """Accept the evidence, or ask for another try with a comment; the learner is told."""
    workplace.review(current_user, submission_id, verdict["outcome"], verdict["ratings"], verdict["comment"],
                     str(verdict["id"]))  # fmt: skip
    return workplace.submission_for_reviewer(current_user, submission_id)


@bp.get("/help-requests")
@bp.arguments(PageArgs, location="query")
@bp.response(200, HelpQueuePage)
def help_queue(args):
    """Open help requests for you (or for any trainer), the oldest first."""
    after = cursor(args["page_token"], list_name="trainer.help", shape=(datetime.fromisoformat, int))
    return page_of(coaching.help_queue_after(current_user, after, args["limit"]), list_name="trainer.help",
                   key=lambda r: (r.created_at, r.id), limit=args["limit"])  # fmt: skip


@bp.post("/help-requests/<int(max=2147483647):request_id>/answer")
@bp.arguments(AnswerSchema)
@bp.response(200, HelpRequestSchema)
def answer(args, request_id: int):
    """Answer a help request (and by default resolve it); the learner is told."""
    request = coaching.request_for_trainer(current_user, request_id)
    coaching.answer_request(current_user, request, args["answer"], args["resolve"])
    return request


@bp.post("/help-requests/<int(max=2147483647):request_id>/hand-over")
@bp.arguments(HandOverSchema)
@bp.response(200, HelpRequestSchema)
def hand_over(args, request_id: int):
    """Give a help request to another trainer of your organisation, who is told by e-mail.
    400 for yourself, someone who is not an active trainer, or a resolved request."""
    request = coaching.request_for_trainer(current_user, request_id)
    try:
        coaching.hand_over(current_user, request, args["trainer_id"], args["note"])
    except Invalid as error:
        error.field = "trainer_id" if error.field == "coach" else error.field  # the page's field, named as here
        raise
    return request


@bp.post("/coaching-threads/<int(max=2147483647):thread_id>/checkpoint-held")
@bp.response(200, CheckpointHeldSchema)
def checkpoint_held(thread_id: int):
    """Record that the conversation of a coaching checkpoint with a learner you coach took
    place: the step is done on their path. Saying it twice is the same as once. 404 for a
    conversation not yours, 400 for one not about a coaching checkpoint."""
    thread = threads.thread_for(current_user, thread_id)
    threads.hold_checkpoint(current_user, thread)
    return {"thread_id": thread.id, "learner_id": thread.learner_id, "item_ref": thread.item_ref, "held": True}


class CoachActedSchema(ActedSchema):
    thread_id = ma.fields.Integer(metadata={"description": "the conversation the learner was told in"})


@bp.get("/at-risk")
@bp.response(200, FlagSchema(many=True))
def at_risk():
    """Learners you coach who may go quiet soon, with the reasons in words and what you could
    offer them, oldest first; never a score. A learner leaves the list once someone acts."""
    return flag_rows(risk.desk_flags(current_user))


@bp.post("/at-risk/<int(max=2147483647):flag_id>/actions")
@bp.arguments(FlagActionSchema)
@bp.response(200, CoachActedSchema)
def act_on_flag(args, flag_id: int):
    """Reach out in your conversation with the learner: a message (``body``), a place at one of the
    flag's sessions (``session_id``) or a lighter plan, recorded on the flag (the first action
    stays recorded). 404 for a learner you do not coach, 400 with the reason for a bad message or
    session (nothing is recorded then)."""
    if args["action"] == "message":
        thread = risk_actions.message(current_user, flag_id, args["body"])
    elif args["action"] == "offer_session":
        thread = risk_actions.offer_session(current_user, flag_id, args["session_id"])
    else:
        thread = risk_actions.simplify_plan(current_user, flag_id)
    flag = risk.flag_for_coach(current_user, flag_id)
    return {"id": flag.id, "action": flag.action, "acted_at": flag.acted_at, "thread_id": thread.id}
