"""Help from peers: an "I'm stuck" request the learner chose to share with their peers.

The request itself is the coaching one (``coaching.services.ask_for_help``): the coach gets it
with its context exactly as before. Sharing adds a thread of kind ``help``, tied to the step,
in the space the learner chooses: one of their cohorts', or the space of the step's course
(``access.share_targets``; by default their first cohort's, or the course's without one). Peers
reply there; the asker marks the reply that helped; a trainer endorses one. A reply marked
helpful or endorsed shows, without names, to later learners of the organisation on that step
("others asked here").

  helped    the reply's author  space_post  the asker said it helped (context: learner, item)
  endorsed  trainer             space_post  a trainer endorsed the reply (context: item)
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.coaching import services as coaching
from lxp.coaching.models import HelpRequest
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.social import access
from lxp.social.models import SpacePost, SpaceThread
from lxp.social.services import new_thread, opening_post_id, post_for

OTHERS_LIMIT = 3


def thread_of_request(request_id: int, *options) -> SpaceThread | None:
    return db.session.execute(
        select(SpaceThread).where(SpaceThread.help_request_id == request_id, SpaceThread.deleted_at.is_(None))
        .options(*options)
    ).scalar_one_or_none()  # fmt: skip


def ask_coach_and_peers(
    learner: User, ref: str, note: str = "", space: str | None = None
) -> tuple[HelpRequest, SpaceThread]:
    """Ask for help on step ``ref`` as ``coaching.ask_for_help`` does, and share the request
    with the space the learner chose (``space``, an ``access.space_key``: one of their cohorts',
    or the step's course's; empty: the first of ``access.share_targets``). Once: asking again adds
    to the same request and thread. Raises as ``ask_for_help``, and ``Invalid`` when the learner
    has no space or chose one that is not theirs."""
    chosen = access.share_target(learner, ref, space)
    if chosen is None:
        raise Invalid(_l("You are in no cohort with a space yet; your coach has your request."))
    request, _new = coaching.ask_for_help(learner, ref, note)
    thread = thread_of_request(request.id)
    if thread is not None:
        return request, thread
    body = request.note or _("I'm stuck on this step. Has anyone got a tip?")
    thread = new_thread(learner, chosen, "help", request.item_title, body, item_ref=request.item_ref,
                        item_title=request.item_title, help_request_id=request.id)  # fmt: skip
    events.record(actor_id=learner.id, verb="posted", object_type="space_thread", object_id=thread.id,
                  context={**access.context_of(chosen), "kind": "help", "item": ref, "help_request": request.id})  # fmt: skip
    return request, thread


def _help_reply(viewer: User, post_id: int) -> tuple[SpacePost, SpaceThread]:
    post = post_for(viewer, post_id)
    thread = post.thread
    if thread.kind != "help" or not post.visible or post.id == opening_post_id(thread.id):
        raise Invalid(_l("Only a reply to a shared question can be marked."))
    return post, thread


def mark_helpful(learner: User, post_id: int) -> SpacePost:
    """The asker says this reply helped (once; again changes nothing). Raises ``NotFound``,
    ``NotAllowed`` (not their question, their own reply) and ``Invalid``."""
    post, thread = _help_reply(learner, post_id)
    if thread.author_id != learner.id:
        raise NotAllowed(_l("Only the person who asked can say what helped."))
    if post.author_id == learner.id:
        raise NotAllowed(_l("Mark a reply of someone else."))
    if post.helped_at is None:
        post.helped_at = utcnow()
        events.record(actor_id=post.author_id, verb="helped", object_type="space_post", object_id=post.id,
                      context={"learner": learner.id, **access.thread_context(thread), "item": thread.item_ref})  # fmt: skip
        db.session.flush()
    return post


def endorse(trainer: User, post_id: int) -> SpacePost:
    """A trainer endorses a peer's reply (once). Raises ``NotFound``, ``NotAllowed`` (not a
    trainer or admin) and ``Invalid``."""
    post, thread = _help_reply(trainer, post_id)
    if not access.is_staff(trainer):
        raise NotAllowed(_l("Only trainers and admins endorse answers."))
    if post.endorsed_at is None:
        post.endorsed_at, post.endorsed_by_id = utcnow(), trainer.id
        events.record(actor_id=trainer.id, verb="endorsed", object_type="space_post", object_id=post.id,
                      context={**access.thread_context(thread), "item": thread.item_ref, "author": post.author_id})  # fmt: skip
        db.session.flush()
    return post


def others_asked_here(viewer: User, ref: str) -> list[SpacePost]:
    """Replies on this step that the asker marked helpful or a trainer endorsed, in the
    viewer's organisation, endorsed first, newest first; never the viewer's own question's."""
    return list(
        db.session.execute(
            select(SpacePost).join(SpaceThread, SpaceThread.id == SpacePost.thread_id)
            .where(SpaceThread.item_ref == ref, SpaceThread.kind == "help",
                   SpaceThread.organisation_id == viewer.organisation_id, SpaceThread.author_id != viewer.id,
                   SpaceThread.hidden_at.is_(None), SpaceThread.deleted_at.is_(None),
                   SpacePost.hidden_at.is_(None), SpacePost.deleted_at.is_(None),
                   or_(SpacePost.helped_at.is_not(None), SpacePost.endorsed_at.is_not(None)))
            .order_by(SpacePost.endorsed_at.is_(None), SpacePost.created_at.desc(), SpacePost.id.desc())
            .limit(OTHERS_LIMIT)
        ).scalars()
    )  # fmt: skip


def peer_answers_for_coach(trainer: User, request_id: int) -> SpaceThread | None:
    """The shared thread of a help request, for the coach's desk: None when it was not shared
    or the trainer may not see the request. Raises nothing."""
    try:
        coaching.request_for_trainer(trainer, request_id)
    except NotFound:
        return None
    # The desk shows every answer with its author: read together, not an author at a time.
    return thread_of_request(request_id, selectinload(SpaceThread.posts).selectinload(SpacePost.author))
