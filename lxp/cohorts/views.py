"""The admin's cohort pages: list and create, then name, coach and members."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.accounts.services import PeopleDirectory, active_with_role
from lxp.cohorts import services as cohorts
from lxp.cohorts.forms import CohortForm
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import finding_people, show_form_error

bp = Blueprint("cohorts", __name__, url_prefix="/admin/cohorts")
restrict_blueprint(bp, "admin")


def _form(cohort=None) -> CohortForm:
    form = CohortForm(obj=None)
    form.coach.choices = [("", _("No coach: each member's own"))] + [
        (t.id, t.display_name) for t in active_with_role(current_user.organisation_id, "trainer")
    ]
    form.members.directory = PeopleDirectory(current_user.organisation_id, "learner")
    if cohort is not None and not form.is_submitted():
        form.name.data, form.coach.data = cohort.name, cohort.coach_id
        form.members.data = [m.id for m in cohort.members]
    return form


@bp.route("", methods=["GET", "POST"])
def list_cohorts():
    """The organisation's cohorts, and a form for a new one."""
    form = _form()
    if not finding_people() and form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(current_user, form.name.data, form.coach.data, form.members.data or ())
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("The cohort \u201c%(name)s\u201d is created.", name=cohort.name), "success")
            return redirect(url_for("cohorts.edit_cohort", cohort_id=cohort.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("cohorts/list.html", cohorts=cohorts.cohorts_of(current_user.organisation_id),
                           form=form), status  # fmt: skip


@bp.route("/<int:cohort_id>", methods=["GET", "POST"])
def edit_cohort(cohort_id: int):
    """One cohort: its name, its coach and its members."""
    try:
        cohort = cohorts.cohort_in(current_user, cohort_id)
    except ServiceError:
        abort(404)
    form = _form(cohort)
    if not finding_people() and form.validate_on_submit():
        try:
            cohorts.update_cohort(current_user, cohort, form.name.data, form.coach.data, form.members.data or ())
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("cohorts.edit_cohort", cohort_id=cohort.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("cohorts/edit.html", cohort=cohort, form=form), status
