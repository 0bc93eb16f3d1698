"""The admin's view of the touchpoint outbox: dead letters, retries and stuck deliveries,
and sending a dead letter again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lxp.core import unit_of_work
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm
from lxp.nudges import dead_letters

bp = Blueprint("outbox_admin", __name__, url_prefix="/admin/outbox")

restrict_blueprint(bp, "admin")


@bp.get("")
def troubles():
    """Messages that could not be delivered (yet), with their last error."""
    return render_template("nudges/admin_outbox.html", troubles=dead_letters.troubles(current_user),
                           confirm=ConfirmForm())  # fmt: skip


@bp.post("/<int:message_id>/retry")
def retry_message(message_id: int):
    """Send one dead letter or stuck message again at the next delivery run."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        message = dead_letters.retry_message(current_user, message_id)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(_("\u201c%(subject)s\u201d to %(name)s goes out with the next delivery run.",
                subject=message.subject, name=message.user.display_name), "success")  # fmt: skip
    return redirect(url_for("outbox_admin.troubles"))


@bp.post("/retry-all")
def retry_all():
    """Send every dead letter and stuck message again."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = dead_letters.retry_all(current_user)
    flash(ngettext("%(num)d message goes out with the next delivery run.",
                   "%(num)d messages go out with the next delivery run.", count), "success")  # fmt: skip
    return redirect(url_for("outbox_admin.troubles"))
