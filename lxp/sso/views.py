"""Company sign-in's pages: the e-mail step that routes to a provider, the two legs of the
OpenID Connect sign-in, and the admin's settings."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from wtforms import SelectChoice

from lxp.accounts import company_sign_in
from lxp.core import unit_of_work
from lxp.core.auth import public, restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import show_form_error
from lxp.core.security import start_session
from lxp.core.views import start_page_for
from lxp.extensions import limiter
from lxp.sso import saml_views, services
from lxp.sso import settings as sso_settings
from lxp.sso.forms import CompanyEmailForm, SettingsForm
from lxp.sso.refusals import Refused

bp = Blueprint("sso", __name__)
admin_bp = Blueprint("sso_admin", __name__, url_prefix="/admin/sign-in")
restrict_blueprint(admin_bp, "admin")


def _email_page(form, status: int = 200):
    return render_template("accounts/login_email.html", form=form, remembered=company_sign_in.remembered()), status


def _to_provider(settings, login_hint: str | None = None, *, after_form: bool = False):
    try:
        with unit_of_work.boundary("company sign-in: start"):  # SAML keeps the request it sends
            url, pending = services.start(settings, login_hint)
    except Refused as refused:
        return render_template("sso/refused.html", message=refused.message), 503
    session[services.PENDING_KEY] = pending
    if after_form:
        # The CSP's form-action 'self' stops a form's redirect to another site, so the page
        # that answers the form moves on itself (no script needed).
        return render_template("sso/to_provider.html", url=url, organisation=settings.organisation.name)
    return redirect(url)


@bp.post("/login/company")
@public
@limiter.limit("30 per minute")
def continue_with_email():
    """The e-mail step of signing in: an address whose domain has company sign-in goes to that
    organisation's provider; any other goes on to the password."""
    form = CompanyEmailForm()
    if not form.validate_on_submit():
        return _email_page(form, 400)
    try:
        email = services.check_email(form.email.data)
    except ServiceError as error:
        show_form_error(form, error)
        return _email_page(form, 400)
    settings = services.for_email(email)
    if settings is None:
        session[company_sign_in.EMAIL_KEY] = email
        flash(_("No company sign-in is set up for %(domain)s: sign in with your lxp password.",
                domain=email.rpartition("@")[2]), "info")  # fmt: skip
        return redirect(url_for("accounts.login", **{"with": "password"}))
    return _to_provider(settings, login_hint=email, after_form=True)


@bp.get("/sso/<slug>/start")
@public
def start(slug: str):
    """One tap: straight to the organisation's provider (the sign-in page offers it to a browser
    that signed in this way before; an organisation may link to it from its intranet)."""
    settings = services.for_slug(slug)
    if settings is None:
        abort(404)
    return _to_provider(settings)


@bp.get("/sso/callback")
@public
def callback():
    """Where the provider sends the browser back. A GET by the protocol, so the sign-in writes
    in a named unit of work of its own; a refusal writes nothing and says why."""
    pending = session.pop(services.PENDING_KEY, None)
    try:
        with unit_of_work.boundary("company sign-in"):
            user, signed_in = services.finish(pending, request.args.to_dict())
            session.clear()  # a fresh session: nothing from before the sign-in carries over
            login_user(user)  # opens the browser's session row (accounts.sessions), in this unit
            session[company_sign_in.SIGNED_IN_KEY] = signed_in  # to sign out at the provider too
    except Refused as refused:
        return render_template("sso/refused.html", message=refused.message), 403
    start_session(remember=False)
    response = redirect(start_page_for(user))
    response.set_cookie(services.REMEMBER_COOKIE, user.organisation.slug, max_age=services.REMEMBER_SECONDS,
                        httponly=True, samesite="Lax", secure=current_app.config["HTTPS"])  # fmt: skip
    return response


def _settings_form(saved, formdata=None) -> SettingsForm:
    form = SettingsForm(formdata=formdata) if formdata is not None else SettingsForm(formdata=None)
    form.break_glass_user_id.choices = [SelectChoice(0, _("Nobody"))] + [
        SelectChoice(u.id, f"{u.display_name} ({u.email})")
        for u in sso_settings.break_glass_choices(current_user.organisation_id)
    ]
    if formdata is None and saved is not None:
        form.enabled.data, form.issuer.data, form.client_id.data = saved.enabled, saved.issuer, saved.client_id
        form.email_claim.data, form.groups_claim.data = saved.email_claim, saved.groups_claim
        form.department_claim.data = saved.department_claim
        form.allowed_domains.data = ", ".join(saved.domains)
        form.role_mapping.data = sso_settings.role_mapping_text(saved)
        form.cohort_mapping.data = sso_settings.cohort_mapping_text(saved)
        form.sso_only.data, form.break_glass_user_id.data = saved.sso_only, saved.break_glass_user_id or 0
        saml_views.fill_form(form, saved)
    return form


@admin_bp.route("", methods=["GET", "POST"])
def settings():
    """The organisation's company sign-in: provider, domains, group mappings, SSO only."""
    saved = sso_settings.settings_of(current_user.organisation_id)
    form = _settings_form(saved, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        given = sso_settings.SettingsInput(
            enabled=form.enabled.data, issuer=form.issuer.data, client_id=form.client_id.data,
            client_secret=form.client_secret.data or "", email_claim=form.email_claim.data,
            allowed_domains=form.allowed_domains.data, groups_claim=form.groups_claim.data,
            department_claim=form.department_claim.data or "",
            role_mapping=form.role_mapping.data, cohort_mapping=form.cohort_mapping.data, sso_only=form.sso_only.data,
            break_glass_user_id=form.break_glass_user_id.data or None, **saml_views.form_input(form),
        )  # fmt: skip
        try:
            sso_settings.save_settings(current_user, given)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Company sign-in is saved."), "success")
            return redirect(url_for("sso_admin.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "sso/settings.html",
        form=form,
        saved=saved,
        redirect_uri=sso_settings.redirect_uri(),
        post_logout_redirect_uri=services.post_logout_redirect_uri(),
        saml=saml_views.addresses(current_user.organisation, saved),
    ), status
