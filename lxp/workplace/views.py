"""On-the-job tasks: the learner's evidence on the block page, the coach's review page."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lxp.core import unit_of_work
from lxp.core.auth import roles_required
from lxp.core.error_pages import render_error
from lxp.core.errors import Invalid, ServiceError
from lxp.core.forms import ConfirmForm
from lxp.files import services as files
from lxp.paths import services as paths
from lxp.workplace import services as workplace
from lxp.workplace.forms import EvidenceForm, ratings_of, review_form

bp = Blueprint("workplace", __name__)


def _block_url(ref: str) -> str:
    return url_for("learning.block", ref=ref) + "#evidence"


@bp.app_template_global()
def workplace_task(block):
    """The task's evidence and history for the block page (``learning/block.html``). The
    player belongs to learning; a template global lets the task show there without learning
    knowing about evidence. Read-only."""
    view = workplace.task_view(current_user, block)
    form = EvidenceForm(formdata=None)
    form.event_id.data = str(uuid.uuid4())
    source = view.current or view.start_from
    if source is not None:
        form.account.data, form.links.data = source.account, "\n".join(source.links or [])
    return {"view": view, "form": form, "confirm": ConfirmForm(formdata=None),
            "names": paths.competency_names(current_user.organisation_id, str(get_locale()))}  # fmt: skip


def _uploads(form: EvidenceForm) -> list[files.Upload]:
    """The photos and files of the request, checked (size, type by content). Raises ``Invalid``."""
    chosen = [f for f in request.files.getlist(form.photos.name) + request.files.getlist(form.files.name) if f.filename]
    return [files.check_upload(workplace.EVIDENCE, f.filename, f.stream) for f in chosen]


@bp.post("/learn/<ref>/evidence")
@roles_required("learner")
def save_evidence(ref: str):
    """Keep the draft (text, photos, files, links), or send it to the coach."""
    try:
        block_page = workplace.task_block(current_user, ref)
    except ServiceError:
        abort(404)
    form = EvidenceForm()
    if form.validate_on_submit():
        submit = bool(form.send.data)
        try:
            workplace.save_evidence(current_user, ref, form.account.data, form.links.data, _uploads(form),
                                    submit=submit, event_id=form.event_id.data or None)  # fmt: skip
        except ServiceError as error:
            unit_of_work.refused()
            form.form_errors.append(error.message)
        else:
            if submit:
                flash(_("Sent. Your coach will look at it and tell you what they think."), "success")
            else:
                flash(_("Draft saved. Nothing is sent until you choose \u201cSend to my coach\u201d."), "success")
            return redirect(_block_url(ref))
    # Shown again with what was written; photos and files must be chosen again (none was kept).
    return render_template("workplace/evidence_refused.html", block=block_page, item=block_page.item, form=form), 400


@bp.post("/learn/<ref>/evidence/withdraw")
@roles_required("learner")
def withdraw(ref: str):
    """Take back a submission the coach has not reviewed yet, to change it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        workplace.withdraw(current_user, ref)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        unit_of_work.flash_refusal(error)
    else:
        flash(_("Withdrawn. It is your draft again: change it and send it when you are ready."), "success")
    return redirect(_block_url(ref))


@bp.post("/learn/<ref>/evidence/files/<int:file_id>/remove")
@roles_required("learner")
def remove_file(ref: str, file_id: int):
    """Take a photo or file out of the draft."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        workplace.remove_file(current_user, ref, file_id)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        unit_of_work.flash_refusal(error)
    else:
        flash(_("Removed from your draft."), "success")
    return redirect(_block_url(ref))


def _review_page(submission, form, status=200):
    tries, attached = workplace.history_of(submission)
    return render_template("workplace/review.html", submission=submission, tries=tries, files=attached, form=form,
                           names=paths.competency_names(current_user.organisation_id, str(get_locale()))), status  # fmt: skip


def _submission_or_refusal(submission_id: int):
    try:
        return workplace.submission_for_reviewer(current_user, submission_id), None
    except ServiceError as error:
        if error.status == 403:
            return None, render_error(403, error.message)
        if isinstance(error, Invalid):
            abort(400)
        return None, render_error(404, error.message)


@bp.get("/desk/evidence/<int:submission_id>")
@roles_required("trainer")
def review_page(submission_id: int):
    """A learner's evidence with every earlier try, and the rubric to review it against."""
    submission, refusal = _submission_or_refusal(submission_id)
    if refusal is not None:
        return refusal
    form = review_form(submission.rubric, formdata=None)
    form.event_id.data = str(uuid.uuid4())
    return _review_page(submission, form)


@bp.post("/desk/evidence/<int:submission_id>/review")
@roles_required("trainer")
def review(submission_id: int):
    """Accept the evidence, or ask for another try with comments; the learner is told."""
    submission, refusal = _submission_or_refusal(submission_id)
    if refusal is not None:
        return refusal
    form = review_form(submission.rubric)
    if form.validate_on_submit():
        try:
            verdict = workplace.review(current_user, submission.id, form.outcome.data,
                                       ratings_of(form, submission.rubric), form.comment.data,
                                       form.event_id.data or None)  # fmt: skip
        except ServiceError as error:
            if error.status == 403:
                return render_error(403, error.message)
            unit_of_work.refused()
            form.form_errors.append(error.message)
        else:
            if verdict.outcome == "accepted":
                flash(_("Accepted. %(learner)s is told.", learner=submission.learner.display_name), "success")
            else:
                flash(_("%(learner)s is asked for another try, with your comments.",
                        learner=submission.learner.display_name), "success")  # fmt: skip
            return redirect(url_for("workplace.review_page", submission_id=submission.id))
    return _review_page(submission, form, 400)
