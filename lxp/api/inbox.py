"""The in-app inbox: messages newest first (paged, ETag for polling), one message, mark read."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp.api.common import area, not_found
from lxp.api.paging import PageArgs, cursor, page_of, page_schema
from lxp.channels import in_app
from lxp.nudges import effect as touchpoint_effect

bp = area("inbox", "The in-app inbox")


class MessageSchema(ma.Schema):
    id = ma.fields.Integer()
    category = ma.fields.String(metadata={"description": ", ".join(in_app.CATEGORIES)})
    subject = ma.fields.String()
    body = ma.fields.String(metadata={"description": "Markdown"})
    link = ma.fields.String(allow_none=True, metadata={"description": "a path on lxp"})
    why = ma.fields.String(metadata={"description": "why you got it"})
    created_at = ma.fields.AwareDateTime()
    read_at = ma.fields.AwareDateTime(allow_none=True)


class InboxFilter(PageArgs):
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "only unread messages"})


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer(metadata={"description": "how many messages were marked read"})


MessagePage = page_schema(MessageSchema, "MessagePage")


@bp.get("/inbox")
@bp.etag
@bp.arguments(InboxFilter, location="query")
@bp.response(200, MessagePage)
def list_messages(args):
    """Your messages, newest first; ``unread=true`` for unread ones only."""
    list_name = "inbox.unread" if args["unread"] else "inbox"
    after = cursor(args["page_token"], list_name=list_name, shape=(datetime.fromisoformat, int))
    rows = in_app.messages_after(current_user.id, args["unread"], after, args["limit"])
    return page_of(rows, list_name=list_name, key=lambda m: (m.created_at, m.id), limit=args["limit"])


@bp.get("/inbox/<int(max=2147483647):message_id>")
@bp.response(200, MessageSchema)
def get_message(message_id: int):
    """One of your messages, as it is: reading changes nothing (``POST …/read`` marks it read)."""
    message = in_app.message_of(current_user.id, message_id)
    if message is None:
        not_found(_l("There is no such message."))
    return message


@bp.post("/inbox/<int(max=2147483647):message_id>/read")
@bp.response(200, MessageSchema)
def read_message(message_id: int):
    """Mark one of your messages read (the app has shown it); counts as opened in-app."""
    message = in_app.open_message(current_user.id, message_id)
    if message is None:
        not_found(_l("There is no such message."))
    touchpoint_effect.note_inbox_open(current_user.id, message.key)
    return message


@bp.post("/inbox/read")
@bp.response(200, MarkedSchema)
def mark_all_read():
    """Mark all your messages read."""
    return {"marked": in_app.mark_all_read(current_user.id)}
