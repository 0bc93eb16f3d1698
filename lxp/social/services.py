"""Spaces: threads, replies, quotes, mentions, the weekly question.

A space is a cohort's (a ``Cohort``) or a course's, for everyone on it (an
``access.CourseSpace``); both read alike here. Anyone who may open a space (``access``) may
start a thread and reply; only its trainers and admins post the weekly question, in a cohort's
space, which is tied to a path station and stays open for a week (a new one closes the last). Everything is recorded as learning events:

  posted     author  space_thread  a thread started (context: cohort or course_space, kind, item)
  replied    author  space_post    a reply (context: cohort or course_space, thread, item)
  mentioned  author  space_post    a person named in a post (context: person, cohort or course_space, thread)

Posts are Markdown, rendered sanitised (``core.markdown``). Editing keeps the events;
deleting hides the text for everyone and voids the post's events (``moderation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased, selectinload

from lxp import events
from lxp.accounts.models import User, UserRole
from lxp.authoring.models import Course, CourseVersion, Item
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.paging import Page, beyond, clamped, pages_for
from lxp.core.statements import prepared
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.social import access
from lxp.social.mentions import mentioned
from lxp.social.models import SpacePost, SpaceThread

TITLE_LIMIT = 200
BODY_LIMIT = 10_000
QUESTION_OPEN = timedelta(days=7)


@dataclass(frozen=True)
class Station:
    ref: str
    title: str


def stations_of(organisation_id: int, space=None) -> list[Station]:
    """The items of the organisation's published courses (newest published version of each),
    which a thread may be tied to, in course and path order; in a course's ``space``, that
    course's only."""
    newest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .join(Course, Course.id == CourseVersion.course_id)
        .where(
            Course.organisation_id == organisation_id,
            CourseVersion.status == "published",
            *([Course.id == space.id] if space is not None and access.is_course_space(space) else []),
        )
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(CourseVersion.course_id, Item.key, Item.title)
        .join(newest, and_(newest.c.course_id == CourseVersion.course_id, newest.c.number == CourseVersion.number))
        .join(Item, Item.version_id == CourseVersion.id)
        .order_by(CourseVersion.course_id, Item.module_id, Item.position, Item.id)
    ).all()
    return [Station(f"{course_id}:{key}", title) for course_id, key, title in rows]


def _station(space, ref: str | None) -> Station | None:
    if not ref:
        return None
    found = next((s for s in stations_of(space.organisation_id, space) if s.ref == ref), None)
    if found is None and access.is_course_space(space):
        raise Invalid(_l("Choose a step of this course."), field="station")
    if found is None:
        raise Invalid(_l("Choose a step of one of your organisation's courses."), field="station")
    return found


def clean_text(title: str | None, body: str | None, *, needs_title: bool) -> tuple[str, str]:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if needs_title and not title:
        raise Invalid(_l("Give the thread a title."), field="title")
    if len(title) > TITLE_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=TITLE_LIMIT), field="title")
    if not body:
        raise Invalid(_l("Write something first."), field="body")
    if len(body) > BODY_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=BODY_LIMIT), field="body")
    return title, body


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadRow:
    thread: SpaceThread
    replies: int
    repliers: list[str]  # who answered, by first reply


def _visible_threads(viewer: User):
    query = select(SpaceThread).where(SpaceThread.deleted_at.is_(None))
    if not access.is_staff(viewer):
        query = query.where(SpaceThread.hidden_at.is_(None))
    return query


def _in_space(space):
    return SpaceThread.course_id == space.id if access.is_course_space(space) else SpaceThread.cohort_id == space.id


THREADS_PER_PAGE = 30


def _open_question_first(now):
    """0 for an open weekly question, 1 for any other thread: the first part of a space's order."""
    return case((and_(SpaceThread.kind == "weekly", SpaceThread.open_until > now), 0), else_=1)


def thread_key(thread: SpaceThread, now: datetime) -> tuple[int, datetime, int]:
    """Where a thread stands in its space's order (``threads_of``): open question first, then
    latest post, then newest."""
    open_question = thread.kind == "weekly" and thread.open_until is not None and thread.open_until > now
    return (0 if open_question else 1, thread.last_post_at, thread.id)


def threads_of(viewer: User, space, page: int | None = None, *, after: tuple | None = None,
               limit: int = THREADS_PER_PAGE) -> list[ThreadRow]:  # fmt: skip
    """The space's threads (a cohort's or a course's): an open weekly question first, then by
    latest post. All of them; or ``limit`` of them, and the first of the next ones, if any, to
    tell there are more: those of ``page`` (from 1), or those after the thread whose
    ``thread_key`` is ``after`` (an API's cursor). Hidden threads only for staff; deleted ones
    for nobody."""
    now = utcnow()
    first = _open_question_first(now)
    statement = (
        _visible_threads(viewer)
        .where(_in_space(space))
        .order_by(first, SpaceThread.last_post_at.desc(), SpaceThread.id.desc())
    )
    if after is not None:
        rank, at, thread_id = after
        statement = statement.where(or_(first > rank, and_(first == rank, or_(
            SpaceThread.last_post_at < at, and_(SpaceThread.last_post_at == at, SpaceThread.id < thread_id)))))  # fmt: skip
    if page is not None or after is not None:
        statement = statement.offset((max(page or 1, 1) - 1) * limit).limit(limit + 1)
    threads = list(db.session.execute(statement).scalars())
    if not threads:
        return []
    # One row per thread and replier (not per post, and not the posts of each thread one
    # statement at a time): the replies they wrote, and when their first one came.
    opening = aliased(SpacePost)
    first_post = select(func.min(opening.id)).where(opening.thread_id == SpacePost.thread_id).scalar_subquery()
    repliers: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    for thread_id, name, written in db.session.execute(
        select(SpacePost.thread_id, User.display_name, func.count())
        .join(User, User.id == SpacePost.author_id)
        .where(SpacePost.thread_id.in_([t.id for t in threads]), SpacePost.deleted_at.is_(None),
               SpacePost.hidden_at.is_(None), SpacePost.id != first_post)
        .group_by(SpacePost.thread_id, SpacePost.author_id, User.display_name)
        .order_by(SpacePost.thread_id, func.min(SpacePost.created_at), func.min(SpacePost.id))
    ).all():  # fmt: skip
        counts[thread_id] = counts.get(thread_id, 0) + written
        if name not in repliers.setdefault(thread_id, []):
            repliers[thread_id].append(name)
    return [ThreadRow(t, counts.get(t.id, 0), repliers.get(t.id, [])) for t in threads]


def thread_for(viewer: User, thread_id: int) -> SpaceThread:
    """A thread of a space the viewer may open, without its posts (``posts_page`` reads a page of
    them). Raises ``NotFound`` (another cohort's or organisation's, deleted, or hidden from a
    learner)."""
    thread = db.session.get(SpaceThread, thread_id)
    if thread is None or thread.deleted_at is not None or not access.may_see_thread(viewer, thread):
        raise NotFound(_l("No such thread."))
    if thread.hidden_at is not None and not access.is_staff(viewer):
        raise NotFound(_l("No such thread."))
    return thread


def post_for(viewer: User, post_id: int) -> SpacePost:
    """A post of a thread the viewer may open. Raises ``NotFound``."""
    post = db.session.get(SpacePost, post_id)
    if post is None:
        raise NotFound(_l("No such post."))
    thread_for(viewer, post.thread_id)
    return post


REPLIES_PER_PAGE = 50


@dataclass(frozen=True)
class PostsPage(Page):
    """A page of a thread: ``REPLIES_PER_PAGE`` of its replies (``items``), oldest first, and its
    opening post, shown on every page (the question the replies answer)."""

    opening: SpacePost

    @property
    def replies(self) -> list[SpacePost]:
        return self.items

    @property
    def earlier(self) -> int:
        """Replies on the pages before this one."""
        return (self.page - 1) * REPLIES_PER_PAGE


def opening_post_id(thread_id: int) -> int:
    """The post a thread was started with (the first written; its replies may carry earlier times
    when imported or seeded)."""
    return db.session.execute(select(func.min(SpacePost.id)).where(SpacePost.thread_id == thread_id)).scalar_one()


def _replies(thread_id: int, opening_id: int):
    return select(SpacePost).where(SpacePost.thread_id == thread_id, SpacePost.id != opening_id)


def posts_page(thread: SpaceThread, page: int | None = 1) -> PostsPage:
    """The opening post and the replies of ``page`` (from 1; past the last or None, the last), with their
    authors, endorsers and quotes read together: the same statements for a thread of any size."""
    opening_id = opening_post_id(thread.id)
    count = db.session.execute(select(func.count()).select_from(_replies(thread.id, opening_id).subquery())).scalar()
    pages = pages_for(count, REPLIES_PER_PAGE)
    page = clamped(page, pages)
    links = (selectinload(SpacePost.author), selectinload(SpacePost.endorsed_by),
             selectinload(SpacePost.quote).selectinload(SpacePost.author))  # fmt: skip
    replies = db.session.execute(
        _replies(thread.id, opening_id).options(*links).order_by(SpacePost.created_at, SpacePost.id)
        .offset((page - 1) * REPLIES_PER_PAGE).limit(REPLIES_PER_PAGE)
    ).scalars().all()  # fmt: skip
    opening = db.session.get(SpacePost, opening_id, options=links)
    return PostsPage(list(replies), page, pages, count, opening)


def post_key(post: SpacePost, opening_id: int) -> tuple[int, datetime, int]:
    """Where a post stands in its thread (``posts_after``): the opening post first, then by time."""
    return (0 if post.id == opening_id else 1, post.created_at, post.id)


def posts_after(thread: SpaceThread, after: tuple | None, limit: int) -> tuple[list[SpacePost], int]:
    """``limit`` posts of the thread, and the first of the next ones if any, after the post whose
    ``post_key`` is ``after`` (an API's cursor; None: from the opening post), read in SQL; and
    the opening post's id, which the key needs."""
    opening_id = opening_post_id(thread.id)
    rank = case((SpacePost.id == opening_id, 0), else_=1)
    statement = select(SpacePost).where(SpacePost.thread_id == thread.id)
    if after is not None:
        statement = statement.where(beyond((rank, SpacePost.created_at, SpacePost.id), after))
    statement = statement.order_by(rank, SpacePost.created_at, SpacePost.id).limit(limit + 1)
    return list(db.session.execute(statement).scalars()), opening_id


def quotable(thread: SpaceThread, post_id: int) -> SpacePost | None:
    """The thread's visible post ``post_id``, which a reply may quote; else None."""
    post = db.session.get(SpacePost, post_id)
    return post if post is not None and post.thread_id == thread.id and post.visible else None


def page_of_post(post: SpacePost) -> int:
    """The page of its thread (``posts_page``) a post is on: 1 for the opening post."""
    opening_id = opening_post_id(post.thread_id)
    if post.id == opening_id:
        return 1
    earlier = db.session.execute(
        select(func.count()).select_from(_replies(post.thread_id, opening_id).where(or_(
            SpacePost.created_at < post.created_at, and_(SpacePost.created_at == post.created_at, SpacePost.id < post.id)
        )).subquery())
    ).scalar()  # fmt: skip
    return earlier // REPLIES_PER_PAGE + 1


@dataclass(frozen=True)
class SpaceLink:
    id: int
    name: str


@dataclass(frozen=True)
class OpenQuestion:
    """An open weekly question: the name of its space (a cohort's or a course's), the thread."""

    space_name: str
    thread_id: int
    title: str
    answered: bool


@dataclass(frozen=True)
class WeeklyLine:
    """Today's quiet line about the spaces: the open weekly question (``question``) or else
    the learner's first cohort space (``space``); both None outside any space."""

    question: OpenQuestion | None
    space: SpaceLink | None


def _newest_question(where, outer):
    return (
        select(SpaceThread.id)
        .where(where, SpaceThread.kind == "weekly", SpaceThread.open_until > bindparam("now"),
               SpaceThread.deleted_at.is_(None), SpaceThread.hidden_at.is_(None))
        .order_by(SpaceThread.created_at.desc(), SpaceThread.id.desc()).limit(1)
        .correlate(outer).scalar_subquery()
    )  # fmt: skip


@prepared
def _weekly_line_statement():
    """Per space of the learner (cohorts by name, then courses): its newest open weekly question
    and whether the learner replied to it."""
    learner_id, organisation_id = bindparam("learner_id"), bindparam("organisation_id")
    cohorts = access.own_spaces(learner_id, organisation_id).order_by(None).with_only_columns(
        literal(0).label("kind"), Cohort.id.label("space_id"), Cohort.name.label("name"),
        _newest_question(SpaceThread.cohort_id == Cohort.id, Cohort).label("thread_id"))  # fmt: skip
    title = (
        select(CourseVersion.title).where(CourseVersion.course_id == Course.id)
        .order_by(CourseVersion.number.desc()).limit(1).correlate(Course).scalar_subquery()
    )  # fmt: skip
    courses = select(literal(1).label("kind"), Course.id.label("space_id"), title.label("name"),
                     _newest_question(SpaceThread.course_id == Course.id, Course).label("thread_id")).where(
        Course.organisation_id == organisation_id, *access.own_course_spaces(learner_id))  # fmt: skip
    spaces = union_all(cohorts, courses).subquery()
    replied = (
        select(SpacePost.id)
        .where(SpacePost.thread_id == spaces.c.thread_id, SpacePost.author_id == learner_id,
               SpacePost.deleted_at.is_(None))
        .exists()
    )  # fmt: skip
    return (
        select(spaces.c.kind, spaces.c.space_id, spaces.c.name, spaces.c.thread_id, SpaceThread.title, replied)
        .outerjoin(SpaceThread, SpaceThread.id == spaces.c.thread_id)
        .order_by(spaces.c.kind, spaces.c.name, spaces.c.space_id)
    )  # fmt: skip


def weekly_line(learner: User, now: datetime | None = None) -> WeeklyLine:
    """The open weekly question of the learner's spaces (their cohorts' by name first, then their
    courses'), whether they replied to it, and their first cohort space: one statement, built
    once per process, since Today shows it on every visit."""
    if not learner.has_role("learner"):
        return WeeklyLine(None, None)
    rows = db.session.execute(
        _weekly_line_statement(),
        {"learner_id": learner.id, "organisation_id": learner.organisation_id, "now": now or utcnow()},
    ).all()
    question = next((OpenQuestion(name, thread_id, thread_title, bool(answered))
                     for _kind, _id, name, thread_id, thread_title, answered in rows if thread_id), None)  # fmt: skip
    first = next((SpaceLink(space_id, name) for kind, space_id, name, *_rest in rows if kind == 0), None)
    return WeeklyLine(question, first)


def mentionable(space) -> dict[int, str]:
    """Who a post in the space may name: its members (the cohort's, or the learners on the
    course), the cohort's coach and the organisation's active trainers (id -> display name)."""
    if access.is_course_space(space):
        members = access.course_members(space.id)
    else:
        members = select(cohort_members.c.user_id).where(cohort_members.c.cohort_id == space.id)
    trainers = select(UserRole.user_id).where(UserRole.role == "trainer")
    named = User.id.in_(members) | User.id.in_(trainers)
    if space.coach_id is not None:
        named = named | (User.id == space.coach_id)
    return dict(db.session.execute(
        select(User.id, User.display_name).where(User.organisation_id == space.organisation_id, User.active, named)
    ).all())  # fmt: skip


# --- writing -----------------------------------------------------------------------------------


def _mention(author: User, post: SpacePost, thread: SpaceThread, asked: frozenset[int] = frozenset()) -> list[int]:
    """Record a ``mentioned`` for everyone the post names, and for the people ``asked`` for
    feedback by name (marked ``feedback``: the touchpoint ``feedback_asked`` tells them)."""
    people = mentionable(access.of_thread(thread))
    named = sorted((mentioned(post.body, people) | asked) - {author.id})
    for person in named:
        events.record(actor_id=author.id, verb="mentioned", object_type="space_post", object_id=post.id,
                      context={"person": person, **access.thread_context(thread), "thread": thread.id,
                               **({"feedback": True} if person in asked else {})})  # fmt: skip
    return named


def new_thread(author: User, space, kind: str, title: str, body: str, **fields) -> SpaceThread:
    """A thread of ``kind`` in ``space`` (a ``Cohort`` or an ``access.CourseSpace``) with its
    opening post, added to the session; no event (the caller records what happened)."""
    now = utcnow()
    on_course = access.is_course_space(space)
    thread = SpaceThread(organisation_id=space.organisation_id, cohort_id=None if on_course else space.id,
                         course_id=space.id if on_course else None, author_id=author.id, kind=kind,
                         title=title[:TITLE_LIMIT], created_at=now, last_post_at=now, **fields)  # fmt: skip
    if not on_course:
        thread.cohort = space
    thread.posts.append(SpacePost(author_id=author.id, body=body[:BODY_LIMIT], created_at=now))
    db.session.add(thread)
    db.session.flush()
    return thread


def start_thread(author: User, space, title: str, body: str, *, weekly: bool = False,
                 station: str | None = None) -> SpaceThread:  # fmt: skip
    """A new thread in the space (a ``Cohort`` or an ``access.CourseSpace``), its opening post
    written by ``author``. ``weekly``: the week's question of the space (staff only; closes the
    space's previous one), tied to ``station`` (an item ref; in a course's space, a step of that
    course). Raises ``NotFound`` (not their space), ``NotAllowed`` (a weekly question from a
    learner) and ``Invalid`` (no title or text, too long, a station that is not a step of the
    organisation's courses, or of the course in a course's space)."""
    space = access.reopen(author, space)
    if not access.enabled(space):
        raise Invalid(_l("This space is switched off."))
    if weekly and not access.is_staff(author):
        raise NotAllowed(_l("Only trainers and admins post the weekly question."))
    title, body = clean_text(title, body, needs_title=True)
    found = _station(space, station)
    if weekly and found is None:
        raise Invalid(_l("Choose the step of the path this question is about."), field="station")
    now = utcnow()
    if weekly:
        db.session.execute(
            update(SpaceThread).where(_in_space(space), SpaceThread.kind == "weekly", SpaceThread.open_until > now)
            .values(open_until=now)
        )  # fmt: skip
    thread = new_thread(author, space, "weekly" if weekly else "discussion", title, body,
                        item_ref=found.ref if found else None, item_title=found.title if found else None,
                        open_until=now + QUESTION_OPEN if weekly else None)  # fmt: skip
    context = {
        **access.context_of(space),
        "kind": thread.kind,
        **({"item": thread.item_ref} if thread.item_ref else {}),
    }
    events.record(actor_id=author.id, verb="posted", object_type="space_thread", object_id=thread.id, context=context)
    _mention(author, thread.posts[0], thread)
    db.session.flush()
    return thread


def reply(author: User, thread: SpaceThread, body: str, quote_id: int | None = None, *,
          asked: frozenset[int] = frozenset(), extra: dict | None = None) -> SpacePost:  # fmt: skip
    """A reply in the thread, optionally quoting one of its visible posts; the people it names
    (and those ``asked`` for feedback by name) are told (``mentions``); ``extra`` adds to its
    ``replied`` statement. Raises ``NotFound`` and ``Invalid`` (empty or overlong, a quote from
    elsewhere, a space switched off)."""
    thread = thread_for(author, thread.id)
    if not access.thread_enabled(thread):
        raise Invalid(_l("This space is switched off."))
    _title, body = clean_text(None, body, needs_title=False)
    quote = quotable(thread, quote_id) if quote_id else None
    if quote_id and quote is None:
        raise Invalid(_l("You can quote a post of this thread only."), field="quote")
    now = utcnow()
    # Added by its thread's id: appending to ``thread.posts`` would read every post of the thread.
    post = SpacePost(thread_id=thread.id, author_id=author.id, body=body, quote_id=quote.id if quote else None,
                     created_at=now)  # fmt: skip
    db.session.add(post)
    thread.last_post_at = now
    db.session.flush()
    context = {
        **access.thread_context(thread),
        "thread": thread.id,
        **({"item": thread.item_ref} if thread.item_ref else {}),
        **({"weekly": True} if thread.kind == "weekly" else {}),  # the digest counts these
        **(extra or {}),
    }
    events.record(actor_id=author.id, verb="replied", object_type="space_post", object_id=post.id, context=context)
    _mention(author, post, thread, asked)
    db.session.flush()
    return post
