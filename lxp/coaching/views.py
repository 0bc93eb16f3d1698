"""Coaching pages: "I'm stuck" help requests (ask, answer, hand over, say whether it helped),
the admin's choice of coach, conversations between a learner and their coach, and the
coach's structured feedback."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp.accounts import services as accounts
from lxp.channels import in_app
from lxp.coaching import feedback, threads
from lxp.coaching import services as coaching
from lxp.coaching.forms import (
    AnswerForm,
    CoachForm,
    FeedbackForm,
    HandOverForm,
    HelpedForm,
    MessageForm,
    ReactionForm,
    StuckForm,
)
from lxp.core import unit_of_work
from lxp.core.auth import roles_required
from lxp.core.errors import Invalid, NotFound, ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.files import services as files

bp = Blueprint("coaching", __name__)


@bp.post("/learn/<ref>/stuck")
@roles_required("learner")
def ask_for_help(ref: str):
    """ "I'm stuck" on a step: a help request for the coach, then back to the step."""
    form = StuckForm()
    if not form.validate_on_submit():
        flash(_("Your note is too long: use at most %(num)d characters.", num=coaching.NOTE_LIMIT), "error")
        return redirect(url_for("learning.block", ref=ref))
    try:
        request, new = coaching.ask_for_help(current_user, ref, form.note.data)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        unit_of_work.flash_refusal(error)
        return redirect(url_for("learning.block", ref=ref))
    if new and request.assignee is not None:
        flash(_("%(coach)s has your request and will answer soon.", coach=request.assignee.display_name), "success")
    elif new:
        flash(_("Your trainers have your request; one of them will answer soon."), "success")
    else:
        flash(_("Your request is waiting for an answer; what you added is on it."), "success")
    return redirect(url_for("learning.block", ref=ref))


@bp.get("/help")
@roles_required("learner")
def my_help_requests():
    """The learner's help requests with their status, answers, and "did it help?"."""
    unread_here = in_app.unread_leading_to(current_user.id, url_for("coaching.my_help_requests"))
    found = coaching.own_requests_page(current_user, request.args.get("page", 1, type=int))
    return render_template("coaching/my_requests.html", found=found, requests=found.items,
                           confirm=ConfirmForm(), helped=HelpedForm(), unread_here=unread_here)  # fmt: skip


def _own_request_address(help_request) -> str:
    """The request on its page of the learner's list."""
    page = coaching.page_of_own_request(help_request)
    return url_for("coaching.my_help_requests", **({"page": page} if page > 1 else {})) + f"#request-{help_request.id}"


@bp.post("/help/<int:request_id>/solved")
@roles_required("learner")
def mark_solved(request_id: int):
    """The learner says their problem is solved."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        help_request = coaching.own_request(current_user, request_id)
        coaching.resolve_by_learner(current_user, help_request)
    except ServiceError:
        abort(404)
    flash(_("Glad it is solved."), "success")
    return redirect(_own_request_address(help_request))


@bp.post("/help/<int:request_id>/helped")
@roles_required("learner")
def rate_help(request_id: int):
    """One tap: did the answer help, and how did it feel."""
    try:
        request = coaching.own_request(current_user, request_id)
    except ServiceError:
        abort(404)
    form = HelpedForm()
    if not form.validate_on_submit():
        flash(_("Choose whether it helped."), "error")
    else:
        try:
            coaching.rate_help(current_user, request, form.helped.data == "yes", form.mood.data)
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
        else:
            flash(_("Thank you for telling us."), "success")
    return redirect(_own_request_address(request))


@bp.route("/desk/help/<int:request_id>", methods=["GET"])
@roles_required("trainer")
def help_request_desk(request_id: int):
    """A help request with its context, for the trainer to answer or hand over."""
    try:
        request = coaching.request_for_trainer(current_user, request_id)
    except ServiceError:
        abort(404)
    return _request_page(request, AnswerForm(), _hand_over_form())


def _hand_over_form() -> HandOverForm:
    form = HandOverForm()
    form.trainer.choices = [
        (t.id, t.display_name)
        for t in accounts.active_with_role(current_user.organisation_id, "trainer")
        if t.id != current_user.id
    ]
    return form


def _request_page(request, answer_form, hand_over_form, status=200):
    return render_template("coaching/desk_request.html", help=request, form=answer_form,
                           hand_over=hand_over_form), status  # fmt: skip


@bp.post("/desk/help/<int:request_id>/answer")
@roles_required("trainer")
def answer_help_request(request_id: int):
    """Answer (and usually resolve) a help request; the learner is told."""
    try:
        request = coaching.request_for_trainer(current_user, request_id)
    except ServiceError:
        abort(404)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            coaching.answer_request(current_user, request, form.answer.data, resolve=form.resolve.data)
        except ServiceError as error:
            unit_of_work.refused()
            form.answer.errors.append(error.message)
        else:
            flash(_("%(learner)s has your answer.", learner=request.learner.display_name), "success")
            return redirect(url_for("learning.trainer_desk"))
    return _request_page(request, form, _hand_over_form(), 400)


@bp.post("/desk/help/<int:request_id>/hand-over")
@roles_required("trainer")
def hand_over_help_request(request_id: int):
    """Give a help request to another trainer, who is told."""
    try:
        request = coaching.request_for_trainer(current_user, request_id)
    except ServiceError:
        abort(404)
    form = _hand_over_form()
    if form.validate_on_submit():
        try:
            trainer = coaching.hand_over(current_user, request, form.trainer.data, form.note.data)
        except ServiceError as error:
            unit_of_work.refused()
            form.trainer.errors.append(error.message)
        else:
            flash(_("%(trainer)s has the request now.", trainer=trainer.display_name), "success")
            return redirect(url_for("learning.trainer_desk"))
    return _request_page(request, AnswerForm(formdata=None), form, 400)


@bp.post("/admin/users/<int:user_id>/coach")
@roles_required("admin")
def choose_coach(user_id: int):
    """The admin chooses (or clears) a learner's coach."""
    try:
        learner = accounts.user_in_organisation(current_user, user_id)
    except ServiceError:
        abort(404)
    form = CoachForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        coaching.assign_coach(current_user, learner, form.coach.data)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(_("The coach is saved."), "success")
    return redirect(url_for("admin_users.edit_user", user_id=user_id))


# --- conversations -----------------------------------------------------------------------


@bp.get("/coaching")
@roles_required("learner")
def conversations():
    """The learner's conversations with their coach."""
    return render_template("coaching/conversations.html", rows=threads.threads_of_learner(current_user),
                           coach=coaching.coach_of(current_user.id), form=ConfirmForm())  # fmt: skip


@bp.post("/coaching/start")
@roles_required("learner")
def start_conversation():
    """Open (or find) the conversation about the path, or about one step (``item``)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        thread = threads.open_thread(current_user, request.form.get("item") or None)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        unit_of_work.flash_refusal(error)
        return redirect(url_for("coaching.conversations"))
    return redirect(url_for("coaching.thread", thread_id=thread.id) + "#write")


def _thread_page(thread, form=None, status=200):
    # Showing the thread changes nothing; "Mark as read" (a POST, sent on load by a script) does.
    unread = threads.is_unread(current_user, thread) or bool(
        in_app.unread_leading_to(current_user.id, url_for("coaching.thread", thread_id=thread.id)))  # fmt: skip
    learner_view = thread.learner_id == current_user.id
    return render_template("coaching/thread.html", thread=thread, form=form or MessageForm(formdata=None), unread=unread,
                           reaction=ReactionForm(formdata=None), learner_view=learner_view,
                           attachments=threads.attachments_of(thread),
                           coach=coaching.coach_of(thread.learner_id),
                           checkpoint_open=not learner_view and threads.is_open_checkpoint(thread)), status  # fmt: skip


@bp.get("/coaching/<int:thread_id>")
@roles_required("learner")
def thread(thread_id: int):
    """A conversation, as its learner sees it."""
    try:
        found = threads.thread_for(current_user, thread_id)
    except ServiceError:
        abort(404)
    if found.learner_id != current_user.id:
        abort(404)
    return _thread_page(found)


@bp.get("/desk/coaching/<int:thread_id>")
@roles_required("trainer")
def desk_thread(thread_id: int):
    """A conversation of a learner the trainer coaches."""
    try:
        found = threads.thread_for(current_user, thread_id)
    except ServiceError:
        abort(404)
    if found.learner_id == current_user.id:
        return redirect(url_for("coaching.thread", thread_id=thread_id))
    return _thread_page(found)


@bp.post("/coaching/<int:thread_id>/read")
@roles_required("learner", "trainer")
def mark_thread_read(thread_id: int):
    """Mark a conversation read up to now, with the inbox messages that lead to it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        found = threads.thread_for(current_user, thread_id)
    except ServiceError:
        abort(404)
    threads.mark_read(current_user, found)
    in_app.mark_read_at(current_user.id, url_for("coaching.thread", thread_id=found.id))
    endpoint = "coaching.thread" if found.learner_id == current_user.id else "coaching.desk_thread"
    if request.headers.get("X-Requested-With") == "fetch":  # the page's script, on load
        return "", 204
    return redirect(url_for(endpoint, thread_id=found.id))


@bp.post("/coaching/<int:thread_id>/messages")
@roles_required("learner", "trainer")
def write_message(thread_id: int):
    """Write in a conversation (the learner or their coach)."""
    try:
        found = threads.thread_for(current_user, thread_id)
    except ServiceError:
        abort(404)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            uploads = [files.check_upload(threads.ATTACHMENTS, f.filename, f.stream) for f in form.files.data or ()
                       if f and f.filename]  # fmt: skip
            threads.post_message(current_user, found, form.body.data, uploads)
        except ServiceError as error:
            unit_of_work.refused()
            (form.files if error.field == "files" else form.body).errors.append(error.message)
        else:
            endpoint = "coaching.thread" if found.learner_id == current_user.id else "coaching.desk_thread"
            return redirect(url_for(endpoint, thread_id=thread_id) + "#latest")
    return _thread_page(found, form, 400)


@bp.post("/desk/coaching/<int:thread_id>/held")
@roles_required("trainer")
def checkpoint_held(thread_id: int):
    """The coach marks a coaching checkpoint's conversation as held: the step is done."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        threads.hold_checkpoint(current_user, threads.thread_for(current_user, thread_id))
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(_("Marked as held: the step is done on their path."), "success")
    return redirect(url_for("coaching.desk_thread", thread_id=thread_id))


@bp.post("/coaching/messages/<int:message_id>/reaction")
@roles_required("learner")
def react_to_message(message_id: int):
    """One tap on a coach's message: did it help, how did it feel."""
    form = ReactionForm()
    try:
        if not form.validate_on_submit():
            raise Invalid(_l("Choose whether it helped."))
        message = threads.react(current_user, message_id, form.helped.data == "yes", form.mood.data)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return redirect(url_for("coaching.conversations"))
    flash(_("Thank you for telling us."), "success")
    return redirect(url_for("coaching.thread", thread_id=message.thread_id) + f"#message-{message.id}")


@bp.post("/desk/learners/<int:learner_id>/conversation")
@roles_required("trainer")
def start_conversation_with(learner_id: int):
    """The coach opens the conversation about a learner's path or one of their steps."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        learner = feedback.learner_coached_by(current_user, learner_id)
        found = threads.open_thread(learner, request.form.get("item") or None, opened_by=current_user)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return redirect(url_for("learning.trainer_desk"))
    return redirect(url_for("coaching.desk_thread", thread_id=found.id) + "#write")


@bp.route("/desk/learners/<int:learner_id>/feedback", methods=["GET", "POST"])
@roles_required("trainer")
def give_feedback(learner_id: int):
    """Structured feedback on one competency of a learner the trainer coaches."""
    try:
        learner = feedback.learner_coached_by(current_user, learner_id)
    except ServiceError:
        abort(404)
    form = FeedbackForm()
    competencies = feedback.competencies_for(learner)
    # The trainer reads the competencies in their own language where translated.
    names = {c.code: c.name_in(str(get_locale())) for c in competencies}
    form.competency.choices = list(names.items())
    if form.validate_on_submit():
        try:
            feedback.give_feedback(current_user, learner.id, form.competency.data, form.rating.data, form.comment.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("%(learner)s has your feedback.", learner=learner.display_name), "success")
            return redirect(url_for("learning.trainer_desk"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("coaching/feedback.html", learner=learner, form=form, given=feedback.feedback_for(learner.id),
                           names=names), status  # fmt: skip
