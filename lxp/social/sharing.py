"""Sharing by choice: a learner shares a reflection's text or an on-the-job task's evidence with
their peers, one item at a time; private stays the default. The text is copied into a thread
of kind ``shared`` in the space they choose (one of their cohorts', or the item's course's,
``access.share_targets``); un-sharing deletes that thread (and
voids its statements), so it leaves the space. Peers answer with a short structured feedback
(what worked, one suggestion): advice recorded as a reply, never competency evidence (only
trainers' and coaches' reviews count, in ``workplace`` and ``coaching``).

Asking for feedback is a separate, later step: the sharer asks the space, and by name any of its
people, a short question about the work (``ask_for_feedback``). The people asked hear of it,
and the sharer hears of each answer, through the touchpoints ``feedback_asked`` and
``feedback_given`` (``nudges.rules``), so caps, quiet hours and "fewer like this" apply.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lxp import events
from lxp.accounts.models import User
from lxp.authoring import kinds
from lxp.authoring.models import CourseVersion, Item
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social import access, moderation
from lxp.social.models import SpacePost, SpaceThread
from lxp.social.services import mentionable, new_thread, opening_post_id, reply, thread_for
from lxp.workplace.models import TaskSubmission

FEEDBACK_LIMIT = 1000
QUESTION_LIMIT = 300
# What the kinds share (``ItemKind.shared_as``): a task's evidence, or else a reflection's text.
SHARED_SOURCES = tuple(kind.shared_as for kind in kinds.KINDS.values() if kind.shared_as)
EVIDENCE = "evidence"


def _reflection_text(learner: User, ref: str) -> str | None:
    result = db.session.execute(
        select(LearningEvent.result).where(
            LearningEvent.actor_id == learner.id, LearningEvent.object_type == "item",
            LearningEvent.object_id == ref, LearningEvent.verb == "completed")
        .order_by(LearningEvent.occurred_at.desc()).limit(1)
    ).scalar()  # fmt: skip
    response = (result or {}).get("response")
    return response if isinstance(response, str) and response.strip() else None


def _evidence(learner: User, ref: str) -> TaskSubmission | None:
    return db.session.execute(
        select(TaskSubmission).where(TaskSubmission.learner_id == learner.id, TaskSubmission.item_ref == ref,
                                     TaskSubmission.status != "draft")
        .order_by(TaskSubmission.number.desc(), TaskSubmission.id.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip


def shared_thread(learner: User, source: str, ref: str) -> SpaceThread | None:
    """The learner's thread sharing this item, while it is shared."""
    return db.session.execute(
        select(SpaceThread).where(SpaceThread.author_id == learner.id, SpaceThread.kind == "shared",
                                  SpaceThread.shared_source == source, SpaceThread.item_ref == ref,
                                  SpaceThread.deleted_at.is_(None))
    ).scalars().first()  # fmt: skip


def feedback_givers(thread: SpaceThread) -> int:
    """How many colleagues answered the shared work (visible replies, each person once), for the
    sharer's page of the item."""
    return db.session.execute(
        select(func.count(func.distinct(SpacePost.author_id))).where(
            SpacePost.thread_id == thread.id, SpacePost.id != opening_post_id(thread.id),
            SpacePost.author_id != thread.author_id, SpacePost.hidden_at.is_(None), SpacePost.deleted_at.is_(None))
    ).scalar()  # fmt: skip


def can_share(learner: User, source: str, ref: str) -> bool:
    """Whether there is something of the learner's to share on this item, and a space to share it in."""
    if not access.share_targets(learner, ref):
        return False
    return (_evidence(learner, ref) if source == EVIDENCE else _reflection_text(learner, ref)) is not None


def share(learner: User, source: str, ref: str, space: str | None = None) -> SpaceThread:
    """Share the learner's reflection (its last text) or task evidence (its last sent version)
    on item ``ref`` in the space they chose (``space``, an ``access.space_key``: one of their
    cohorts', or the item's course's; empty: the first of ``access.share_targets``); sharing it
    again while shared changes nothing. Raises ``Invalid`` (unknown source, nothing to share, no
    space, a space that is not theirs)."""
    if source not in SHARED_SOURCES:
        raise Invalid(_l("You can share a reflection or a task's evidence."))
    chosen = access.share_target(learner, ref, space)
    if chosen is None:
        raise Invalid(_l("You are in no cohort with a space yet."))
    existing = shared_thread(learner, source, ref)
    if existing is not None:
        return existing
    if source == EVIDENCE:
        submission = _evidence(learner, ref)
        text = None if submission is None else "\n\n".join([submission.account, *submission.links]).strip()
        title = submission.item_title if submission is not None else None
    else:
        text, title = _reflection_text(learner, ref), None
    if not text:
        raise Invalid(_l("There is nothing of yours to share on this step yet."))
    title = title or _reflection_title(ref)
    thread = new_thread(learner, chosen, "shared", title, text, shared_source=source, item_ref=ref, item_title=title)
    events.record(actor_id=learner.id, verb="posted", object_type="space_thread", object_id=thread.id,
                  context={**access.context_of(chosen), "kind": "shared", "source": source, "item": ref})  # fmt: skip
    return thread


def _reflection_title(ref: str) -> str:
    course_id, _sep, key = ref.partition(":")
    found = None
    if course_id.isdigit():
        found = db.session.execute(
            select(Item.title).join(CourseVersion, CourseVersion.id == Item.version_id)
            .where(CourseVersion.course_id == int(course_id), Item.key == key)
            .order_by(CourseVersion.number.desc()).limit(1)
        ).scalar()  # fmt: skip
    return found or _("A reflection")


def unshare(learner: User, source: str, ref: str) -> None:
    """Take the item out of the space: the shared thread is deleted (its statements voided).
    Not shared: nothing happens."""
    thread = shared_thread(learner, source, ref)
    if thread is not None:
        moderation.delete_post(learner, opening_post_id(thread.id))


def feedback_asks(thread: SpaceThread) -> list[SpacePost]:
    """The sharer's visible requests for feedback in the thread, oldest first."""
    return list(db.session.execute(
        select(SpacePost).where(SpacePost.thread_id == thread.id, SpacePost.asks_feedback_at.is_not(None),
                                SpacePost.hidden_at.is_(None), SpacePost.deleted_at.is_(None))
        .order_by(SpacePost.created_at, SpacePost.id)
    ).scalars())  # fmt: skip


def who_may_be_asked(learner: User, thread: SpaceThread) -> dict[int, str]:
    """The people of the thread's space the sharer may ask by name (id -> display name)."""
    people = mentionable(access.of_thread(thread))
    people.pop(learner.id, None)
    return dict(sorted(people.items(), key=lambda p: (p[1].casefold(), p[0])))


def ask_for_feedback(learner: User, thread_id: int, question: str, people: list[int] | tuple = ()) -> SpacePost:
    """The sharer asks the space (and, by name, ``people`` of it) for feedback on their shared
    work with a short question: a post of theirs in the thread, marked as the request. Each person
    asked by name gets the touchpoint ``feedback_asked``; the sharer hears of each answer through
    ``feedback_given`` (both with the learner's caps, quiet hours and "fewer like this"). Raises
    ``NotFound``, ``NotAllowed`` (not their shared work) and ``Invalid`` (no question, too long,
    someone who is not in the space)."""
    thread = thread_for(learner, thread_id)
    if thread.kind != "shared":
        raise NotFound(_l("No such thread."))
    if thread.author_id != learner.id:
        raise NotAllowed(_l("Only the person who shared the work asks for feedback on it."))
    question = " ".join((question or "").split())
    if not question:
        raise Invalid(_l("Ask a short question."), field="question")
    if len(question) > QUESTION_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=QUESTION_LIMIT), field="question")
    asked = frozenset(people or ())
    if not asked <= set(who_may_be_asked(learner, thread)):
        raise Invalid(_l("Choose people of this space."), field="people")
    post = reply(learner, thread, question, asked=asked, extra={"asks_feedback": True})
    post.asks_feedback_at = post.created_at
    db.session.flush()
    return post


def give_feedback(peer: User, thread_id: int, worked: str, suggestion: str) -> SpacePost:
    """A peer's structured feedback on shared work: what worked, one suggestion. A reply like
    any other (so reported, edited and deleted like one); never competency evidence. When the
    sharer asked for feedback, its statement names them (``person``), so the touchpoint
    ``feedback_given`` tells them. Raises ``NotFound``, ``Invalid`` (not shared work, one's own,
    a field empty or too long)."""
    thread = thread_for(peer, thread_id)
    if thread.kind != "shared":
        raise NotFound(_l("No such thread."))
    if thread.author_id == peer.id:
        raise Invalid(_l("Feedback is for someone else's work."))
    worked, suggestion = (worked or "").strip(), (suggestion or "").strip()
    if not worked:
        raise Invalid(_l("Say what worked."), field="worked")
    if not suggestion:
        raise Invalid(_l("Give one suggestion."), field="suggestion")
    for name, value in (("worked", worked), ("suggestion", suggestion)):
        if len(value) > FEEDBACK_LIMIT:
            raise Invalid(_l("Use at most %(num)d characters.", num=FEEDBACK_LIMIT), field=name)
    body = f"**{_('What worked')}:** {worked}\n\n**{_('One suggestion')}:** {suggestion}"
    asked = bool(feedback_asks(thread))
    return reply(peer, thread, body, extra={"feedback": True, **({"person": thread.author_id} if asked else {})})
