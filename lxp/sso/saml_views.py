"""SAML 2.0's pages: lxp's SP metadata for an organisation, and the assertion consumer service
where the provider posts its answer (the start is ``sso.start``, shared with OpenID Connect)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session
from flask_login import login_user
from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.core import unit_of_work
from lxp.core.auth import public
from lxp.core.security import start_session
from lxp.core.views import start_page_for
from lxp.extensions import csrf, db, limiter
from lxp.sso import saml, saml_services, services
from lxp.sso.refusals import Refused
from lxp.sso.settings import settings_of

bp = Blueprint("sso_saml", __name__, url_prefix="/sso/<slug>/saml")


def _organisation(slug: str) -> Organisation:
    organisation = db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/metadata")
@public
def metadata(slug: str):
    """lxp's SP metadata for the organisation's provider (entity id: this address)."""
    xml = saml.sp_metadata(saml_services.service_provider(_organisation(slug)))
    return Response(xml, mimetype="application/samlmetadata+xml",
                    headers={"Content-Disposition": f'inline; filename="lxp-{slug}-saml.xml"'})  # fmt: skip


@bp.post("/acs")
@public
@csrf.exempt  # the provider posts from its own site; the signed answer, InResponseTo and RelayState protect it
@limiter.limit("30 per minute")
def acs(slug: str):
    """Where the provider posts its answer (HTTP-POST binding). A refusal writes nothing and says why."""
    settings = settings_of(_organisation(slug).id)
    try:
        with unit_of_work.boundary("company sign-in (SAML)"):
            user = saml_services.finish(settings, request.form.to_dict())
    except Refused as refused:
        unit_of_work.refused()
        return render_template("sso/refused.html", message=refused.message), 403
    session.clear()  # a fresh session: nothing from before the sign-in carries over
    login_user(user)
    start_session(remember=False)
    response = redirect(start_page_for(user))
    response.set_cookie(services.REMEMBER_COOKIE, user.organisation.slug, max_age=services.REMEMBER_SECONDS,
                        httponly=True, samesite="Lax", secure=current_app.config["HTTPS"])  # fmt: skip
    return response


# The admin page's SAML part (``lxp.sso.views.settings`` calls these).


def fill_form(form, saved) -> None:
    form.protocol.data = saved.protocol
    form.saml_metadata_url.data = saved.saml_metadata_url
    form.saml_email_attribute.data, form.saml_name_attribute.data = (
        saved.saml_email_attribute,
        saved.saml_name_attribute,
    )
    form.saml_groups_attribute.data = saved.saml_groups_attribute
    form.saml_locale_attribute.data = saved.saml_locale_attribute
    form.saml_department_attribute.data = saved.saml_department_attribute


def form_input(form) -> dict:
    return {"protocol": form.protocol.data or "oidc", "saml_metadata": form.saml_metadata.data or "",
            "saml_metadata_url": form.saml_metadata_url.data or "",
            "saml_email_attribute": form.saml_email_attribute.data or "",
            "saml_name_attribute": form.saml_name_attribute.data or "",
            "saml_groups_attribute": form.saml_groups_attribute.data or "",
            "saml_locale_attribute": form.saml_locale_attribute.data or "",
            "saml_department_attribute": form.saml_department_attribute.data or ""}  # fmt: skip


def addresses(organisation: Organisation, saved) -> dict:
    """What the provider's admin registers (lxp's entity id, its metadata address, and ACS), and
    the entity id of the provider whose metadata is saved."""
    try:
        idp = saml.read_idp_metadata(saved.saml_metadata)["entityId"] if saved and saved.saml_metadata else None
    except ValueError:
        idp = None
    return {"metadata": saml_services.metadata_url(organisation.slug), "acs": saml_services.acs_url(organisation.slug),
            "idp": idp}  # fmt: skip
