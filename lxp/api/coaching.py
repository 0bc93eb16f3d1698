"""Coaching over the API: conversations (the learner's own, or the coach's learners') and
their messages, and the learner's "I'm stuck" help requests."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask_login import current_user
from flask_smorest import abort

from lxp.api.common import area
from lxp.api.paging import PageArgs, cursor, page_of, page_schema
from lxp.coaching import services as coaching
from lxp.coaching import threads

bp = area("coaching", "Coaching conversations and help requests", "learner", "trainer")


class ThreadSchema(ma.Schema):
    id = ma.fields.Integer()
    learner_id = ma.fields.Integer()
    item_ref = ma.fields.String(allow_none=True, metadata={"description": "null: the conversation about the path"})
    item_title = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    last_message_at = ma.fields.AwareDateTime(allow_none=True)
    unread = ma.fields.Boolean()


class CoachingMessageSchema(ma.Schema):
    id = ma.fields.Integer()
    author_id = ma.fields.Integer()
    body = ma.fields.String(metadata={"description": "Markdown"})
    created_at = ma.fields.AwareDateTime()
    helped = ma.fields.Boolean(allow_none=True)


class ThreadWithMessagesSchema(ThreadSchema):
    messages = ma.fields.List(ma.fields.Nested(CoachingMessageSchema))


class OpenThreadSchema(ma.Schema):
    item_ref = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 64))


class NewMessageSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(1, 10_000))


class HelpRequestSchema(ma.Schema):
    id = ma.fields.Integer()
    learner_id = ma.fields.Integer()
    item_ref = ma.fields.String()
    item_title = ma.fields.String()
    note = ma.fields.String()
    status = ma.fields.String(metadata={"description": "open, answered or resolved"})
    answer = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    answered_at = ma.fields.AwareDateTime(allow_none=True)
    resolved_at = ma.fields.AwareDateTime(allow_none=True)


class FeltSchema(ma.Schema):
    helped = ma.fields.Boolean(required=True)
    mood = ma.fields.Integer(strict=True, load_default=None, allow_none=True, validate=ma.validate.Range(1, 5))


class AskSchema(ma.Schema):
    item_ref = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


ThreadPage = page_schema(ThreadSchema, "ThreadPage")
HelpRequestPage = page_schema(HelpRequestSchema, "HelpRequestPage")


def _thread(thread, unread=False) -> dict:
    return {"id": thread.id, "learner_id": thread.learner_id, "item_ref": thread.item_ref,
            "item_title": thread.item_title, "created_at": thread.created_at,
            "last_message_at": thread.last_message_at, "unread": unread}  # fmt: skip


@bp.get("/coaching/threads")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ThreadPage)
def list_threads(args):
    """Your conversations (as a learner), or those of the learners you coach (as a trainer),
    the latest first."""
    after = cursor(args["page_token"], list_name="coaching.threads", shape=(datetime.fromisoformat, int))
    rows = threads.threads_after(current_user, after, args["limit"])
    return page_of([_thread(r.thread, r.unread) for r in rows], list_name="coaching.threads", limit=args["limit"],
                   key=lambda t: (t["last_message_at"] or t["created_at"], t["id"]))  # fmt: skip


@bp.post("/coaching/threads")
@bp.arguments(OpenThreadSchema)
@bp.response(200, ThreadSchema)
def open_thread(args):
    """Open (or find) your conversation with your coach about the path, or about one step."""
    return _thread(threads.open_thread(current_user, args["item_ref"]))


@bp.get("/coaching/threads/<int(max=2147483647):thread_id>")
@bp.response(200, ThreadWithMessagesSchema)
def get_thread(thread_id: int):
    """One conversation with its messages, oldest first; reading changes nothing (``POST …/read``
    marks it read)."""
    thread = threads.thread_for(current_user, thread_id)
    return {**_thread(thread), "messages": thread.messages}


@bp.post("/coaching/threads/<int(max=2147483647):thread_id>/read")
@bp.response(204)
def read_thread(thread_id: int):
    """Mark the conversation read up to now (the app has shown it); writing in it does too."""
    threads.mark_read(current_user, threads.thread_for(current_user, thread_id))


@bp.post("/coaching/threads/<int(max=2147483647):thread_id>/messages")
@bp.arguments(NewMessageSchema)
@bp.response(201, CoachingMessageSchema)
def write_message(args, thread_id: int):
    """Write in a conversation (its learner or their coach); the other side is told."""
    return threads.post_message(current_user, threads.thread_for(current_user, thread_id), args["body"])


@bp.get("/help-requests")
@bp.arguments(PageArgs, location="query")
@bp.response(200, HelpRequestPage)
def my_help_requests(args):
    """Your own “I'm stuck” requests, newest first."""
    after = cursor(args["page_token"], list_name="help.mine", shape=(datetime.fromisoformat, int))
    rows = coaching.own_requests_after(current_user, after, args["limit"]) if current_user.has_role("learner") else []
    return page_of(rows, list_name="help.mine", key=lambda r: (r.created_at, r.id), limit=args["limit"])


@bp.post("/help-requests")
@bp.arguments(AskSchema)
@bp.response(201, HelpRequestSchema)
@bp.alt_response(200, schema=HelpRequestSchema, description="You asked about this step already: the same request")
def ask_for_help(args):
    """Say you are stuck on a step of your path; asking again adds to the open request."""
    if not current_user.has_role("learner"):
        abort(403)
    request, new = coaching.ask_for_help(current_user, args["item_ref"], args["note"])
    return request, 201 if new else 200


@bp.post("/coaching/messages/<int(max=2147483647):message_id>/reaction")
@bp.arguments(FeltSchema)
@bp.response(200, CoachingMessageSchema)
def react(felt, message_id: int):
    """Say whether your coach's message helped, and how it felt (once)."""
    return threads.react(current_user, message_id, felt["helped"], felt["mood"])


@bp.post("/help-requests/<int(max=2147483647):request_id>/resolved")
@bp.response(200, HelpRequestSchema)
def resolved(request_id: int):
    """Say your problem is solved; saying it twice changes nothing."""
    request = coaching.own_request(current_user, request_id)
    coaching.resolve_by_learner(current_user, request)
    return request


@bp.post("/help-requests/<int(max=2147483647):request_id>/helped")
@bp.arguments(FeltSchema)
@bp.response(200, HelpRequestSchema)
def rate(felt, request_id: int):
    """Once it is resolved: did the help help, and how did it feel (once)."""
    request = coaching.own_request(current_user, request_id)
    coaching.rate_help(current_user, request, felt["helped"], felt["mood"])
    return request
