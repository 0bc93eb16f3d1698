"""Two-step sign-in pages: the code after the password, setting it up and turning it off on
the profile, and the admin's "require it" setting. Rules live in ``accounts.two_step``."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from lxp.accounts import sign_in, throttle, two_step
from lxp.accounts.forms import CodeForm, TurnOffTwoStepForm, TwoStepPolicyForm
from lxp.core.auth import endpoint_is_public, public, roles_required
from lxp.core.errors import ServiceError
from lxp.core.forms import show_form_error
from lxp.extensions import limiter

bp = Blueprint("two_step", __name__)

# What a person who must set up two-step sign-in may still open.
_DURING_SET_UP = frozenset({"two_step.set_up", "two_step.start", "two_step.confirm", "accounts.logout"})


@bp.before_app_request
def send_to_set_up():
    """``before_request``: an admin or trainer whose organisation requires two-step sign-in
    and who has not set it up reaches only the set-up page (and sign-out); the API refuses."""
    endpoint = request.endpoint
    if endpoint_is_public(endpoint) or endpoint in _DURING_SET_UP:
        return None
    if not current_user.is_authenticated or not two_step.must_set_up(current_user):
        return None
    if request.path.startswith("/api/"):
        abort(403)
    flash(_("Your organisation requires two-step sign-in for your role. Set it up to continue."), "info")
    return redirect(url_for("two_step.set_up"))


def _pending_key() -> str:
    waiting = sign_in.pending()
    return f"second-step:{waiting[0].id}" if waiting else f"second-step:{request.remote_addr}"


@bp.route("/login/code", methods=["GET", "POST"])
@public
# Wrong codes count per account (with the failed passwords, ``accounts.throttle``) and per account here.
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_pending_key, methods=["POST"],
               deduct_when=lambda r: r.status_code == 200)  # fmt: skip
def sign_in_code():
    """The second step of signing in: the code from the app, or a recovery code."""
    waiting = sign_in.pending()
    if waiting is None:
        sign_in.forget_pending()
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    user, remember, next_url = waiting
    form = CodeForm()
    if form.validate_on_submit():
        key = f"user:{user.id}"
        if throttle.exhausted(key):
            abort(429)
        if two_step.check_code(user, form.code.data):
            return sign_in.finish(user, remember, next_url)
        throttle.count_failure(key)
        form.code.errors.append(_("That code does not match. Enter the newest code from your app."))
    return render_template("accounts/two_step_code.html", form=form)


def _set_up_page(code_form=None, off_form=None, status=200):
    user = current_user
    secret = two_step.pending_secret(user)
    qr = None
    if secret:
        qr = two_step.qr_code_svg(two_step.provisioning_uri(user, secret), _("QR code for your authenticator app"))
    return render_template(
        "accounts/two_step.html",
        secret=secret,
        qr=qr,
        code_form=code_form or CodeForm(formdata=None),
        off_form=off_form or TurnOffTwoStepForm(formdata=None),
        codes_left=two_step.recovery_codes_left(user) if user.two_step_enabled else None,
        required=two_step.required_for(user),
    ), status


@bp.get("/me/two-step")
def set_up():
    """Two-step sign-in on the profile: set it up, see how many recovery codes are left, turn it off."""
    response = make_response(_set_up_page())
    response.headers["Cache-Control"] = "no-store"  # the secret being set up is on this page
    return response


@bp.post("/me/two-step/start")
def start():
    """Make the secret to add to the authenticator app."""
    form = CodeForm(formdata=None)
    try:
        two_step.start_set_up(current_user)
    except ServiceError as error:
        show_form_error(form, error)
        return _set_up_page(code_form=form, status=error.status)
    return redirect(url_for("two_step.set_up"))


def _codes_page(codes: list[str]):
    login_user(current_user._get_current_object())  # this session carries the new auth version
    response = make_response(render_template("accounts/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"  # shown this once; never from a cache
    return response


@bp.post("/me/two-step/confirm")
def confirm():
    """Confirm the set-up with a code; answer with the recovery codes, shown once."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_step.confirm_set_up(current_user, form.code.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            return _codes_page(codes)
    return _set_up_page(code_form=form, status=400)


@bp.post("/me/two-step/recovery-codes")
def renew_recovery_codes():
    """New recovery codes for old ones, confirmed with a code from the app."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_step.new_recovery_codes(current_user, form.code.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            return _codes_page(codes)
    return _set_up_page(code_form=form, status=400)


@bp.post("/me/two-step/off")
def turn_off():
    """Turn two-step sign-in off with the password and a code."""
    form = TurnOffTwoStepForm()
    status = 400
    if form.validate_on_submit():
        try:
            two_step.turn_off(current_user, form.password.data, form.code.data)
        except ServiceError as error:
            show_form_error(form, error)
            status = error.status
        else:
            login_user(current_user._get_current_object())  # this session carries the new auth version
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("accounts.profile"))
    return _set_up_page(off_form=form, status=status)


@bp.route("/admin/two-step", methods=["GET", "POST"])
@roles_required("admin")
def requirement():
    """The organisation's setting: require two-step sign-in of admins, of trainers."""
    organisation = current_user.organisation
    form = TwoStepPolicyForm()
    if request.method == "GET":
        form.for_admins.data = organisation.two_step_for_admins
        form.for_trainers.data = organisation.two_step_for_trainers
    if form.validate_on_submit():
        try:
            two_step.set_requirement(current_user, form.for_admins.data, form.for_trainers.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("The sign-in setting is saved."), "success")
            return redirect(url_for("two_step.requirement"))
    return render_template("admin/two_step.html", form=form), 400 if request.method == "POST" else 200
