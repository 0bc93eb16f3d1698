"""Privacy pages: the admin's audit trail (with CSV), a person's data download, erasure and
the organisation's retention settings."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.accounts import services as accounts
from lxp.audit import services as audit
from lxp.core.auth import roles_required
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.core.time import utcnow
from lxp.extensions import limiter
from lxp.privacy import erasure, export, retention, trail
from lxp.privacy.forms import EraseForm, RetentionForm, TrailFilterForm

bp = Blueprint("privacy", __name__)


def _trail_form() -> tuple[TrailFilterForm, audit.TrailFilter | None]:
    form = TrailFilterForm(request.args, meta={"csrf": False})
    form.action.choices = [("", _("Any action"))] + [(key, str(label)) for key, label in audit.ACTIONS.items()]
    if not form.validate():
        return form, None
    try:
        return form, trail.build_filter(
            current_user, form.action.data, form.person.data, form.start.data, form.end.data
        )
    except ServiceError as error:
        show_form_error(form, error)
        return form, None


@bp.get("/admin/audit")
@roles_required("admin")
def audit_trail():
    """The organisation's audit trail, newest first, filtered by action, person and dates."""
    form, trail_filter = _trail_form()
    if trail_filter is None:
        return render_template("privacy/audit.html", form=form, pagination=None, names={}, labels=audit.ACTIONS), 400
    page = max(request.args.get("page", 1, type=int), 1)
    pagination = audit.trail_page(current_user.organisation_id, trail_filter, current_user.timezone, page=page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("privacy/audit.html", form=form, pagination=pagination, args=args,
                           names=trail.names_of(pagination.items), labels=audit.ACTIONS)  # fmt: skip


@bp.get("/admin/audit.csv")
@roles_required("admin")
def audit_csv():
    """The filtered trail as a CSV file."""
    form, trail_filter = _trail_form()
    if trail_filter is None:
        return render_template("privacy/audit.html", form=form, pagination=None, names={}, labels=audit.ACTIONS), 400
    body = "".join(trail.csv_lines(current_user, trail_filter))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="lxp-audit-trail.csv"'})  # fmt: skip


# --- a person's own data -------------------------------------------------------------------


@bp.get("/me/data")
def my_data():
    """What lxp keeps about the signed-in person, and the button to download it."""
    return render_template("privacy/my_data.html", form=ConfirmForm())


@bp.post("/me/data/download")
@limiter.limit("3 per hour", key_func=lambda: f"export:{current_user.get_id()}")
def download_my_data():
    """Everything lxp holds about the signed-in person, as a zip (audited)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return redirect(url_for("privacy.my_data"))
    body = export.build_zip(current_user)
    name = f"lxp-my-data-{utcnow():%Y%m%d}.zip"
    response = Response(body, mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


# --- erasure -------------------------------------------------------------------------------


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@roles_required("admin")
def erase_person(user_id: int):
    """Erase a person after the admin typed their e-mail."""
    try:
        user = accounts.user_in_organisation(current_user, user_id)
    except ServiceError:
        abort(404)
    if erasure.is_erased(user):
        flash(_("This person has already been erased."), "info")
        return redirect(url_for("admin_users.edit_user", user_id=user.id))
    form = EraseForm()
    if form.validate_on_submit():
        try:
            erasure.erase_person(current_user, user, form.confirm_email.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("The person is erased. The audit trail keeps that it happened."), "success")
            return redirect(url_for("admin_users.list_users"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("privacy/erase.html", form=form, person=user), status


# --- retention -----------------------------------------------------------------------------


@bp.route("/admin/retention", methods=["GET", "POST"])
@roles_required("admin")
def retention_settings():
    """How long the organisation keeps inactive accounts and raw learning events."""
    policy = retention.policy_of(current_user.organisation_id)
    form = RetentionForm(obj=policy) if policy is not None else RetentionForm()
    if form.validate_on_submit():
        try:
            retention.save_policy(current_user, form.inactive_months.data, form.event_months.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Retention settings saved. The scheduler applies them every hour."), "success")
            return redirect(url_for("privacy.retention_settings"))
    status = 400 if form.errors or form.form_errors else 200
    preview = retention.plan(current_user.organisation_id) if policy is not None else None
    return render_template("privacy/retention.html", form=form, policy=policy, preview=preview,
                           warning_days=retention.WARNING_DAYS), status  # fmt: skip
