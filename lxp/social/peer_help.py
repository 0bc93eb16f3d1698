"""Help from peers: an "I'm stuck" request the learner chose to share with their cohort.

The request itself is the coaching one (``coaching.services.ask_for_help``): the coach gets it
with its context exactly as before. Sharing adds a thread of kind ``help`` in the learner's
cohort space (the first of their cohorts by name whose space is on), tied to the step. Peers
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

from lxp import events
from lxp.accounts.models import User
from lxp.coaching import services as coaching
from lxp.coaching.models import HelpRequest
from lxp.cohorts.models import Cohort
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.social import access
from lxp.social.models import SpacePost, SpaceThread
from lxp.social.services import post_for

OTHERS_LIMIT = 3


def member_spaces(learner: User) -> list[Cohort]:
    """The spaces (switched on) of the cohorts ``learner`` is a member of, by name."""
    return [c for c in access.spaces_for(learner) if access.is_member(learner.id, c.id) and access.space_enabled(c.id)]


def help_space(learner: User) -> Cohort | None:
    """The cohort a stuck request of ``learner`` would be shared with: the first of their
    cohorts (by name) whose space is on; None when they are in none."""
    spaces = member_spaces(learner)
    return spaces[0] if spaces else None


def thread_of_request(request_id: int) -> SpaceThread | None:
    return db.session.execute(
        select(SpaceThread).where(SpaceThread.help_request_id == request_id, SpaceThread.deleted_at.is_(None))
    ).scalar_one_or_none()


def ask_coach_and_cohort(learner: User, ref: str, note: str = "") -> tuple[HelpRequest, SpaceThread]:
    """Ask for help on step ``ref`` as ``coaching.ask_for_help`` does, and share the request
    with the learner's cohort (once: asking again adds to the same request and thread).
    Raises as ``ask_for_help``, and ``Invalid`` when the learner has no cohort space."""
    cohort = help_space(learner)
    if cohort is None:
        raise Invalid(_l("You are in no cohort with a space yet; your coach has your request."))
    request, _new = coaching.ask_for_help(learner, ref, note)
    thread = thread_of_request(request.id)
    if thread is not None:
        return request, thread
    now = utcnow()
    thread = SpaceThread(organisation_id=cohort.organisation_id, cohort_id=cohort.id, author_id=learner.id,
                         kind="help", title=request.item_title[:200], item_ref=request.item_ref,
                         item_title=request.item_title, help_request_id=request.id, created_at=now,
                         last_post_at=now)  # fmt: skip
    thread.cohort = cohort
    thread.posts.append(SpacePost(author_id=learner.id, created_at=now,
                                  body=request.note or _("I'm stuck on this step. Has anyone got a tip?")))  # fmt: skip
    db.session.add(thread)
    db.session.flush()
    events.record(actor_id=learner.id, verb="posted", object_type="space_thread", object_id=thread.id,
                  context={"cohort": cohort.id, "kind": "help", "item": ref, "help_request": request.id})  # fmt: skip
    return request, thread


def _help_reply(viewer: User, post_id: int) -> tuple[SpacePost, SpaceThread]:
    post = post_for(viewer, post_id)
    thread = post.thread
    if thread.kind != "help" or not post.visible or post.id == thread.posts[0].id:
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
                      context={"learner": learner.id, "cohort": thread.cohort_id, "item": thread.item_ref})  # fmt: skip
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
                      context={"cohort": thread.cohort_id, "item": thread.item_ref, "author": post.author_id})  # fmt: skip
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
    return thread_of_request(request_id)
