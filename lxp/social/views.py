"""Space pages (a cohort's, a course's): the spaces a person may open, a space's threads, a thread's posts."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from lxp.coaching.services import NOTE_LIMIT
from lxp.core import unit_of_work
from lxp.core.auth import roles_required
from lxp.core.errors import NotFound, ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.core.time import utcnow
from lxp.social import access, moderation, peer_help, sharing
from lxp.social import services as social
from lxp.social.forms import (
    EditForm,
    FeedbackAskForm,
    FeedbackForm,
    ReplyForm,
    ReportForm,
    SharedStuckForm,
    ThreadForm,
)

bp = Blueprint("social", __name__)


def _thread_form(space) -> ThreadForm:
    form = ThreadForm()
    form.station.choices = [SelectChoice("", _("No particular step"))] + [
        SelectChoice(s.ref, s.title) for s in social.stations_of(space.organisation_id, space)
    ]
    return form


@bp.app_template_global()
def space_url(space, action: str = "space") -> str:
    """The address of a space's page (``space``), its new thread (``start``) or its switch
    (``switch``), for a cohort's space or a course's."""
    if access.is_course_space(space):
        return url_for(f"social.{COURSE_ENDPOINTS[action]}", course_id=space.id)
    return url_for(f"social.{COHORT_ENDPOINTS[action]}", cohort_id=space.id)


COHORT_ENDPOINTS = {"space": "space", "start": "start_thread", "switch": "switch_space"}
COURSE_ENDPOINTS = {"space": "course_space", "start": "start_course_thread", "switch": "switch_course_space"}


@bp.app_template_global()
def space_of(thread):
    """The space (a cohort's or a course's) a thread is in, for its name and address."""
    return access.of_thread(thread)


@bp.get("/spaces")
def spaces():
    """The spaces the person may open: their cohorts' and their courses' (every one for staff)."""
    cohorts, courses = access.spaces_for(current_user), access.course_spaces_for(current_user)
    return render_template("social/spaces.html", cohorts=cohorts, courses=courses,
                           enabled={c.id: access.space_enabled(c.id) for c in cohorts},
                           course_enabled={c.id: access.course_space_enabled(c.id) for c in courses})  # fmt: skip


def _space_page(space, form: ThreadForm, status: int = 200):
    page = max(request.args.get("page", 1, type=int), 1)
    rows = social.threads_of(current_user, space, page=page)
    return render_template("social/space.html", space=space, rows=rows[: social.THREADS_PER_PAGE], page=page,
                           more=len(rows) > social.THREADS_PER_PAGE, form=form, staff=access.is_staff(current_user), on_course=access.is_course_space(space),
                           enabled=access.enabled(space), now_utc=utcnow(), confirm=ConfirmForm()), status  # fmt: skip


@bp.get("/spaces/<int:cohort_id>")
def space(cohort_id: int):
    """A cohort's space: the weekly question, the threads, and a form to start one."""
    try:
        cohort = access.space_for(current_user, cohort_id)
    except NotFound:
        abort(404)
    return _space_page(cohort, _thread_form(cohort))


@bp.post("/spaces/<int:cohort_id>/threads")
def start_thread(cohort_id: int):
    """Start a thread (or, for staff, the weekly question) in the space."""
    try:
        cohort = access.space_for(current_user, cohort_id)
    except NotFound:
        abort(404)
    return _start_thread(cohort)


def _start_thread(space):
    form = _thread_form(space)
    if form.validate_on_submit():
        try:
            thread = social.start_thread(current_user, space, form.title.data, form.body.data,
                                         weekly=form.weekly.data, station=form.station.data or None)  # fmt: skip
        except ServiceError as error:
            show_form_error(form, error)
        else:
            return redirect(url_for("social.thread", thread_id=thread.id))
    return _space_page(space, form, 400)


@bp.get("/spaces/courses/<int:course_id>")
def course_space(course_id: int):
    """A course's space, for everyone on the course: its threads, and a form to start one."""
    try:
        space = access.course_space_for(current_user, course_id)
    except NotFound:
        abort(404)
    return _space_page(space, _thread_form(space))


@bp.post("/spaces/courses/<int:course_id>/threads")
def start_course_thread(course_id: int):
    """Start a thread in the course's space."""
    try:
        space = access.course_space_for(current_user, course_id)
    except NotFound:
        abort(404)
    return _start_thread(space)


@bp.post("/spaces/courses/<int:course_id>/switch")
@roles_required("admin")
def switch_course_space(course_id: int):
    """An admin switches the course's space on or off."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "on"
    try:
        moderation.switch_course_space(current_user, course_id, enabled)
    except ServiceError:
        abort(404)
    flash(_("The space is on.") if enabled else _("The space is off: learners no longer see it."), "success")
    return redirect(url_for("social.course_space", course_id=course_id))


def _ask_form(thread, form: FeedbackAskForm | None = None) -> FeedbackAskForm | None:
    """The sharer's form to ask for feedback, on their own shared work only."""
    if thread.kind != "shared" or thread.author_id != current_user.id:
        return None
    form = form or FeedbackAskForm(formdata=None)
    form.people.choices = [
        SelectChoice(str(i), name) for i, name in sharing.who_may_be_asked(current_user, thread).items()
    ]
    return form


def _thread_page(thread, form: ReplyForm, status: int = 200, feedback: FeedbackForm | None = None,
                 ask: FeedbackAskForm | None = None):  # fmt: skip
    quote = request.args.get("quote", type=int)
    if quote and not form.quote.data:
        form.quote.data = str(quote)
    quoted = social.quotable(thread, int(form.quote.data)) if (form.quote.data or "").isdigit() else None
    # A form sent back with errors shows the last page, where the reply would have gone.
    page = request.args.get("page", 1, type=int) if status == 200 else None
    return render_template("social/thread.html", thread=thread, posts=social.posts_page(thread, page), form=form,
                           quoted=quoted, confirm=ConfirmForm(),
                           report=ReportForm(), feedback=feedback or FeedbackForm(formdata=None),
                           ask=_ask_form(thread, ask), asks=sharing.feedback_asks(thread),
                           staff=access.is_staff(current_user),
                           enabled=access.thread_enabled(thread), now_utc=utcnow()), status  # fmt: skip


def _post_or_404(post_id: int):
    """The post as the person may open it; a 404 for anyone who may not."""
    try:
        return social.post_for(current_user, post_id)
    except NotFound:
        abort(404)


def _thread_or_404(thread_id: int):
    """The thread as the person may open it; a 404 for anyone who may not."""
    try:
        return social.thread_for(current_user, thread_id)
    except NotFound:
        abort(404)


@bp.get("/spaces/threads/<int:thread_id>")
def thread(thread_id: int):
    """A thread: its posts with who wrote them and when (in the viewer's zone), and a reply form."""
    found = _thread_or_404(thread_id)
    return _thread_page(found, ReplyForm())


def _post_address(post) -> str:
    """The post on its page of the thread."""
    page = social.page_of_post(post)
    return (
        url_for("social.thread", thread_id=post.thread_id, **({"page": page} if page > 1 else {})) + f"#post-{post.id}"
    )


@bp.get("/spaces/posts/<int:post_id>")
def open_post(post_id: int):
    """A post's lasting address (in notifications and mails): its page of the thread, at the post."""
    return redirect(_post_address(_post_or_404(post_id)))


@bp.post("/spaces/threads/<int:thread_id>/replies")
def reply(thread_id: int):
    """Reply in the thread, optionally quoting a post."""
    found = _thread_or_404(thread_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            quote = int(form.quote.data) if (form.quote.data or "").isdigit() else None
            post = social.reply(current_user, found, form.body.data, quote)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            return redirect(_post_address(post))
    return _thread_page(found, form, 400)


# --- help from peers ---------------------------------------------------------------------------


@bp.app_template_global()
def space_reports_waiting() -> int:
    """For the trainer's desk: how many reported posts wait in the queue."""
    return len(moderation.queue(current_user)) if access.is_staff(current_user) else 0


@bp.app_template_global()
def share_targets(ref: str) -> list[ShareTarget]:
    """For the "I'm stuck" and sharing panels: where the learner may share on this step, the
    default first; empty for anyone else."""
    if not current_user.has_role("learner"):
        return []
    return [ShareTarget(access.space_key(s), s.name, "course" if access.is_course_space(s) else "cohort")
            for s in access.share_targets(current_user, ref)]  # fmt: skip


class ShareTarget(NamedTuple):
    key: str  # access.space_key
    name: str
    kind: str  # cohort or course


@bp.app_template_global()
def others_asked_here(ref: str):
    """For a step's page: peers' replies on it that helped or a trainer endorsed."""
    return peer_help.others_asked_here(current_user, ref)


@bp.app_template_global()
def peer_answers(request_id: int):
    """For the coach's view of a help request: its shared thread, if it was shared."""
    return peer_help.peer_answers_for_coach(current_user, request_id)


@bp.post("/learn/<ref>/stuck/cohort")
@roles_required("learner")
def ask_with_cohort(ref: str):
    """ "I'm stuck", shared with peers: the coach gets the request as usual, and the space the
    learner chose (their cohort's, or the course's) gets a thread where peers can answer."""
    form = SharedStuckForm()
    if not form.validate_on_submit():
        flash(_("Your note is too long: use at most %(num)d characters.", num=NOTE_LIMIT), "error")
        return redirect(url_for("learning.block", ref=ref))
    try:
        _request, thread = peer_help.ask_coach_and_peers(current_user, ref, form.note.data, form.space.data)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        unit_of_work.flash_refusal(error)
        return redirect(url_for("learning.block", ref=ref))
    flash(_("Your coach has your request, and %(space)s can answer it too.", space=space_of(thread).name), "success")
    return redirect(url_for("social.thread", thread_id=thread.id))


def _post_action(post_id: int, action, done: str):
    """Run ``action`` on a post the viewer may see (else 404), then back to the post."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        post = social.post_for(current_user, post_id)
        action(current_user, post_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(done, "success")
    return redirect(_post_address(post))


@bp.post("/spaces/posts/<int:post_id>/helped")
def mark_helpful(post_id: int):
    """The asker says a peer's reply helped."""
    return _post_action(post_id, peer_help.mark_helpful, _("Thank you: others stuck here will find this answer."))


@bp.post("/spaces/posts/<int:post_id>/endorse")
def endorse(post_id: int):
    """A trainer endorses a peer's reply."""
    return _post_action(post_id, peer_help.endorse, _("Endorsed: learners on this step will see it."))


# --- moderation and authors' control -----------------------------------------------------------


@bp.post("/spaces/posts/<int:post_id>/report")
def report_post(post_id: int):
    """Report a post to the trainers."""
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    return _post_action(post_id, lambda user, pid: moderation.report_post(user, pid, form.reason.data),
                        _("Thank you. A trainer will look at it."))  # fmt: skip


@bp.get("/spaces/moderation")
@roles_required("trainer", "admin")
def moderation_queue():
    """The trainers' queue of reported posts: hide, restore (keep) or warn the author."""
    return render_template("social/moderation.html", reports=moderation.queue(current_user), confirm=ConfirmForm())


@bp.post("/spaces/posts/<int:post_id>/hide")
@roles_required("trainer", "admin")
def hide_post(post_id: int):
    return _post_action(post_id, moderation.hide_post, _("Hidden from learners."))


@bp.post("/spaces/posts/<int:post_id>/restore")
@roles_required("trainer", "admin")
def restore_post(post_id: int):
    return _post_action(post_id, moderation.restore_post, _("The post shows again."))


@bp.post("/spaces/posts/<int:post_id>/warn")
@roles_required("trainer", "admin")
def warn_author(post_id: int):
    return _post_action(post_id, moderation.warn_author, _("The author has a word from you in their inbox."))


@bp.route("/spaces/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    """The author changes their post."""
    post = _post_or_404(post_id)
    if post.author_id != current_user.id or post.deleted_at is not None:
        abort(404)
    form = EditForm(data={"body": post.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            moderation.edit_post(current_user, post_id, form.body.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            return redirect(_post_address(post))
    status = 400 if request.method == "POST" else 200
    return render_template("social/edit.html", post=post, form=form, delete=ConfirmForm()), status


@bp.post("/spaces/posts/<int:post_id>/delete")
def delete_post(post_id: int):
    """The author deletes their post (and the thread, for its opening post)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        thread = moderation.delete_post(current_user, post_id)
    except ServiceError:
        abort(404)
    flash(_("Deleted."), "success")
    if thread.deleted_at is not None:
        return redirect(space_url(access.of_thread(thread)))
    return redirect(url_for("social.thread", thread_id=thread.id))


@bp.post("/spaces/<int:cohort_id>/switch")
@roles_required("admin")
def switch_space(cohort_id: int):
    """An admin switches the cohort's space on or off."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "on"
    try:
        moderation.switch_space(current_user, cohort_id, enabled)
    except ServiceError:
        abort(404)
    flash(_("The space is on.") if enabled else _("The space is off: learners no longer see it."), "success")
    return redirect(url_for("social.space", cohort_id=cohort_id))


# --- sharing by choice -------------------------------------------------------------------------


@bp.app_template_global()
def sharing_of(source: str, ref: str):
    """For a reflection's or a task's page: (may share, the thread while shared)."""
    if not current_user.has_role("learner"):
        return False, None
    return sharing.can_share(current_user, source, ref), sharing.shared_thread(current_user, source, ref)


@bp.app_template_global()
def feedback_givers(thread) -> int:
    """For the sharer's page of the item: how many colleagues answered their shared work."""
    return sharing.feedback_givers(thread)


@bp.post("/spaces/share/<any(reflection, evidence):source>/<ref>")
@roles_required("learner")
def share(source: str, ref: str):
    """Share one's reflection or task evidence on this step with the cohort, or stop sharing it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("stop") == "yes":
        sharing.unshare(current_user, source, ref)
        flash(_("No longer shared: it is private again."), "success")
        return redirect(url_for("learning.block", ref=ref))
    try:
        thread = sharing.share(current_user, source, ref, request.form.get("space") or None)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return redirect(url_for("learning.block", ref=ref))
    flash(_("Shared with %(space)s. You can stop sharing it at any time.", space=space_of(thread).name), "success")
    return redirect(url_for("social.thread", thread_id=thread.id))


@bp.post("/spaces/threads/<int:thread_id>/feedback")
def give_feedback(thread_id: int):
    """A peer's structured feedback on shared work (what worked, one suggestion)."""
    found = _thread_or_404(thread_id)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            post = sharing.give_feedback(current_user, thread_id, form.worked.data, form.suggestion.data)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            return redirect(_post_address(post))
    return _thread_page(found, ReplyForm(formdata=None), 400, feedback=form)


@bp.post("/spaces/threads/<int:thread_id>/feedback-requests")
@roles_required("learner")
def ask_for_feedback(thread_id: int):
    """The sharer asks the space (and colleagues by name) for feedback on their shared work."""
    found = _thread_or_404(thread_id)
    if found.kind != "shared" or found.author_id != current_user.id:
        abort(404)
    form = _ask_form(found, FeedbackAskForm())
    if form.validate_on_submit():
        try:
            post = sharing.ask_for_feedback(current_user, thread_id, form.question.data, form.people.data or [])
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Asked. The colleagues you named will hear of it, and you will when someone answers."), "success")
            return redirect(_post_address(post))
    return _thread_page(found, ReplyForm(formdata=None), 400, ask=form)
