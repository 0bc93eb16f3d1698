"""The trainer's desk over the API: their sessions and attendance, evidence waiting for
review and the review itself, and "I'm stuck" help requests with their answers."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.coaching import HelpRequestSchema
from lxp.api.common import area
from lxp.api.paging import PageArgs, page_schema, paginate
from lxp.api.tasks import SubmissionSchema
from lxp.coaching import services as coaching
from lxp.live import scheduling
from lxp.live.models import ATTENDANCE
from lxp.workplace import services as workplace
from lxp.workplace.models import OUTCOMES

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


class AttendeeSchema(ma.Schema):
    registration_id = ma.fields.Integer()
    learner_id = ma.fields.Integer()
    name = ma.fields.String()
    attendance = ma.fields.String(allow_none=True, metadata={"description": ", ".join(ATTENDANCE) + " or null"})


class AttendanceSchema(ma.Schema):
    session_id = ma.fields.Integer()
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


SessionPage = page_schema(TrainerSessionSchema, "TrainerSessionPage")
SubmissionPage = page_schema(SubmissionSchema, "SubmissionPage")
HelpQueuePage = page_schema(HelpRequestSchema, "HelpQueuePage")


def _attendance(session, registrations) -> dict:
    return {"session_id": session.id, "attendees": [
        {"registration_id": r.id, "learner_id": r.learner_id, "name": r.learner.display_name,
         "attendance": r.attendance} for r in registrations]}  # fmt: skip


@bp.get("/sessions")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SessionPage)
def my_sessions(args):
    """Your sessions from a week ago on, by start."""
    weeks, _overlaps = scheduling.trainer_schedule(current_user)
    rows = [{"id": r.session.id, "item_ref": r.session.ref, "title": r.title, "status": r.session.status,
             "starts_at": r.session.starts_at, "ends_at": r.session.ends_at, "timezone": r.session.timezone,
             "place": r.session.place, "video_url": r.session.video_url, "capacity": r.session.capacity,
             "taken": r.taken, "waiting": r.waiting} for week in weeks for r in week.rows]  # fmt: skip
    return paginate(rows, list_name="trainer.sessions", key=lambda r: (r["starts_at"], r["id"]), limit=args["limit"],
                    page_token=args["page_token"])  # fmt: skip


@bp.get("/sessions/<int(max=2147483647):session_id>/attendance")
@bp.response(200, AttendanceSchema)
def get_attendance(session_id: int):
    """The people holding a seat on one of your sessions, by name, with their marks."""
    return _attendance(*scheduling.attendance_sheet(current_user, session_id))


@bp.put("/sessions/<int(max=2147483647):session_id>/attendance")
@bp.arguments(MarksSchema)
@bp.response(200, AttendanceSchema)
def mark_attendance(marks, session_id: int):
    """Mark who came (from an hour before the start); a changed mark replaces the earlier one."""
    scheduling.mark_attendance(
        current_user, session_id, {m["registration_id"]: m["attendance"] for m in marks["marks"]}
    )
    return _attendance(*scheduling.attendance_sheet(current_user, session_id))


@bp.get("/reviews")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SubmissionPage)
def reviews_waiting(args):
    """Evidence of the learners you coach waiting for your review, the oldest first."""
    return paginate(workplace.reviews_waiting(current_user), list_name="trainer.reviews",
                    key=lambda s: (s.submitted_at, s.id), limit=args["limit"], page_token=args["page_token"])  # fmt: skip


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
    return paginate(coaching.help_queue(current_user), list_name="trainer.help", key=lambda r: (r.created_at, r.id),
                    limit=args["limit"], page_token=args["page_token"])  # fmt: skip


@bp.post("/help-requests/<int(max=2147483647):request_id>/answer")
@bp.arguments(AnswerSchema)
@bp.response(200, HelpRequestSchema)
def answer(args, request_id: int):
    """Answer a help request (and by default resolve it); the learner is told."""
    request = coaching.request_for_trainer(current_user, request_id)
    coaching.answer_request(current_user, request, args["answer"], args["resolve"])
    return request
