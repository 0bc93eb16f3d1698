"""Notification settings, "fewer like this", and the one-click unsubscribe of e-mails."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp import channels
from lxp.core.auth import public, roles_required
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.core.time import utcnow
from lxp.extensions import csrf
from lxp.nudges import policy, texts
from lxp.nudges import services as nudges
from lxp.nudges.forms import notifications_form
from lxp.nudges.rules import RULES_BY_KEY

bp = Blueprint("nudges", __name__)


@bp.route("/profile/notifications", methods=["GET", "POST"])
@roles_required("learner", "trainer")
def notifications():
    """What reaches the person (a learner, or a trainer named in a space), how, and when not."""
    preferences = nudges.preferences_of(current_user)
    form, choosable = notifications_form(), channels.where("chosen_per_category")
    if request.method == "GET":
        for category in policy.CATEGORIES:
            getattr(form, category).data = category not in preferences.off
            for name in choosable:
                getattr(form, f"{category}_{name}").data = name in preferences.channels_for(category)
        form.quiet_start.data, form.quiet_end.data = preferences.quiet_start, preferences.quiet_end
        form.weekly_cap.data = preferences.weekly_cap
        form.digest_weekday.data, form.digest_hour.data = preferences.digest_weekday, preferences.digest_hour
    if form.validate_on_submit():
        try:
            nudges.save_preferences(
                current_user, {c: getattr(form, c).data for c in policy.CATEGORIES},
                {c: [name for name in choosable if getattr(form, f"{c}_{name}").data] for c in policy.CATEGORIES},
                form.quiet_start.data, form.quiet_end.data, form.weekly_cap.data, form.pause.data or "",
                digest_weekday=form.digest_weekday.data, digest_hour=form.digest_hour.data,
            )  # fmt: skip
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved. Messages follow your choices from now on."), "success")
            return redirect(url_for("nudges.notifications"))
    status = 400 if form.errors or form.form_errors else 200
    paused_until = (
        preferences.paused_until if preferences.paused_until and preferences.paused_until > utcnow() else None
    )
    return render_template("nudges/notifications.html", form=form, preferences=preferences, paused_until=paused_until,
                           confirm=ConfirmForm(), labels=texts.RULE_LABELS, choosable=choosable), status  # fmt: skip


@bp.post("/notifications/fewer")
@roles_required("learner", "trainer")
def fewer_like_this():
    """ "Fewer like this" on a message: no more of its rule."""
    rule = request.form.get("rule", "")
    if not ConfirmForm().validate_on_submit() or rule not in RULES_BY_KEY:
        abort(400)
    nudges.mute_rule(current_user, rule)
    flash(_("You will get no more messages like this one. You can change that in your notification settings."),
          "success")  # fmt: skip
    return redirect(request.form.get("back") if (request.form.get("back") or "").startswith("/inbox") else
                    url_for("learning.inbox"))  # fmt: skip


@bp.post("/notifications/unmute")
@roles_required("learner", "trainer")
def unmute():
    """Messages of a rule the learner asked fewer of come again."""
    rule = request.form.get("rule", "")
    if not ConfirmForm().validate_on_submit() or rule not in RULES_BY_KEY:
        abort(400)
    nudges.unmute_rule(current_user, rule)
    return redirect(url_for("nudges.notifications"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public  # from an e-mail, signed out: the signed token is the key
@csrf.exempt  # mail clients' one-click unsubscribe posts without a form (RFC 8058)
def unsubscribe(token: str):
    """Stop e-mails of one category: a page with a button, or one POST from the mail client."""
    found = nudges.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user, category = found
    if request.method == "POST":
        nudges.unsubscribe(user, category)
        return render_template("nudges/unsubscribed.html", category=category, done=True)
    return render_template("nudges/unsubscribed.html", category=category, done=False, token=token)
