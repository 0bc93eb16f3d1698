"""My team (for managers) and the admin's reporting lines."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.accounts.services import PeopleDirectory
from lxp.assignments import services as assignments
from lxp.core.auth import restrict_blueprint, roles_required
from lxp.core.errors import Invalid, ServiceError
from lxp.core.forms import finding_people, show_form_error
from lxp.core.unit_of_work import flash_refusal
from lxp.managers import services as managers
from lxp.managers.forms import ConfirmPracticeForm, EncourageForm, LineForm, LinesUploadForm, TeamAssignmentForm
from lxp.paths import services as paths

bp = Blueprint("managers", __name__, url_prefix="/team")
admin_bp = Blueprint("reporting_lines", __name__, url_prefix="/admin/reporting-lines")
restrict_blueprint(admin_bp, "admin")


def _assign_form(members) -> TeamAssignmentForm:
    form = TeamAssignmentForm()
    goals = paths.offered_goals(current_user)
    form.goal.choices = [(g.id, g.title) for g in goals]
    form.package.choices = [("", _("The whole goal"))] + [(p.id, f"{g.title}: {p.title}") for g in goals
                                                           for p in g.packages]  # fmt: skip
    form.people.choices = [(m.person.id, m.person.display_name) for m in members]
    return form


def _team_page(members, assign_form: TeamAssignmentForm):
    return render_template("managers/team.html", members=members, encourage_form=EncourageForm(),
                           confirm_form=ConfirmPracticeForm(), assign_form=assign_form)  # fmt: skip


@bp.route("")
@roles_required("manager")
def my_team():
    """Each direct report's assigned work and open on-the-job tasks; nothing private."""
    members = managers.team_view(current_user)
    return _team_page(members, _assign_form(members))


@bp.route("/assign", methods=["POST"])
@roles_required("manager")
def assign():
    """Ask people of the manager's own team for a goal (or one of its packages) by a due date;
    refused for anyone else."""
    members = managers.team_view(current_user)
    form = _assign_form(members)
    status = 400
    if form.validate_on_submit():
        data = assignments.AssignmentInput(
            goal_id=form.goal.data, package_id=form.package.data, reason=form.reason.data or "", audience="people",
            people=tuple(form.people.data or ()), due_date=form.due_date.data, due_within_days=form.due_within_days.data,
        )  # fmt: skip
        try:
            assignment = assignments.create_team_assignment(current_user, data)
        except ServiceError as error:
            show_form_error(form, error)
            status = 403 if error.status == 403 else 400
        else:
            flash(_("Assigned \u201c%(title)s\u201d.", title=assignments.title_of(assignment)), "success")
            return redirect(url_for("managers.my_team"))
    return _team_page(members, form), status


@bp.route("/<int:user_id>/encourage", methods=["POST"])
@roles_required("manager")
def encourage(user_id: int):
    """Send a report a few encouraging words (at most one message a day)."""
    form = EncourageForm()
    if not form.validate_on_submit():
        flash_refusal(Invalid(_("Write a few words of at most 500 characters.")))
        return redirect(url_for("managers.my_team"))
    try:
        sent = managers.encourage(current_user, user_id, form.message.data)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        flash_refusal(error)
        return redirect(url_for("managers.my_team"))
    flash(_("Sent.") if sent else _("You encouraged them today already; they will hear from you again tomorrow."),
          "success" if sent else "info")  # fmt: skip
    return redirect(url_for("managers.my_team"))


@bp.route("/<int:user_id>/confirm", methods=["POST"])
@roles_required("manager")
def confirm_practice(user_id: int):
    """Confirm an on-the-job task the report was seen doing at work."""
    form = ConfirmPracticeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        managers.confirm_practice(current_user, user_id, form.ref.data, form.note.data or "")
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        flash_refusal(error)
        return redirect(url_for("managers.my_team"))
    flash(_("Confirmed: it counts as practice shown at work."), "success")
    return redirect(url_for("managers.my_team"))


def _line_form() -> LineForm:
    form = LineForm()
    form.person.directory = form.manager.directory = PeopleDirectory(current_user.organisation_id)
    return form


@admin_bp.route("", methods=["GET", "POST"])
def lines():
    """Who reports to whom (found by name or e-mail, a page at a time): set one at a time, or
    from a CSV of email, manager_email and unit."""
    form = _line_form()
    if not finding_people() and form.validate_on_submit():
        try:
            managers.set_line_by_admin(current_user, form.person.data, form.manager.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("reporting_lines.lines"))
    status = 400 if form.errors or form.form_errors else 200
    query = request.args.get("q", "")
    pagination = managers.lines_of(
        current_user.organisation_id, query, page=max(request.args.get("page", 1, type=int), 1)
    )
    return render_template("managers/lines.html", pagination=pagination, query=query, form=form,
                           upload_form=LinesUploadForm()), status  # fmt: skip


@admin_bp.route("/upload", methods=["POST"])
def upload():
    """Set reporting lines (and units) from a CSV file, all or nothing."""
    form = LinesUploadForm()
    if not form.validate_on_submit() or not form.file.data:
        flash_refusal(Invalid(_("Choose a CSV file.")))
        return redirect(url_for("reporting_lines.lines"))
    try:
        text = form.file.data.read(2_000_000).decode("utf-8")
    except UnicodeDecodeError:
        flash_refusal(Invalid(_("Save the file as UTF-8 CSV and upload it again.")))
        return redirect(url_for("reporting_lines.lines"))
    try:
        result = managers.upload_lines(current_user, text)
    except ServiceError as error:
        flash_refusal(error)
        return redirect(url_for("reporting_lines.lines"))
    flash(_("%(lines)d reporting lines and %(units)d units set.", lines=result.lines, units=result.units), "success")
    return redirect(url_for("reporting_lines.lines"))
