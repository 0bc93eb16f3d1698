"""The L&D admin's people pages: list, invite, CSV import, roles, deactivation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lxp.accounts import services
from lxp.accounts.csv_import import TEMPLATE, CsvRejected, read_invitees
from lxp.accounts.forms import CsvImportForm, InviteForm, RolesForm
from lxp.coaching import services as coaching
from lxp.core import unit_of_work
from lxp.core.auth import ROLES, restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


restrict_blueprint(bp, "admin")


@bp.get("")
def list_users():
    """People in the organisation, searchable by name or e-mail and filterable by role."""
    query = request.args.get("q", "")
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = request.args.get("page", 1, type=int)
    pagination = services.search_users(current_user, query, role, page=max(page, 1))
    return render_template("admin/users.html", pagination=pagination, query=query, role=role, roles=ROLES)


@bp.route("/invite", methods=["GET", "POST"])
def invite_user():
    """Invite one person by e-mail."""
    form = InviteForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone
    if form.validate_on_submit():
        try:
            invitee = services.check_invitee(
                form.email.data, form.display_name.data, form.roles.data, form.locale.data, form.timezone.data
            )
            user = services.invite_user(current_user, invitee)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("admin_users.list_users"))
    return render_template("admin/invite.html", form=form), 400 if form.errors or form.form_errors else 200


@bp.route("/import", methods=["GET", "POST"])
def import_users():
    """Invite many people from a CSV file: all rows or none."""
    form = CsvImportForm()
    errors = []
    if form.validate_on_submit():
        try:
            invitees = read_invitees(form.file.data.read())
        except CsvRejected as rejected:
            errors = rejected.errors
        else:
            users = services.invite_users(current_user, invitees)
            flash(ngettext("%(num)d invitation sent.", "%(num)d invitations sent.", len(users)), "success")
            return redirect(url_for("admin_users.list_users"))
    status = 400 if errors or form.errors else 200
    return render_template("admin/import.html", form=form, errors=errors), status


@bp.get("/import/template.csv")
def import_template():
    """A CSV with the expected columns and one example row."""
    return Response(
        TEMPLATE, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=lxp-people.csv"}
    )


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """One person: roles, status, invitation."""
    user = _user_or_404(user_id)
    form = RolesForm(data={"roles": sorted(user.roles)} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.set_roles(current_user, user, form.roles.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Roles saved for %(name)s.", name=user.display_name), "success")
            return redirect(url_for("admin_users.edit_user", user_id=user.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/user.html", user=user, form=form, confirm=ConfirmForm(),
                           coach=coaching.coach_of(user.id), trainers=services.active_with_role(user.organisation_id, "trainer")), status  # fmt: skip


@bp.post("/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    """Deactivate: the person is signed out everywhere at once."""
    return _confirmed_action(
        user_id,
        lambda user: services.set_active(current_user, user, False),
        _("%(name)s is deactivated and signed out everywhere."),
    )


@bp.post("/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    """Let a deactivated person sign in again."""
    return _confirmed_action(
        user_id, lambda user: services.set_active(current_user, user, True), _("%(name)s can sign in again.")
    )


@bp.post("/<int:user_id>/resend-invitation")
def resend_invitation(user_id: int):
    """Send a new invitation link to someone who has not set a password yet."""
    return _confirmed_action(
        user_id,
        lambda user: services.resend_invitation(current_user, user),
        _("A new invitation is on its way to %(name)s."),
    )


def _user_or_404(user_id: int):
    try:
        return services.user_in_organisation(current_user, user_id)
    except ServiceError:
        abort(404)


def _confirmed_action(user_id: int, action, success_message: str):
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
    else:
        try:
            action(user)
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
        else:
            flash(success_message % {"name": user.display_name}, "success")
    return redirect(url_for("admin_users.edit_user", user_id=user.id))
