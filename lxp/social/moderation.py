"""Moderation and authors' control: report a post, the trainers' queue (hide, restore, warn),
an author's edit and delete, and an admin's switch per cohort space.

Deleting a post hides its text for everyone for good and voids the statements about it
(replied, mentioned, helped, endorsed; for a thread's opening post also the thread's
``posted``), so the journey map and the LRS forget it as they forget an erased person's.
Hiding is a trainer's reversible act: learners see that a post was hidden, staff still read it.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.channels import in_app, path_for
from lxp.cohorts.models import Cohort
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social import access
from lxp.social.models import CourseSpaceSetting, SpacePost, SpaceReport, SpaceSetting, SpaceThread
from lxp.social.services import clean_text, opening_post_id, post_for

REASON_LIMIT = 500


# --- authors -----------------------------------------------------------------------------------


def _own(author: User, post_id: int) -> SpacePost:
    post = post_for(author, post_id)
    if post.author_id != author.id:
        raise NotAllowed(_l("You can change only your own posts."))
    if post.deleted_at is not None:
        raise NotFound(_l("No such post."))
    return post


def edit_post(author: User, post_id: int, body: str) -> SpacePost:
    """The author changes their post's text (events stay: it was posted). Raises ``NotFound``,
    ``NotAllowed`` (someone else's) and ``Invalid`` (empty, overlong, the space switched off)."""
    post = _own(author, post_id)
    if not access.thread_enabled(post.thread):
        raise Invalid(_l("This space is switched off."))
    _title, post.body = clean_text(None, body, needs_title=False)
    post.edited_at = utcnow()
    db.session.flush()
    return post


def _void_about(actor_id: int, object_type: str, object_id: int) -> int:
    stored = db.session.scalars(
        select(LearningEvent.id).where(LearningEvent.object_type == object_type,
                                       LearningEvent.object_id == str(object_id), LearningEvent.verb != "voided")
    ).all()  # fmt: skip
    voided = set(db.session.scalars(
        select(LearningEvent.object_id).where(LearningEvent.verb == "voided", LearningEvent.object_type == "event",
                                              LearningEvent.object_id.in_([str(i) for i in stored]))
    )) if stored else set()  # fmt: skip
    count = 0
    for event_id in stored:
        if str(event_id) not in voided:
            events.void(actor_id=actor_id, event_id=event_id, reason="deleted by its author")
            count += 1
    return count


def delete_post(author: User, post_id: int) -> SpaceThread:
    """The author deletes their post: its text is gone for everyone and its statements are
    voided; deleting a thread's opening post deletes the thread. Returns the thread. Raises
    ``NotFound`` and ``NotAllowed`` (someone else's)."""
    post = _own(author, post_id)
    thread = post.thread
    now = utcnow()
    post.deleted_at, post.body = now, ""
    _void_about(author.id, "space_post", post.id)
    if post.id == opening_post_id(thread.id):
        thread.deleted_at = now
        _void_about(author.id, "space_thread", thread.id)
    db.session.flush()
    return thread


# --- reports and the queue ---------------------------------------------------------------------


def report_post(reporter: User, post_id: int, reason: str = "") -> SpaceReport:
    """Tell the trainers about a post; reporting it again while the report is open changes
    nothing. Raises ``NotFound``, ``Invalid`` (own post, deleted, overlong reason)."""
    post = post_for(reporter, post_id)
    reason = (reason or "").strip()
    if post.author_id == reporter.id or post.deleted_at is not None:
        raise Invalid(_l("You can report someone else's post only."))
    if len(reason) > REASON_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=REASON_LIMIT), field="reason")
    open_one = db.session.execute(
        select(SpaceReport).where(SpaceReport.post_id == post.id, SpaceReport.reporter_id == reporter.id,
                                  SpaceReport.resolved_at.is_(None))
    ).scalar_one_or_none()  # fmt: skip
    if open_one is not None:
        return open_one
    report = SpaceReport(organisation_id=post.thread.organisation_id, thread_id=post.thread_id, post_id=post.id,
                         reporter_id=reporter.id, reason=reason)  # fmt: skip
    db.session.add(report)
    db.session.flush()
    return report


def _require_staff(user: User) -> None:
    if not access.is_staff(user):
        raise NotAllowed(_l("Only trainers and admins moderate the spaces."))


def queue(moderator: User) -> list[SpaceReport]:
    """Open reports of the organisation, oldest first. Raises ``NotAllowed``."""
    _require_staff(moderator)
    return list(db.session.execute(
        select(SpaceReport).where(SpaceReport.organisation_id == moderator.organisation_id,
                                  SpaceReport.resolved_at.is_(None))
        .order_by(SpaceReport.created_at, SpaceReport.id)
    ).scalars())  # fmt: skip


def _resolve(moderator: User, post: SpacePost, outcome: str) -> None:
    for report in db.session.scalars(
        select(SpaceReport).where(SpaceReport.post_id == post.id, SpaceReport.resolved_at.is_(None))
    ):
        report.resolved_at, report.resolved_by_id, report.outcome = utcnow(), moderator.id, outcome


def _moderated(moderator: User, post_id: int) -> SpacePost:
    _require_staff(moderator)
    post = post_for(moderator, post_id)
    if post.deleted_at is not None:
        raise Invalid(_l("The author deleted this post."))
    return post


def hide_post(moderator: User, post_id: int) -> SpacePost:
    """Hide a post from learners (and its thread, for an opening post); its reports are
    resolved. Raises ``NotFound``, ``NotAllowed`` and ``Invalid`` (deleted)."""
    post = _moderated(moderator, post_id)
    now = utcnow()
    post.hidden_at = post.hidden_at or now
    if post.id == opening_post_id(post.thread_id):
        post.thread.hidden_at = post.thread.hidden_at or now
    _resolve(moderator, post, "hidden")
    db.session.flush()
    return post


def restore_post(moderator: User, post_id: int) -> SpacePost:
    """Show a hidden post again, or keep a reported one as it is; its reports are resolved."""
    post = _moderated(moderator, post_id)
    post.hidden_at = None
    if post.id == opening_post_id(post.thread_id):
        post.thread.hidden_at = None
    _resolve(moderator, post, "restored")
    db.session.flush()
    return post


def warn_author(moderator: User, post_id: int) -> SpacePost:
    """Send the author a calm word in their inbox about the post (once per post); its reports
    are resolved. Raises as ``hide_post``."""
    post = _moderated(moderator, post_id)
    author = post.author
    with force_locale(author.locale or current_app.config["DEFAULT_LOCALE"]):
        in_app.post(in_app.InAppNote(
            user_id=author.id, category="reply", key=f"space-warning:{post.id}",
            subject=_("A word about your post in \u201c%(thread)s\u201d", thread=post.thread.title),
            body=_("A trainer looked at your post after someone reported it. Please keep the space kind and "
                   "on topic, so everyone can ask freely."),
            link=path_for("social.open_post", post_id=post.id),
            why=_("Someone in your cohort reported the post, and a trainer agreed it needs a word."),
        ))  # fmt: skip
    _resolve(moderator, post, "warned")
    db.session.flush()
    return post


# --- the admin's switch ------------------------------------------------------------------------


def switch_space(admin: User, cohort_id: int, enabled: bool) -> Cohort:
    """Switch a cohort's space on or off (off: learners no longer see it, nobody writes in it;
    nothing is deleted). Raises ``NotAllowed`` (not an admin) and ``NotFound``."""
    return _switch(admin, enabled, lambda: get_in_organisation(Cohort, cohort_id, admin.organisation_id,
                                                               _l("No such space.")))  # fmt: skip


def switch_course_space(admin: User, course_id: int, enabled: bool) -> access.CourseSpace:
    """Switch a course's space on or off, as ``switch_space`` does for a cohort's. Raises
    ``NotAllowed`` (not an admin) and ``NotFound``."""
    return _switch(admin, enabled, lambda: access.course_space_for(admin, course_id))


def _switch(admin: User, enabled: bool, find):
    """Store the admin's choice for the space ``find()`` returns (after the role check, so a
    learner learns nothing about the id); no row yet means the space was on."""
    if not admin.has_role("admin"):
        raise NotAllowed(_l("Only admins switch spaces on and off."))
    space = find()
    model, key = (CourseSpaceSetting, "course_id") if access.is_course_space(space) else (SpaceSetting, "cohort_id")
    setting = db.session.get(model, space.id)
    if setting is None:
        setting = model(**{key: space.id})
        db.session.add(setting)
    setting.enabled, setting.changed_by_id, setting.changed_at = enabled, admin.id, utcnow()
    db.session.flush()
    return space
