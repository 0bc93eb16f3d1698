"""Privacy pages: the admin's audit trail (with CSV), a person's data download, erasure and
the organisation's retention settings."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from lxp.audit import services as audit
from lxp.core.auth import roles_required
from lxp.core.errors import ServiceError
from lxp.core.forms import show_form_error
from lxp.privacy import trail
from lxp.privacy.forms import TrailFilterForm

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
