"""Sign-in, sign-out, invitations, password reset and the profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_user, logout_user
from wtforms import SelectChoice

from lxp.accounts import api_tokens, company_sign_in, services, sessions, sign_in, tokens
from lxp.accounts.forms import ChangePasswordForm, EmailOnlyForm, LoginForm, NewPasswordForm, ProfileForm
from lxp.core.auth import public
from lxp.core.errors import NotAllowed, ServiceError, TooManyAttempts
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.core.security import start_session
from lxp.core.views import start_page_for
from lxp.extensions import limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _ip_and_email() -> str:
    return f"{request.remote_addr}|{services.login_key(request.form.get('email') or '')}"


def _safe_next(target: str | None) -> str | None:
    """Only local paths: an attacker's link must not bounce a fresh login to their site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
# Only failed attempts count, per address and e-mail, and a looser cap per address alone; the
# service counts them per account too (``accounts.throttle``), across addresses and spellings.
@limiter.limit(_login_limit, key_func=_ip_and_email, methods=["POST"], deduct_when=lambda r: r.status_code == 200)
@limiter.limit("30 per minute", methods=["POST"], deduct_when=lambda r: r.status_code == 200)
def login():
    """Sign in. A wrong password and an unknown e-mail get the same answer."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    # With company sign-in on the installation, the e-mail comes first (lxp.sso routes it).
    if request.method == "GET" and request.args.get("with") != "password" and company_sign_in.offered():
        return render_template(
            "accounts/login_email.html", form=EmailOnlyForm(), remembered=company_sign_in.remembered()
        )
    form = LoginForm()
    if request.method == "GET":
        form.email.data = session.pop(company_sign_in.EMAIL_KEY, None)
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except TooManyAttempts:
            abort(429)
        except NotAllowed as refusal:  # an SSO-only organisation's member
            form.form_errors.append(refusal.message)
            return render_template("accounts/login.html", form=form, company=company_sign_in.offered())
        if user is not None:
            next_url = _safe_next(request.args.get("next"))
            if user.two_step_enabled:  # the password is right; the code comes next
                return sign_in.hold_for_code(user, form.remember.data, next_url)
            session.clear()  # a fresh session: nothing from before the login carries over
            login_user(user, remember=form.remember.data)
            start_session(remember=form.remember.data)
            services.record_login(user)
            return redirect(next_url or start_page_for(user))
        form.form_errors.append(_("That e-mail and password do not match an active account."))
    return render_template("accounts/login.html", form=form, company=company_sign_in.offered())


@bp.post("/logout")
def logout():
    """Sign out and forget the remember-me cookie; someone who came in through their company's
    OpenID provider is signed out there too when it offers that (RP-initiated logout), and it
    sends them back to the sign-in page."""
    at_provider = company_sign_in.provider_sign_out(session.get(company_sign_in.SIGNED_IN_KEY))
    services.record_logout(current_user)
    session.clear()
    logout_user()
    if at_provider:  # a page that moves on: the CSP's form-action 'self' stops a redirect there
        return render_template("accounts/signed_out_to_provider.html", url=at_provider)
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    """Set the first password from an invitation link."""
    try:
        invited = tokens.read_token(token, tokens.INVITATION, services.get_user)
    except tokens.TokenExpired:
        return render_template("accounts/link_expired.html", kind="invitation", form=EmailOnlyForm()), 410
    except tokens.TokenInvalid:
        return render_template("accounts/link_invalid.html", kind="invitation", form=EmailOnlyForm()), 404
    if not invited.invitation_pending:
        flash(_("You have already set your password. Sign in here."), "info")
        return redirect(url_for("accounts.login"))
    refusal = company_sign_in.refuses_password(invited)
    if refusal is not None:  # a link from before the organisation went SSO-only: no password
        flash(refusal, "info")
        return redirect(company_sign_in.start_url(invited))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.password.data)
        except ServiceError as error:
            show_form_error(form, error)
        except (tokens.TokenExpired, tokens.TokenInvalid):
            abort(404)
        else:
            session.clear()
            login_user(user)
            start_session(remember=False)
            services.record_login(user)
            flash(_("Welcome, %(name)s. Your password is set.", name=user.display_name), "success")
            return redirect(start_page_for(user))
    return render_template(
        "accounts/accept_invitation.html", form=form, invited=invited, min_password_length=services.MIN_PASSWORD_LENGTH
    )


@bp.route("/invitation/renew", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def renew_invitation():
    """Ask for a fresh invitation link; the answer never says whether the e-mail is known."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_new_invitation(form.email.data)
        return render_template("accounts/check_mail.html")
    return render_template("accounts/renew_invitation.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer never says whether the e-mail is known."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/check_mail.html")
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password from an e-mailed link."""
    try:
        tokens.read_token(token, tokens.PASSWORD_RESET, services.get_user)
    except tokens.TokenExpired:
        return render_template("accounts/link_expired.html", kind="reset", form=EmailOnlyForm()), 410
    except tokens.TokenInvalid:
        return render_template("accounts/link_invalid.html", kind="reset", form=EmailOnlyForm()), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ServiceError as error:
            show_form_error(form, error)
        except (tokens.TokenExpired, tokens.TokenInvalid):
            abort(404)
        else:
            session.clear()
            logout_user()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/me", methods=["GET", "POST"])
def profile():
    """The person's own name, language and time zone."""
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    password_form = _password_form(formdata=None)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data, form.locale.data, form.timezone.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            # The form's curated time zones were already translated in the old language, which
            # Flask-Babel keeps for the request: say "saved" in the language just chosen.
            refresh()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(form, password_form)


def _profile_page(form, password_form, status: int = 200):
    uses_password = current_user.has_password and company_sign_in.refuses_password(current_user) is None
    return render_template("accounts/profile.html", form=form, password_form=password_form, uses_password=uses_password,
                           confirm=ConfirmForm(), sessions=sessions.open_sessions(current_user),
                           device_of=sessions.device_of, this_session=current_user.session_key), status  # fmt: skip


def _password_form(**kwargs) -> ChangePasswordForm:
    """The password form, with the person's active API tokens to choose which to keep."""
    form = ChangePasswordForm(**kwargs)
    form.keep_tokens.choices = [SelectChoice(str(t.id), t.name) for t in api_tokens.tokens_of(current_user) if t.active]
    return form


@bp.post("/me/password")
def change_password():
    """Change the password; other devices are signed out, this one stays in; API tokens are
    revoked but for those the person ticked to keep."""
    form = _password_form()
    if form.validate_on_submit():
        try:
            revoked = services.change_password(current_user, form.current_password.data, form.password.data,
                                               [int(i) for i in form.keep_tokens.data or []])  # fmt: skip
        except ServiceError as error:
            show_form_error(form, error)
        else:
            login_user(current_user._get_current_object())  # the session carries the new auth version
            flash(_("Your password is changed. Other devices are signed out."), "success")
            if revoked:
                flash(
                    ngettext("%(num)d access token is revoked.", "%(num)d access tokens are revoked.", revoked), "info"
                )
            return redirect(url_for("accounts.profile"))
    profile_form = ProfileForm(obj=current_user)
    profile_form.locale.data = current_user.locale or ""
    return _profile_page(profile_form, form, 400)


@bp.post("/me/sign-out-everywhere")
def sign_out_everywhere():
    """End every session and remember-me cookie on every other device; this one stays signed in."""
    if ConfirmForm().validate_on_submit():
        services.sign_out_everywhere(current_user)
        login_user(current_user._get_current_object())  # this device carries the new auth version
        flash(_("You are signed out on every other device."), "success")
    else:
        flash(_("This form has expired. Please try again."), "error")
    return redirect(url_for("accounts.profile"))


@bp.post("/me/sessions/<key>/end")
def end_session(key: str):
    """Sign out one other browser of the person's own (its cookies stop working at once)."""
    if not ConfirmForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return redirect(url_for("accounts.profile"))
    if key == current_user.session_key:  # this browser signs out with the sign-out button
        abort(400)
    try:
        sessions.end(current_user, key)
    except ServiceError:
        abort(404)
    flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.profile"))
