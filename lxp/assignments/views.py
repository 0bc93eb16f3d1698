"""The admin's assignment pages: what is assigned to whom, new assignments, organisation units,
and the completion report with its CSV export."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.accounts.services import PeopleDirectory
from lxp.assignments import reports
from lxp.assignments import services as assignments
from lxp.assignments.forms import AssignmentForm, UnitForm
from lxp.cohorts import services as cohorts
from lxp.core.auth import ROLES, restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, finding_people, show_form_error
from lxp.core.i18n import ROLE_LABELS
from lxp.paths import services as paths

bp = Blueprint("assignments", __name__, url_prefix="/admin/assignments")
restrict_blueprint(bp, "admin")


def _form() -> AssignmentForm:
    form = AssignmentForm()
    goals = [g for g in paths.offered_goals(current_user)]
    form.goal.choices = [(g.id, g.title) for g in goals]
    form.package.choices = [("", _("The whole goal"))] + [
        (p.id, f"{g.title}: {p.title}") for g in goals for p in g.packages
    ]
    form.audience.choices = [("people", _("Named people")), ("cohort", _("A cohort")),
                             ("unit", _("An organisation unit (and the units inside it)")),
                             ("role", _("Everyone with a role"))]  # fmt: skip
    form.people.directory = PeopleDirectory(current_user.organisation_id, "learner")
    form.cohort.choices = [("", "—")] + [
        (c.id, c.name) for c, _count in cohorts.cohorts_of(current_user.organisation_id)
    ]
    form.unit.choices = [("", "—")] + [(u.id, u.name) for u in assignments.units_of(current_user.organisation_id)]
    form.role.choices = [(role, str(ROLE_LABELS[role])) for role in ROLES]
    return form


@bp.route("", methods=["GET", "POST"])
def list_assignments():
    """The assignments in force with how far their people are, and a form for a new one."""
    form = _form()
    if not finding_people() and form.validate_on_submit():
        data = assignments.AssignmentInput(
            goal_id=form.goal.data, package_id=form.package.data, reason=form.reason.data or "",
            audience=form.audience.data, people=tuple(form.people.data or ()), cohort_id=form.cohort.data,
            unit_id=form.unit.data, role=form.role.data, due_date=form.due_date.data,
            due_within_days=form.due_within_days.data, recertify_months=form.recertify_months.data,
            escalate=form.escalate.data,
        )  # fmt: skip
        try:
            assignment = assignments.create_assignment(current_user, data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Assigned \u201c%(title)s\u201d.", title=assignments.title_of(assignment)), "success")
            return redirect(url_for("assignments.list_assignments"))
    status = 400 if form.errors or form.form_errors else 200
    overview = reports.overview(current_user.organisation_id)
    return render_template("assignments/list.html", overview=overview, form=form, withdraw_form=ConfirmForm(),
                           has_goals=bool(form.goal.choices)), status  # fmt: skip


@bp.route("/<int:assignment_id>/withdraw", methods=["POST"])
def withdraw(assignment_id: int):
    """Stop asking for an assignment: it leaves the paths of those who have not done it."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        assignment = assignments.withdraw(current_user, assignment_id)
    except ServiceError:
        abort(404)
    flash(_("\u201c%(title)s\u201d is no longer asked for.", title=assignments.title_of(assignment)), "success")
    return redirect(url_for("assignments.list_assignments"))


@bp.route("/units", methods=["GET", "POST"])
def units():
    """The organisation's units, and a form for a new one."""
    form = UnitForm()
    existing = assignments.units_of(current_user.organisation_id)
    form.parent.choices = [("", _("Nothing: a top-level unit"))] + [(u.id, u.name) for u in existing]
    if form.validate_on_submit():
        try:
            unit = assignments.add_unit(current_user, form.name.data, form.parent.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("The unit \u201c%(name)s\u201d is there.", name=unit.name), "success")
            return redirect(url_for("assignments.units"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("assignments/units.html", units=existing, counts=reports.unit_sizes(current_user.organisation_id),
                           form=form), status  # fmt: skip


@bp.route("/report")
def report():
    """Completion by unit and due window; groups of fewer than five people are not shown."""
    return render_template("assignments/report.html", rows=reports.completion(current_user.organisation_id),
                           minimum=reports.MIN_GROUP, window_label=reports.window_label)  # fmt: skip


@bp.route("/report.csv")
def report_csv():
    """The completion report as CSV (the same rows the page shows)."""
    body = reports.completion_csv(current_user.organisation_id)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="assignment-completion.csv"'})  # fmt: skip
