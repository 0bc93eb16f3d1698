"""The tracked link of e-mails and push notifications, and the admins' page on what
touchpoints do: opened, came back within 48 hours, opted out, and the holdout comparison."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from lxp.core.auth import public, roles_required
from lxp.core.errors import ServiceError
from lxp.core.forms import Form, show_form_error
from lxp.insights import effect_presenting as present
from lxp.insights import tabs
from lxp.insights.forms import optional_int
from lxp.nudges import effect, effect_maths, rhythm

bp = Blueprint("effect", __name__)


class EffectFilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    course = SelectField(_l("Course"), coerce=optional_int, validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])


@bp.get("/t/<token>")
@public  # the signed token is the key; the page it leads to asks for a login as usual
def open_link(token: str):
    """A click on a touchpoint's e-mail link or push notification: count the open, go on."""
    path = effect.open_tracked_link(token)
    if path is None:
        abort(404)
    return redirect(path)


@bp.get("/admin/touchpoints/effect")
@roles_required("admin")
def report():
    """Per rule and channel: sent, opened, came back, opted out; per rule, the holdout
    comparison. ``format=csv`` with ``table=channels`` or ``table=holdout`` downloads a table."""
    form = EffectFilterForm(request.args)
    form.course.choices = [("", _("All courses"))] + effect.courses_of(current_user)
    data, status = None, 200
    if not form.validate():
        status = 400
    else:
        try:
            data = effect.effect_report(current_user, effect.Filters(form.course.data, form.start.data, form.end.data))
        except ServiceError as error:
            show_form_error(form, error)
            status = error.status
    if data is not None and request.args.get("format") == "csv":
        table = request.args.get("table")
        if table == "channels":
            return present.channels_csv(data.channels)
        if table == "holdout":
            return present.holdout_csv(data.holdout)
        abort(404)
    query = {k: v for k, v in request.args.items() if k in ("course", "start", "end") and v}
    return render_template("nudges/effect.html", form=form, data=data, query=query, present=present,
                           min_learners=effect_maths.MIN_LEARNERS, window=effect_maths.WINDOW_HOURS,
                           rhythm=rhythm.summary(current_user.organisation_id),
                           site_tabs=tabs.visible(tabs.SITE_TABS, current_user)), status  # fmt: skip
