"""The admin's page for forwarding statements to an external LRS."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, PasswordField, URLField
from wtforms import StringField as TextField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import Form, show_form_error
from lxp.lrs import services

bp = Blueprint("lrs", __name__, url_prefix="/admin/lrs")
restrict_blueprint(bp, "admin")


class LrsForm(Form):
    endpoint = URLField(_l("xAPI endpoint"), validators=[DataRequired(), Length(max=500)],
                        description=_l("The address the LRS gives for xAPI, e.g. https://lrs.example.com/xapi/"))  # fmt: skip
    username = TextField(_l("Key (user name)"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Secret (password)"), validators=[Optional(), Length(max=500)],
                             description=_l("Leave empty to keep the one saved."))  # fmt: skip
    batch_size = IntegerField(_l("Statements per request"), default=100, validators=[NumberRange(1, 500)])
    enabled = BooleanField(_l("Send statements to this LRS"), default=True)


@bp.route("", methods=["GET", "POST"])
def settings():
    """Where the organisation's statements go, and how far forwarding got."""
    connection = services.connection_of(current_user.organisation_id)
    form = LrsForm(obj=connection) if connection is not None else LrsForm()
    if form.validate_on_submit():
        try:
            services.save_connection(current_user, form.endpoint.data, form.username.data, form.password.data,
                                     form.enabled.data, form.batch_size.data)  # fmt: skip
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved. New statements go to the LRS within a minute."), "success")
            return redirect(url_for("lrs.settings"))
    status = 400 if form.errors or form.form_errors else 200
    form.password.data = ""
    conflicts = (
        services.conflicts_page(current_user.organisation_id, request.args.get("page", 1, type=int))
        if connection is not None
        else None
    )
    return render_template("lrs/settings.html", form=form, connection=connection, conflicts=conflicts), status
