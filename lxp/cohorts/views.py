"""The admin's cohort pages: list and create, then name and coach, members added and taken out."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lxp.accounts.services import PeopleDirectory, active_with_role
from lxp.cohorts import services as cohorts
from lxp.cohorts.forms import AddMembersForm, CohortForm, NewCohortForm, RemoveMembersForm
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import finding_people, show_form_error

bp = Blueprint("cohorts", __name__, url_prefix="/admin/cohorts")
restrict_blueprint(bp, "admin")


def _with_coaches(form: CohortForm) -> CohortForm:
    form.coach.choices = [("", _("No coach: each member's own"))] + [
        (t.id, t.display_name) for t in active_with_role(current_user.organisation_id, "trainer")
    ]
    return form


@bp.route("", methods=["GET", "POST"])
def list_cohorts():
    """The organisation's cohorts, and a form for a new one."""
    form = _with_coaches(NewCohortForm())
    form.members.directory = PeopleDirectory(current_user.organisation_id, "learner")
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


def _cohort_or_404(cohort_id: int):
    try:
        return cohorts.cohort_in(current_user, cohort_id)
    except ServiceError:
        abort(404)


def _adding(cohort, *, sent: bool) -> AddMembersForm:
    """The form for members to add (as ``sent``, or empty): its search never offers those
    already in the cohort."""
    form = AddMembersForm() if sent else AddMembersForm(formdata=None)
    form.members.directory = PeopleDirectory(current_user.organisation_id, "learner",
                                             leave_out=cohorts.members_query(cohort))  # fmt: skip
    return form


def _listed() -> dict:
    """Which page of the members, and which search, the admin is looking at."""
    return {"q": request.args.get("q", "")[:100], "page": max(request.args.get("page", 1, type=int), 1)}


def _cohort_page(cohort, details=None, adding=None, removing=None):
    listed = _listed()
    details = details or _with_coaches(CohortForm(formdata=None, name=cohort.name, coach=cohort.coach_id))
    forms = {"form": details, "adding": adding or _adding(cohort, sent=False),
             "removing": removing or RemoveMembersForm(formdata=None)}  # fmt: skip
    status = 400 if any(f.errors or f.form_errors for f in forms.values()) else 200
    return render_template("cohorts/edit.html", cohort=cohort, members=cohorts.members_of(cohort, listed["q"], listed["page"]),
                           query=listed["q"], **forms), status  # fmt: skip


def _back(cohort) -> str:
    """The cohort's page, at the page of members and the search the form was sent from."""
    kept = {key: value for key, value in _listed().items() if value and value != 1}
    return url_for("cohorts.edit_cohort", cohort_id=cohort.id, **kept)


@bp.route("/<int:cohort_id>", methods=["GET", "POST"])
def edit_cohort(cohort_id: int):
    """One cohort: its name and coach, its members a page at a time (searchable, to take out),
    and people to add."""
    cohort = _cohort_or_404(cohort_id)
    if request.method == "GET":
        return _cohort_page(cohort)
    form = _with_coaches(CohortForm())
    if form.validate_on_submit():
        try:
            cohorts.update_cohort(current_user, cohort, form.name.data, form.coach.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(_back(cohort))
    return _cohort_page(cohort, details=form)


@bp.post("/<int:cohort_id>/members")
def add_members(cohort_id: int):
    """Add the people found or pasted; "Find" shows the matches and adds nobody."""
    cohort = _cohort_or_404(cohort_id)
    form = _adding(cohort, sent=True)
    if not finding_people() and form.validate_on_submit():
        try:
            added = cohorts.add_members(current_user, cohort, form.members.data or ())
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(ngettext("%(num)d person added.", "%(num)d people added.", added) if added
                  else _("Everyone chosen is in the cohort already."), "success")  # fmt: skip
            return redirect(_back(cohort))
    return _cohort_page(cohort, adding=form)


@bp.post("/<int:cohort_id>/members/removed")
def remove_members(cohort_id: int):
    """Take the ticked members out of the cohort."""
    cohort = _cohort_or_404(cohort_id)
    form = RemoveMembersForm()
    if form.validate_on_submit():
        left = cohorts.remove_members(current_user, cohort, form.remove.data or ())
        flash(ngettext("%(num)d person taken out of the cohort.", "%(num)d people taken out of the cohort.", left)
              if left else _("Tick the members to take out."), "success" if left else "error")  # fmt: skip
        return redirect(_back(cohort))
    return _cohort_page(cohort, removing=form)
