"""Coaching conversations: a learner and their coach write to each other.

A journey has one general thread; a learner can open one more per step they want to talk
about. Who may read a thread: its learner and whoever coaches them now (``is_coach_of``); for
anyone else it does not exist (``NotFound``). Read state is kept per person. Events:

  commented  author   coaching_message  a message (context: thread, item)
  responded  learner  coaching_message  whether a coach's message helped (result.success, mood)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.authoring import kinds
from lxp.channels import in_app, path_for
from lxp.channels.email import external_url, mail_after_commit
from lxp.coaching.models import CoachingMessage, CoachingThread, ThreadReadMark
from lxp.coaching.services import coach_of, coaches
from lxp.core.errors import Conflict, Invalid, NotFound
from lxp.core.paging import beyond
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.files import services as files
from lxp.paths import services as paths
from lxp.paths.access import journey_item, open_block
from lxp.paths.models import Journey
from lxp.paths.storage import plan_from_json

BODY_LIMIT = 10_000
ATTACHMENTS = "message"  # the kind of file a message carries
MAX_ATTACHMENTS = 5


# --- who coaches whom --------------------------------------------------------------------


def coached_learner_ids(trainer: User):
    """A subquery of the ids of the learners this trainer coaches (``coach_of`` says who)."""
    pairs = coaches()
    return select(pairs.c.learner_id).where(pairs.c.coach_id == trainer.id).subquery()


def is_coach_of(trainer: User, learner_id: int) -> bool:
    """True when the trainer coaches this learner now."""
    if not trainer.has_role("trainer"):
        return False
    ids = coached_learner_ids(trainer)
    return db.session.execute(select(ids.c[0]).where(ids.c[0] == learner_id)).first() is not None


# --- threads -----------------------------------------------------------------------------


def thread_for(user: User, thread_id: int) -> CoachingThread:
    """A thread the user may read: their own, or one of a learner they coach. Raises ``NotFound``."""
    thread = db.session.get(CoachingThread, thread_id)
    if thread is None or not (thread.learner_id == user.id or is_coach_of(user, thread.learner_id)):
        raise NotFound(_l("No such conversation."))
    return thread


def open_thread(learner: User, item_ref: str | None = None, opened_by: User | None = None) -> CoachingThread:
    """The learner's thread with their coach about their journey, or about one of its steps;
    made on first use, by the learner or (``opened_by``) their coach. Raises ``Invalid`` (no
    coach yet, no journey) and ``NotFound`` (a step not on their path; not their coach)."""
    if opened_by is not None and opened_by.id != learner.id and not is_coach_of(opened_by, learner.id):
        raise NotFound(_l("No such conversation."))
    if coach_of(learner.id) is None:
        raise Invalid(_l("You have no coach yet. Your organisation's admin chooses one for you."))
    journey = paths.open_journey(learner)
    if journey is None:
        raise Invalid(_l("Choose a goal first: your conversations belong to your path."))
    title = open_block(learner, item_ref).item.title if item_ref else None
    thread = db.session.execute(
        select(CoachingThread).where(
            CoachingThread.learner_id == learner.id, CoachingThread.journey_id == journey.id,
            CoachingThread.item_ref.is_(None) if item_ref is None else CoachingThread.item_ref == item_ref)
    ).scalar_one_or_none()  # fmt: skip
    if thread is None:
        thread = CoachingThread(organisation_id=learner.organisation_id, learner_id=learner.id,
                                journey_id=journey.id, item_ref=item_ref, item_title=title)  # fmt: skip
        db.session.add(thread)
        db.session.flush()
    return thread


def is_unread(user: User, thread: CoachingThread) -> bool:
    """Whether the thread has a message by someone else that ``user`` has not marked read."""
    return with_read_state(user, [thread])[0].unread


def mark_read(user: User, thread: CoachingThread) -> None:
    """The user has read the thread up to now (a POST: pages never write on being shown;
    writing in the thread marks it read too)."""
    mark = db.session.get(ThreadReadMark, (thread.id, user.id))
    if mark is None:
        db.session.add(ThreadReadMark(thread_id=thread.id, user_id=user.id, read_at=utcnow()))
    else:
        mark.read_at = utcnow()
    db.session.flush()


def post_message(author: User, thread: CoachingThread, body: str, uploads: list[files.Upload] = ()) -> CoachingMessage:
    """Write to the thread, with files already checked (``files.check_upload(ATTACHMENTS, …)``);
    the other side is told. Raises ``NotFound`` (not theirs to write in) and ``Invalid`` (no
    text and no file, overlong, too many files)."""
    thread = thread_for(author, thread.id)
    body = (body or "").strip()
    if not body and not uploads:
        raise Invalid(_l("Write a message first."), field="body")
    if len(uploads) > MAX_ATTACHMENTS:
        raise Invalid(_l("Attach at most %(num)d files to one message.", num=MAX_ATTACHMENTS), field="files")
    if len(body) > BODY_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=BODY_LIMIT), field="body")
    now = utcnow()
    message = CoachingMessage(thread=thread, author_id=author.id, body=body, created_at=now)
    db.session.add(message)
    thread.last_message_at, thread.last_author_id = now, author.id
    db.session.flush()
    for upload in uploads:
        files.store(author, ATTACHMENTS, message.id, upload)
    events.record(actor_id=author.id, verb="commented", object_type="coaching_message", object_id=message.id,
                  context={"thread": thread.id, "item": thread.item_ref, "learner": thread.learner_id})  # fmt: skip
    _mark(author.id, thread.id, now)
    _tell(author, thread, message)
    db.session.flush()
    return message


def _mark(user_id: int, thread_id: int, when: datetime) -> None:
    mark = db.session.get(ThreadReadMark, (thread_id, user_id))
    if mark is None:
        db.session.add(ThreadReadMark(thread_id=thread_id, user_id=user_id, read_at=when))
    else:
        mark.read_at = when


def _tell(author: User, thread: CoachingThread, message: CoachingMessage) -> None:
    about = thread.item_title or _l("your path")
    if author.id == thread.learner_id:
        coach = coach_of(thread.learner_id)
        if coach is not None:
            mail_after_commit(coach, "coaching_message", author=author.display_name, about=thread.item_title or "",
                              body=message.body, link=external_url("coaching.desk_thread", thread_id=thread.id))  # fmt: skip
        return
    learner = thread.learner
    with force_locale(learner.locale or current_app.config["DEFAULT_LOCALE"]):
        in_app.post(in_app.InAppNote(
            user_id=learner.id, category="reply", key=f"coaching-message:{message.id}",
            subject=str(_l("%(coach)s wrote to you", coach=author.display_name)), body=message.body,
            link=path_for("coaching.thread", thread_id=thread.id),
            why=str(_l("Your conversation with your coach about %(about)s.", about=about)),
        ))  # fmt: skip


def react(learner: User, message_id: int, helped: bool, mood: int | None = None) -> CoachingMessage:
    """The learner says whether a coach's message helped and how it felt (once; the same answer
    again changes nothing). Raises ``NotFound``, ``Invalid`` (their own message, a mood outside
    1..5) and ``Conflict`` (answered differently before)."""
    message = db.session.get(CoachingMessage, message_id)
    if message is None or message.thread.learner_id != learner.id:
        raise NotFound(_l("No such message."))
    if message.author_id == learner.id:
        raise Invalid(_l("You can say this of your coach's messages."))
    if mood is not None and not 1 <= mood <= 5:
        raise Invalid(_l("Choose one of the faces."), field="mood")
    if message.helped is not None:
        if (message.helped, message.mood) == (helped, mood):
            return message
        raise Conflict(_l("You have already said whether it helped. Thank you."))
    message.helped, message.mood = helped, mood
    events.record(actor_id=learner.id, verb="responded", object_type="coaching_message", object_id=message.id,
                  result={"success": helped, "extensions": {"mood": mood}},
                  context={"thread": message.thread_id, "coach": message.author_id})  # fmt: skip
    db.session.flush()
    return message


def _may_see_message(user: User, message_id: int) -> bool:
    message = db.session.get(CoachingMessage, message_id)
    if message is None:
        return False
    try:
        thread_for(user, message.thread_id)
    except NotFound:
        return False
    return True


files.register_access(ATTACHMENTS, _may_see_message)


def attachments_of(thread: CoachingThread) -> dict[int, list]:
    """The files of each message of the thread (one query)."""
    return files.attached(ATTACHMENTS, [m.id for m in thread.messages])


# --- lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadRow:
    thread: CoachingThread
    unread: bool
    waiting_since: datetime | None  # for a coach: when the learner's unanswered message came


def with_read_state(user: User, threads) -> list[ThreadRow]:
    """``threads`` as ``user`` sees them: whether they have read the last message, and for a
    coach since when the learner waits for an answer."""
    marks = dict(
        db.session.execute(
            select(ThreadReadMark.thread_id, ThreadReadMark.read_at).where(
                ThreadReadMark.user_id == user.id, ThreadReadMark.thread_id.in_([t.id for t in threads])
            )
        ).all()
    )
    rows = []
    for thread in threads:
        read_at = marks.get(thread.id)
        unread = bool(
            thread.last_message_at
            and thread.last_author_id != user.id
            and (read_at is None or read_at < thread.last_message_at)
        )
        waiting = thread.last_message_at if thread.last_author_id == thread.learner_id else None
        rows.append(ThreadRow(thread, unread, waiting))
    return rows


def threads_of_learner(learner: User) -> list[ThreadRow]:
    """The learner's conversations, the latest first."""
    threads = list(
        db.session.execute(
            select(CoachingThread)
            .where(CoachingThread.learner_id == learner.id)
            .order_by(CoachingThread.last_message_at.desc().nulls_last(), CoachingThread.id.desc())
        ).scalars()
    )
    return with_read_state(learner, threads)


def coach_inbox_query(trainer: User):
    """The conversations of the trainer's learners: those waiting for an answer (the learner
    wrote last) first, the longest waiting first; then the others, the latest first. A
    statement, so the desk reads a page of them and counts the rest (``with_read_state`` adds
    what the coach has read)."""
    ids = coached_learner_ids(trainer)
    waiting = CoachingThread.last_author_id == CoachingThread.learner_id
    return (
        select(CoachingThread)
        .where(CoachingThread.learner_id.in_(select(ids.c[0])), CoachingThread.last_message_at.is_not(None))
        .order_by(case((waiting, 0), else_=1), case((waiting, CoachingThread.last_message_at)),
                  CoachingThread.last_message_at.desc(), CoachingThread.id)
        .options(selectinload(CoachingThread.learner))  # the desk names them all
    )  # fmt: skip


def _latest():
    """When a thread last moved: its last message, or its opening if none was written yet."""
    return func.coalesce(CoachingThread.last_message_at, CoachingThread.created_at)


def threads_after(user: User, after: tuple[datetime, int] | None, limit: int) -> list[ThreadRow]:
    """The conversations ``user`` takes part in, the latest first: their own (as a learner) and
    those of the learners they coach that have a message (as a trainer); ``limit`` of them and
    the first of the next if any, after the one whose (last moved, id) is ``after``: an API's
    cursor, read in SQL."""
    mine = [CoachingThread.learner_id == user.id] if user.has_role("learner") else []
    if user.has_role("trainer"):
        ids = coached_learner_ids(user)
        mine.append(and_(CoachingThread.learner_id.in_(select(ids.c[0])), CoachingThread.last_message_at.is_not(None)))
    if not mine:
        return []
    statement = select(CoachingThread).where(or_(*mine))
    if after is not None:
        statement = statement.where(beyond((_latest(), CoachingThread.id), after, descending=True))
    statement = statement.order_by(_latest().desc(), CoachingThread.id.desc()).limit(limit + 1)
    return with_read_state(user, list(db.session.execute(statement).scalars()))


def unread_for_learner(learner_id: int) -> int:
    """How many of the learner's threads have a message they have not read."""
    mark = ThreadReadMark
    return len(
        db.session.execute(
            select(CoachingThread.id)
            .outerjoin(mark, and_(mark.thread_id == CoachingThread.id, mark.user_id == learner_id))
            .where(CoachingThread.learner_id == learner_id, CoachingThread.last_author_id != learner_id,
                   or_(mark.read_at.is_(None), mark.read_at < CoachingThread.last_message_at))
        ).all()
    )  # fmt: skip


# --- coaching checkpoints ------------------------------------------------------------------


@dataclass(frozen=True)
class DueConversation:
    learner: User
    ref: str
    title: str
    due: date
    agenda: str


def due_checkpoints(trainer: User, today: date | None = None, days_ahead: int = 14) -> list[DueConversation]:
    """Coaching checkpoints on the paths of the trainer's learners that fall due within
    ``days_ahead`` days (or are overdue), soonest first, with their agenda. Only the plans with
    one due are read (``Journey.coached_due_on``), not every plan of the trainer's learners."""
    today = today or date.today()
    ids = coached_learner_ids(trainer)
    journeys = db.session.execute(
        select(Journey).where(Journey.learner_id.in_(select(ids.c[0])), Journey.status == "active",
                              Journey.coached_due_on <= today + timedelta(days=days_ahead))
        .options(selectinload(Journey.courses))  # journey_item reads them
    ).scalars().all()  # fmt: skip
    found = [(journey, step) for journey in journeys if journey.plan
             for step in plan_from_json(journey.plan).open_steps
             if kinds.get(step.kind).coached and step.due is not None
             and step.due <= today + timedelta(days=days_ahead)]  # fmt: skip
    # Their learners read together, not one statement for each.
    learners = {person.id: person for person in db.session.scalars(
        select(User).where(User.id.in_(sorted({journey.learner_id for journey, _step in found})))
    )} if found else {}  # fmt: skip
    due = []
    for journey, step in found:
        item = journey_item(journey, step.ref)
        due.append(DueConversation(learners[journey.learner_id], step.ref, step.title, step.due,
                                   (item.content or {}).get("agenda", "") if item else ""))  # fmt: skip
    return sorted(due, key=lambda d: (d.due, d.learner.display_name))


def hold_checkpoint(coach: User, thread: CoachingThread) -> None:
    """The coach records that the conversation of a coaching checkpoint took place: the step
    is done on the learner's path (a ``completed`` event of the learner, by the coach).
    Raises ``NotFound`` (not their learner's thread) and ``Invalid`` (not about a checkpoint)."""
    thread = thread_for(coach, thread.id)
    if thread.learner_id == coach.id or not thread.item_ref:
        raise Invalid(_l("Only a coaching checkpoint's conversation can be marked as held."))
    block = open_block(thread.learner, thread.item_ref)
    if not block.kind.coached:
        raise Invalid(_l("Only a coaching checkpoint's conversation can be marked as held."))
    if thread.item_ref in paths.learner_state(thread.learner_id).completed:
        return
    events.record(actor_id=thread.learner_id, verb="completed", object_type="item", object_id=thread.item_ref,
                  result={"completion": True}, context={"journey": block.journey.id, "coach": coach.id,
                                                        "thread": thread.id})  # fmt: skip
    paths.refresh_plan(block.journey, f"the checkpoint {thread.item_ref} held")
    db.session.flush()


def is_open_checkpoint(thread: CoachingThread) -> bool:
    """True for a thread about a coaching checkpoint not done yet (the coach can mark it held)."""
    journey = db.session.get(Journey, thread.journey_id) if thread.item_ref and thread.journey_id else None
    if journey is None or not journey.plan:
        return False
    steps = plan_from_json(journey.plan).open_steps
    return any(step.ref == thread.item_ref and kinds.get(step.kind).coached for step in steps)
