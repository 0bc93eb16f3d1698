"""Predictive support's pages: a coach acts on a flag from the desk, a learner turns the
support on or off (on their profile), an admin reads the model's evaluation and the follow-through."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.core import unit_of_work
from lxp.core.auth import roles_required
from lxp.core.errors import NotFound, ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.risk import actions, services
from lxp.risk.forms import SettingsForm
from lxp.risk.reasons import Reason
from lxp.risk.texts import ACTION_LABELS, reason_text

bp = Blueprint("risk", __name__)


@bp.app_template_global("predictive_support_on")
def predictive_support_on() -> bool:
    """For the profile: whether the signed-in learner has predictive support on."""
    return services.is_on_for(current_user)


@bp.app_template_global("support_manager_line")
def support_manager_line():
    """For the profile: the signed-in learner's reporting line (their manager), or None."""
    return services.manager_of(current_user)


@bp.app_template_global("risk_reason_text")
def risk_reason_text(reason: dict) -> str:
    """One stored reason (``{"code": ..., "values": {...}}``) in the viewer's words."""
    return reason_text(Reason(reason["code"], tuple((reason.get("values") or {}).items())))


@bp.app_template_global("risk_action_label")
def risk_action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@bp.post("/desk/at-risk/<int:flag_id>")
@roles_required("trainer")
def act_on_flag(flag_id: int):
    """The coach acts on a flag: a message opens the conversation to write in; a session offer or
    a lighter plan is done at once and the learner is told there. Each is recorded."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    try:
        if action == "offer_session":
            thread = actions.offer_session(current_user, flag_id, request.form.get("session_id", type=int))
        elif action == "simplify_plan":
            thread = actions.simplify_plan(current_user, flag_id)
        else:
            thread = services.act_on_flag(current_user, flag_id, action)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return redirect(url_for("learning.trainer_desk"))
    if action == "offer_session":
        flash(_("Session offered. The learner was told in your conversation, with a link to sign up."), "success")
    elif action == "simplify_plan":
        flash(_("Their plan is lighter now. The learner was told in your conversation, and how to change it back."),
              "success")  # fmt: skip
    return redirect(url_for("coaching.desk_thread", thread_id=thread.id) + "#write")


@bp.post("/me/predictive-support")
@roles_required("learner")
def set_support():
    """The learner turns predictive support on or off."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "1"
    services.set_support(current_user, on)
    flash(_("Predictive support is on.") if on else _("Predictive support is off. Nothing about you is computed for it."),
          "success")  # fmt: skip
    return redirect(url_for("accounts.profile") + "#predictive-support")


@bp.post("/me/predictive-support/manager")
@roles_required("learner")
def set_manager_told():
    """The learner lets their manager see that they may need support, or stops it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "1"
    try:
        services.set_manager_told(current_user, on)
    except NotFound:
        abort(404)
    flash(_("Your manager sees it when you may need support.") if on
          else _("Your manager no longer sees it when you may need support."), "success")  # fmt: skip
    return redirect(url_for("accounts.profile") + "#predictive-support")


@bp.route("/admin/predictive-support", methods=["GET", "POST"])
@roles_required("admin")
def overview():
    """The model's latest evaluation against the baseline, whether acting on flags helped, and
    the share of flags held out from coaches to measure that."""
    form = SettingsForm()
    status = 200
    if request.method == "GET":
        form.holdout_percent.data = services.holdout_percent(current_user.organisation_id)
    elif form.validate_on_submit():
        try:
            services.set_holdout(current_user, form.holdout_percent.data)
        except ServiceError as error:
            show_form_error(form, error)
            status = 400
        else:
            flash(_("Saved. New flags follow it from the next daily run."), "success")
            return redirect(url_for("risk.overview"))
    else:
        status = 400
    latest = services.latest_model(current_user.organisation_id)
    organisation_id = current_user.organisation_id
    return render_template("risk/overview.html", latest=latest, form=form,
                           follow_through=services.follow_through(organisation_id),
                           holdout=services.holdout_comparison(organisation_id),
                           seed=services.holdout_seed(organisation_id)), status  # fmt: skip


def _flagged_page(errors: dict[int, str] | None = None, kept: dict[int, str] | None = None, status: int = 200):
    found = services.organisation_flags_page(current_user, request.args.get("page", 1, type=int))
    flags = found.items
    return render_template("risk/flagged.html", flags=flags, found=found, coaches=services.coaches_of(flags),
                           session_choices=actions.session_choices(flags), plan_minutes=actions.plan_minutes(flags),
                           acted_on=services.recent_actions(current_user),
                           holdout=services.holdout_comparison(current_user.organisation_id),
                           errors=errors or {}, kept=kept or {}), status  # fmt: skip


@bp.get("/admin/predictive-support/flags")
@roles_required("admin")
def flagged():
    """The admin's list of the organisation's learners who may need support, with the reasons,
    their coach (or that nobody coaches them) and what to do: the coaches' desk for admins."""
    return _flagged_page()


@bp.post("/admin/predictive-support/flags/<int:flag_id>")
@roles_required("admin")
def act_as_admin(flag_id: int):
    """The admin acts on a flag: a message, a session offer or a lighter plan, each told to the
    learner in their inbox and recorded. Bad input shows the page again with the reason."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action, body = request.form.get("action", ""), request.form.get("body", "")
    try:
        if action == "message":
            actions.message_as_admin(current_user, flag_id, body)
        elif action == "offer_session":
            actions.offer_session_as_admin(current_user, flag_id, request.form.get("session_id", type=int))
        elif action == "simplify_plan":
            actions.simplify_plan_as_admin(current_user, flag_id)
        else:
            abort(400)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.refused()
        return _flagged_page({flag_id: str(error.message)}, {flag_id: body}, 400)
    flash({"message": _("Message sent. It is in the learner's inbox."),
           "offer_session": _("Session offered. The learner was told in their inbox, with a link to sign up."),
           "simplify_plan": _("Their plan is lighter now. The learner was told in their inbox, and how to change it back.")}[action],
          "success")  # fmt: skip
    page = request.args.get("page", 1, type=int)  # the page it was acted on from (clamped there)
    return redirect(url_for("risk.flagged", **({"page": page} if page > 1 else {})))
