"""Spaces over the API (a cohort's, a course's): the spaces a person may open, their threads and posts, replies,
help from peers (share a stuck request, mark what helped, endorse), reports and moderation,
an author's edit and delete. The same services as the pages, so the same access rules: a
space of another cohort, course or organisation is a 404."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.api.paging import PageArgs, cursor, page_of, page_schema
from lxp.core.auth import roles_required
from lxp.core.time import utcnow
from lxp.social import access, moderation, peer_help, sharing
from lxp.social import services as social

# A thread's or a post's place in its list (``social.thread_key``, ``social.post_key``), as a page token carries it.
RANKED = (int, datetime.fromisoformat, int)

bp = area("spaces", "Cohort and course spaces: threads, replies, help from peers, moderation")


class SpaceSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "the cohort's id"})
    name = ma.fields.String()
    enabled = ma.fields.Boolean()


class CourseSpaceSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "the course's id"})
    name = ma.fields.String(metadata={"description": "the title of the course's newest version"})
    enabled = ma.fields.Boolean()


class SpacePostSchema(ma.Schema):
    id = ma.fields.Integer()
    author_id = ma.fields.Integer()
    body = ma.fields.String(metadata={"description": "Markdown; empty when deleted or hidden from you"})
    quote_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    edited_at = ma.fields.AwareDateTime(allow_none=True)
    state = ma.fields.String(metadata={"description": "visible, hidden or deleted"})
    helped = ma.fields.Boolean()
    endorsed = ma.fields.Boolean()
    asks_feedback = ma.fields.Boolean(metadata={"description": "the sharer's request for feedback on their work"})


class SpaceThreadSchema(ma.Schema):
    id = ma.fields.Integer()
    cohort_id = ma.fields.Integer(allow_none=True, metadata={"description": "null in a course's space"})
    course_id = ma.fields.Integer(allow_none=True, metadata={"description": "null in a cohort's space"})
    author_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "discussion, weekly, help or shared"})
    title = ma.fields.String()
    item_ref = ma.fields.String(allow_none=True)
    item_title = ma.fields.String(allow_none=True)
    open_until = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    last_post_at = ma.fields.AwareDateTime()
    replies = ma.fields.Integer()


class SpaceThreadWithPostsSchema(SpaceThreadSchema):
    posts = ma.fields.List(ma.fields.Nested(SpacePostSchema))


SpacePostPage = page_schema(SpacePostSchema, "SpacePostPage")


class NewThreadSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, social.TITLE_LIMIT))
    body = ma.fields.String(required=True, validate=ma.validate.Length(1, social.BODY_LIMIT))
    weekly = ma.fields.Boolean(load_default=False)
    item_ref = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 64))


class NewPostSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(1, social.BODY_LIMIT))
    quote_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                 validate=ma.validate.Range(1, 2_147_483_647))  # fmt: skip


SPACE_KEY = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Regexp(r"^(cohort|course):\d{1,10}$"),
                             metadata={"description": "where to share: cohort:<cohort id> or course:<course id>, one of "
                                                      "your spaces; empty: your first cohort's, or else the course's"})  # fmt: skip


class SharedAskSchema(ma.Schema):
    item_ref = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    space = SPACE_KEY


class SharedWorkSchema(ma.Schema):
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(sharing.SHARED_SOURCES),
                              metadata={"description": "evidence (an on-the-job task's) or reflection"})  # fmt: skip
    item_ref = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))


class ShareSchema(SharedWorkSchema):
    space = SPACE_KEY


class FeedbackAskSchema(ma.Schema):
    question = ma.fields.String(required=True, validate=ma.validate.Length(1, sharing.QUESTION_LIMIT))
    people = ma.fields.List(ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 2_147_483_647)),
                            load_default=list, validate=ma.validate.Length(max=200),
                            metadata={"description": "people of the space to ask by name (their user ids)"})  # fmt: skip


class FeedbackSchema(ma.Schema):
    worked = ma.fields.String(required=True, validate=ma.validate.Length(1, sharing.FEEDBACK_LIMIT))
    suggestion = ma.fields.String(required=True, validate=ma.validate.Length(1, sharing.FEEDBACK_LIMIT))


class ReportSchema(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=moderation.REASON_LIMIT))


class SpaceReportSchema(ma.Schema):
    id = ma.fields.Integer()
    thread_id = ma.fields.Integer()
    post_id = ma.fields.Integer()
    reporter_id = ma.fields.Integer()
    reason = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


SpaceThreadPage = page_schema(SpaceThreadSchema, "SpaceThreadPage")


def _thread(thread, replies: int | None = None) -> dict:
    return {"id": thread.id, "cohort_id": thread.cohort_id, "course_id": thread.course_id, "author_id": thread.author_id, "kind": thread.kind,
            "title": thread.title, "item_ref": thread.item_ref, "item_title": thread.item_title,
            "open_until": thread.open_until, "created_at": thread.created_at, "last_post_at": thread.last_post_at,
            "replies": replies if replies is not None else max(len([p for p in thread.posts if p.visible]) - 1, 0)}  # fmt: skip


def _post(post) -> dict:
    state = "deleted" if post.deleted_at else "hidden" if post.hidden_at else "visible"
    readable = state == "visible" or (state == "hidden" and access.is_staff(current_user))
    return {"id": post.id, "author_id": post.author_id, "body": post.body if readable else "",
            "quote_id": post.quote_id, "created_at": post.created_at, "edited_at": post.edited_at, "state": state,
            "helped": post.helped_at is not None, "endorsed": post.endorsed_at is not None,
            "asks_feedback": post.asks_feedback_at is not None}  # fmt: skip


@bp.get("/spaces")
@bp.response(200, SpaceSchema(many=True))
def list_spaces():
    """The cohort spaces you may open: your cohorts' as a learner, every one of your
    organisation as a trainer or admin."""
    return [
        {"id": c.id, "name": c.name, "enabled": access.space_enabled(c.id)} for c in access.spaces_for(current_user)
    ]


def _threads_page(space, args, list_name: str) -> dict:
    """A page of the space's threads, read in SQL after the cursor's thread (``social.thread_key``)."""
    now = utcnow()
    rows = social.threads_of(current_user, space, after=cursor(args["page_token"], list_name=list_name, shape=RANKED),
                             limit=args["limit"])  # fmt: skip
    page = page_of(rows, list_name=list_name, key=lambda row: social.thread_key(row.thread, now), limit=args["limit"])
    return {**page, "items": [_thread(row.thread, row.replies) for row in page["items"]]}


def _start(space, args) -> dict:
    thread = social.start_thread(current_user, space, args["title"], args["body"], weekly=args["weekly"],
                                 station=args["item_ref"])  # fmt: skip
    return _thread(thread, 0)


@bp.get("/course-spaces")
@bp.response(200, CourseSpaceSchema(many=True))
def list_course_spaces():
    """The course spaces you may open: those of the courses on your path as a learner, every
    course of your organisation as a trainer or admin."""
    return [
        {"id": c.id, "name": c.name, "enabled": access.course_space_enabled(c.id)}
        for c in access.course_spaces_for(current_user)
    ]


# One shape for the threads of both kinds of space: the path's prefix, its id, how the space is
# found for the person (a 404 for anyone who may not open it), and the endpoints' names.
SPACE_KINDS = (
    ("spaces", "cohort_id", access.space_for, "list_threads", "start_thread", "a cohort's"),
    ("course-spaces", "course_id", access.course_space_for, "list_course_threads", "start_course_thread",
     "a course's"),
)  # fmt: skip


def _space_threads(prefix: str, key: str, find, list_name: str, start_name: str, whose: str) -> None:
    """Register ``GET`` and ``POST /<prefix>/<key>/threads`` for one kind of space."""

    def listing(args, **ids):
        return _threads_page(find(current_user, ids[key]), args, f"{prefix}.{ids[key]}")

    def starting(args, **ids):
        return _start(find(current_user, ids[key]), args)

    listing.__name__ = listing.__qualname__ = list_name
    listing.__doc__ = f"The threads of {whose} space: an open weekly question first, then by latest post."
    starting.__name__ = starting.__qualname__ = start_name
    starting.__doc__ = (f"Start a thread in {whose} space; trainers and admins may make it the weekly question, "
                        "tied to a step (of the course, in a course's space).")  # fmt: skip
    rule = f"/{prefix}/<int(max=2147483647):{key}>/threads"
    bp.route(rule, methods=["GET"])(
        bp.arguments(PageArgs, location="query")(bp.response(200, SpaceThreadPage)(listing))
    )
    bp.route(rule, methods=["POST"])(bp.arguments(NewThreadSchema)(bp.response(201, SpaceThreadSchema)(starting)))


for _kind in SPACE_KINDS:
    _space_threads(*_kind)


@bp.get("/space-threads/<int(max=2147483647):thread_id>")
@bp.response(200, SpaceThreadWithPostsSchema)
def get_thread(thread_id: int):
    """One thread with all its posts, oldest first (the first is its opening text). A long
    thread reads better a page at a time: ``GET /space-threads/{id}/posts``."""
    thread = social.thread_for(current_user, thread_id)
    return {**_thread(thread), "posts": [_post(p) for p in thread.posts]}


@bp.get("/space-threads/<int(max=2147483647):thread_id>/posts")
@bp.arguments(PageArgs, location="query")
@bp.response(200, SpacePostPage)
def list_posts(args, thread_id: int):
    """A thread's posts a page at a time: its opening post first, then the replies oldest first."""
    thread = social.thread_for(current_user, thread_id)
    list_name = f"space-threads.{thread_id}.posts"
    posts, opening_id = social.posts_after(
        thread, cursor(args["page_token"], list_name=list_name, shape=RANKED), args["limit"]
    )
    page = page_of(posts, list_name=list_name, key=lambda post: social.post_key(post, opening_id), limit=args["limit"])
    return {**page, "items": [_post(p) for p in page["items"]]}


@bp.post("/space-threads/<int(max=2147483647):thread_id>/posts")
@bp.arguments(NewPostSchema)
@bp.response(201, SpacePostSchema)
def reply(args, thread_id: int):
    """Reply in a thread, optionally quoting one of its posts; the people it names are told."""
    return _post(social.reply(current_user, social.thread_for(current_user, thread_id), args["body"], args["quote_id"]))


@bp.put("/space-posts/<int(max=2147483647):post_id>")
@bp.arguments(NewPostSchema)
@bp.response(200, SpacePostSchema)
def edit_post(args, post_id: int):
    """Change the text of your own post."""
    return _post(moderation.edit_post(current_user, post_id, args["body"]))


@bp.delete("/space-posts/<int(max=2147483647):post_id>")
@bp.response(204)
def delete_post(post_id: int):
    """Delete your own post (its statements are voided; an opening post deletes its thread)."""
    moderation.delete_post(current_user, post_id)


@bp.post("/spaces/help-requests")
@bp.arguments(SharedAskSchema)
@bp.response(201, SpaceThreadSchema)
def ask_coach_and_cohort(args):
    """Say you are stuck on a step and ask your peers (a cohort's space or the course's, as you choose) as well
    as your coach."""
    _request, thread = peer_help.ask_coach_and_peers(current_user, args["item_ref"], args["note"], args["space"])
    return _thread(thread)


@bp.post("/spaces/shared-work")
@roles_required("learner")  # before the body is read: another role gets a 403, never a 422
@bp.arguments(ShareSchema)
@bp.response(201, SpaceThreadSchema)
def share_work(args):
    """Share your reflection or your task's evidence on a step, by choice, in one of your spaces (again while
    shared: the same thread). Private stays the default."""
    return _thread(sharing.share(current_user, args["source"], args["item_ref"], args["space"]))


@bp.delete("/spaces/shared-work")
@bp.arguments(SharedWorkSchema, location="query")
@bp.response(204)
def unshare_work(args):
    """Stop sharing your own work on a step: the thread leaves the space and its statements are voided (not
    shared, or not yours: nothing happens)."""
    sharing.unshare(current_user, args["source"], args["item_ref"])


@bp.post("/space-threads/<int(max=2147483647):thread_id>/feedback-requests")
@bp.arguments(FeedbackAskSchema)
@bp.response(201, SpacePostSchema)
def ask_for_feedback(args, thread_id: int):
    """As the sharer of a piece of work: ask the space, and people of it by name, a short question about
    it. They hear of it, and you hear of each answer, through your notification settings."""
    return _post(sharing.ask_for_feedback(current_user, thread_id, args["question"], args["people"]))


@bp.post("/space-threads/<int(max=2147483647):thread_id>/feedback")
@bp.arguments(FeedbackSchema)
@bp.response(201, SpacePostSchema)
def give_feedback(args, thread_id: int):
    """Give a colleague short structured feedback on the work they shared: what worked, one suggestion.
    It is advice, never evidence of a competency."""
    return _post(sharing.give_feedback(current_user, thread_id, args["worked"], args["suggestion"]))


@bp.post("/space-posts/<int(max=2147483647):post_id>/report")
@bp.arguments(ReportSchema)
@bp.response(201, SpaceReportSchema)
def report_post(args, post_id: int):
    """Report someone else's post to the trainers (again while open: the same report)."""
    return moderation.report_post(current_user, post_id, args["reason"])


@bp.get("/space-reports")
@bp.response(200, SpaceReportSchema(many=True))
@roles_required("trainer", "admin")
def list_reports():
    """As a trainer or admin: the open reports of your organisation, oldest first."""
    return moderation.queue(current_user)


# One shape for every action on a post that answers with the post: the method and path, the
# service (called with the person and the post id) and the documentation.
POST_ACTIONS = (
    ("mark_helpful", "POST", "helped", peer_help.mark_helpful,
     "As the asker of a shared question: say this reply helped."),
    ("endorse", "POST", "endorsement", peer_help.endorse,
     "As a trainer or admin: endorse a peer's reply to a shared question."),
    ("hide_post", "POST", "hidden", moderation.hide_post,
     "As a trainer or admin: hide a post from learners (its reports are resolved)."),
    ("restore_post", "DELETE", "hidden", moderation.restore_post,
     "As a trainer or admin: show a hidden post again, or keep a reported one."),
    ("warn_author", "POST", "warning", moderation.warn_author,
     "As a trainer or admin: send the author a calm word about the post."),
)  # fmt: skip


def _post_action(name: str, method: str, suffix: str, service, doc: str) -> None:
    """Register ``method /space-posts/<id>/<suffix>``: run ``service`` on the post, answer with it."""

    def action(post_id: int):
        return _post(service(current_user, post_id))

    action.__name__, action.__qualname__, action.__doc__ = name, name, doc
    route = bp.route(f"/space-posts/<int(max=2147483647):post_id>/{suffix}", methods=[method])
    route(bp.response(200, SpacePostSchema)(action))


for _action in POST_ACTIONS:
    _post_action(*_action)
