"""The course editor, course level: list, create, concept, review, history, import and export.

Structure (outcomes, modules, items, preview) is in ``structure_views``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.authoring import publishing, services, transfer
from lxp.authoring.forms import ConceptForm, ImportForm, NewCourseForm, SendBackForm
from lxp.authoring.kinds import KINDS
from lxp.authoring.models import STATUSES, Course, CourseVersion
from lxp.core import unit_of_work
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error

bp = Blueprint("authoring", __name__, url_prefix="/admin/courses")
restrict_blueprint(bp, "admin")


def course_or_404(course_id: int) -> Course:
    try:
        return services.get_course(current_user, course_id)
    except ServiceError:
        abort(404)


def editable_draft_or_redirect(course: Course) -> CourseVersion | None:
    """The newest version when it is a draft; None (after a flash) when it is not."""
    version = services.latest_version(course)
    if version.editable:
        return version
    flash(_("This version is not a draft. Start a new draft to make changes."), "error")
    return None


@bp.get("")
def list_courses():
    """Courses of the organisation, searchable, with their newest version's status."""
    query = request.args.get("q", "")
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    rows = services.list_courses(current_user, query, status)
    return render_template("authoring/course/list.html", rows=rows, query=query, status=status, statuses=STATUSES)


@bp.route("/new", methods=["GET", "POST"])
def new_course():
    """Start a course with its title; the concept comes next."""
    form = NewCourseForm()
    if request.method == "GET":
        form.language.data = current_user.locale or "en"
    if form.validate_on_submit():
        try:
            course = services.create_course(current_user, form.title.data, form.language.data, form.slug.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Course started. Write its concept first."), "success")
            return redirect(url_for("authoring.edit_concept", course_id=course.id))
    return render_template("authoring/course/new.html", form=form), 400 if form.errors or form.form_errors else 200


@bp.get("/<int:course_id>")
def course(course_id: int):
    """One course: a version's concept, structure and coverage, and what can be done next."""
    course = course_or_404(course_id)
    number = request.args.get("version", type=int)
    version = next((v for v in course.versions if v.number == number), None) if number else None
    version = version or services.latest_version(course)
    return render_template(
        "authoring/course/show.html",
        course=course,
        version=version,
        latest=services.latest_version(course),
        published=services.current_published(course),
        report=publishing.coverage_report(version),
        can_approve=publishing.can_approve(current_user, version),
        kinds=KINDS,
        confirm=ConfirmForm(),
        send_back_form=SendBackForm(),
    )


@bp.route("/<int:course_id>/concept", methods=["GET", "POST"])
def edit_concept(course_id: int):
    """The one-screen concept: what, who, why, what people can do afterwards, how."""
    course = course_or_404(course_id)
    version = editable_draft_or_redirect(course)
    if version is None:
        return redirect(url_for("authoring.course", course_id=course.id))
    form = ConceptForm()
    if request.method == "GET":
        form.fill_from(version)
    if form.validate_on_submit():
        try:
            services.update_concept(current_user, version, **form.concept())
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Concept saved."), "success")
            return redirect(url_for("authoring.course", course_id=course.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("authoring/course/concept.html", form=form, course=course, version=version), status


@bp.post("/<int:course_id>/draft")
def start_draft(course_id: int):
    """Make a new draft from the newest version, so that it can be edited."""
    course = course_or_404(course_id)
    return _act(course, lambda: services.draft_for_editing(current_user, course), _("A new draft is ready to edit."))


@bp.post("/<int:course_id>/submit")
def submit_for_review(course_id: int):
    """Send the draft to another admin for review."""
    course = course_or_404(course_id)
    version = services.latest_version(course)
    return _act(course, lambda: publishing.submit_for_review(current_user, version), _("Sent for review."))


@bp.post("/<int:course_id>/approve")
def approve(course_id: int):
    """Publish the version in review."""
    course = course_or_404(course_id)
    version = services.latest_version(course)
    return _act(course, lambda: publishing.approve(current_user, version),
                _("Published. New enrolments get this version; learners already enrolled keep theirs."))  # fmt: skip


@bp.post("/<int:course_id>/send-back")
def send_back(course_id: int):
    """Return the version in review to its author with a comment."""
    course = course_or_404(course_id)
    version = services.latest_version(course)
    form = SendBackForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(course, lambda: publishing.send_back(current_user, version, form.comment.data),
                _("Sent back to draft with your comment."))  # fmt: skip


@bp.post("/<int:course_id>/archive")
def archive(course_id: int):
    """Withdraw the published version from new enrolments."""
    course = course_or_404(course_id)
    return _act(course, lambda: publishing.archive(current_user, course), _("Archived. Enrolled learners keep access."))


def _act(course: Course, action, success_message: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action()
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(success_message, "success")
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.get("/<int:course_id>/coverage")
def coverage(course_id: int):
    """The full coverage report of the newest version."""
    course = course_or_404(course_id)
    version = services.latest_version(course)
    return render_template("authoring/course/coverage.html", course=course, version=version,
                           report=publishing.coverage_report(version))  # fmt: skip


@bp.get("/<int:course_id>/history")
def history(course_id: int):
    """Who changed what, and when."""
    course = course_or_404(course_id)
    return render_template("authoring/course/history.html", course=course, version=services.latest_version(course),
                           changes=publishing.history(course))  # fmt: skip


@bp.get("/<int:course_id>/export")
def export_course(course_id: int):
    """Download the newest version (or ``?version=N``) as a course document."""
    course = course_or_404(course_id)
    number = request.args.get("version", type=int)
    version = next((v for v in course.versions if v.number == number), None) if number else None
    if number and version is None:
        abort(404)
    document = transfer.export_document(course, version)
    filename = f"{course.slug}-v{(version or services.latest_version(course)).number}.json"
    return Response(document, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})  # fmt: skip


@bp.route("/import", methods=["GET", "POST"])
def import_course():
    """Upload a course document; it becomes a draft. Every error is listed, nothing is written."""
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        try:
            version = transfer.import_document(current_user, form.file.data.read())
        except transfer.DocumentRejected as rejected:
            errors = rejected.errors
        except ServiceError as error:
            unit_of_work.refused()
            form.form_errors.append(error.message)
        else:
            flash(_("Imported as draft version %(number)d.", number=version.number), "success")
            return redirect(url_for("authoring.course", course_id=version.course_id))
    status = 400 if errors or form.errors or form.form_errors else 200
    return render_template("authoring/course/import.html", form=form, errors=errors), status
