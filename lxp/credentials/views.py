"""Credential pages: the learner's own (list, one, downloads), the admin's list and revocation,
and what anyone may open: the verification page of a share link, the issuer's profile, its
public keys and its revocation list."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.core.auth import public, restrict_blueprint
from lxp.core.dates import viewer_date
from lxp.core.errors import Invalid, ServiceError
from lxp.core.forms import show_form_error
from lxp.credentials import keys, picture, printout
from lxp.credentials import services as credentials
from lxp.credentials.forms import CheckForm, RevokeForm
from lxp.extensions import limiter

bp = Blueprint("credentials", __name__)
admin_bp = Blueprint("credentials_admin", __name__, url_prefix="/admin/credentials")
restrict_blueprint(admin_bp, "admin")

VC_JWT = "application/vc+jwt"


def _own(credential_id: uuid.UUID):
    try:
        return credentials.own_credential(current_user, credential_id)
    except ServiceError:
        abort(404)


@bp.get("/credentials")
def mine():
    """The signed-in person's credentials, newest first, each with its state."""
    rows = [(c, credentials.state_of(c)) for c in credentials.credentials_of(current_user)]
    return render_template("credentials/mine.html", rows=rows)


@bp.get("/credentials/<uuid:credential_id>")
def show(credential_id: uuid.UUID):
    """One of the person's credentials: what it says, its downloads and its share link."""
    credential = _own(credential_id)
    return render_template("credentials/show.html", credential=credential, state=credentials.state_of(credential),
                           vc=credentials.credential_json(credential),
                           share_url=url_for("credentials.verify_shared", credential_id=credential.id, _external=True))  # fmt: skip


def _filename(credential, extension: str) -> str:
    return f"credential-{credential.id}.{extension}"


def _attachment(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/credentials/<uuid:credential_id>/credential.jwt")
def download_jwt(credential_id: uuid.UUID):
    """The signed credential (VC-JWT): the file that proves it."""
    credential = _own(credential_id)
    return _attachment(credential.jwt, VC_JWT, _filename(credential, "jwt"))


@bp.get("/credentials/<uuid:credential_id>/credential.json")
def download_json(credential_id: uuid.UUID):
    """The OpenBadgeCredential as JSON, with its signed form (VC-JWT) beside it."""
    credential = _own(credential_id)
    body = {"credential": credentials.credential_json(credential), "jwt": credential.jwt}
    return _attachment(
        json.dumps(body, ensure_ascii=False, indent=2), "application/json", _filename(credential, "json")
    )


def _printed(credential) -> dict:
    """What the picture and the PDF show, in the viewer's language, and the file they carry."""
    lines = [_("Issued %(date)s", date=viewer_date(credential.issued_at))]
    if credential.valid_until is not None:
        lines.append(_("Valid until %(date)s", date=viewer_date(credential.valid_until)))
    state = credentials.state_of(credential)
    if state != "active":
        lines.append(_("Revoked") if state == "revoked" else _("Expired"))
    return dict(learner_name=credential.learner_name, achievement=credential.achievement_name,
                issuer=credential_issuer_name(credential), lines=lines, title=_("has shown the achievement"),
                verify_url=url_for("credentials.verify_shared", credential_id=credential.id, _external=True),
                baked=credential.jwt)  # fmt: skip


@bp.get("/credentials/<uuid:credential_id>/credential.png")
def download_png(credential_id: uuid.UUID):
    """The credential as a picture with the learner's name and a QR code of its public page."""
    credential = _own(credential_id)
    return _attachment(picture.render_png(**_printed(credential)), "image/png", _filename(credential, "png"))


@bp.get("/credentials/<uuid:credential_id>/credential.pdf")
def download_pdf(credential_id: uuid.UUID):
    """The credential as a printable PDF: name, achievement, issuer, dates, a QR code and the
    verification address, with the signed file attached (``/verify`` accepts the PDF)."""
    credential = _own(credential_id)
    pdf = printout.render_pdf(**_printed(credential), issued_at=credential.issued_at)
    return _attachment(pdf, "application/pdf", _filename(credential, "pdf"))


def credential_issuer_name(credential) -> str:
    return credentials.credential_json(credential)["issuer"]["name"]


# --- open to anyone ----------------------------------------------------------------------


@bp.get("/verify/<uuid:credential_id>")
@public
def verify_shared(credential_id: uuid.UUID):
    """The share link's page: checks the credential's signature, revocation and dates and
    says so in plain words; shows only what the credential itself contains."""
    try:
        result = credentials.verify_shared(credential_id)
    except ServiceError:
        abort(404)
    response = Response(render_template("credentials/verify.html", result=result))
    response.headers["Cache-Control"] = "no-store"  # the verdict changes with revocation and time
    response.headers["X-Robots-Tag"] = "noindex"
    return response


MAX_PICTURE_BYTES = 5_000_000


@bp.route("/verify", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute", methods=["POST"])
def check():
    """Anyone checks a credential they were given: pasted text (VC-JWT), or the PNG or PDF with
    the credential inside. The verdict names the issuer whose key signed it; bad input is said
    next to the field."""
    form = CheckForm()
    result, status = None, 200
    if form.validate_on_submit():
        upload = form.picture.data
        png = upload.read(MAX_PICTURE_BYTES + 1) if upload and upload.filename else None
        try:
            if png is not None and len(png) > MAX_PICTURE_BYTES:
                raise Invalid(_("This picture is too large to be a credential of ours."), field="picture")
            result = credentials.verify_pasted(form.token.data, png)
        except ServiceError as error:
            show_form_error(form, error)
    if form.errors or form.form_errors:
        status = 400
    response = Response(render_template("credentials/check.html", form=form, result=result), status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/issuers/<slug>")
@public
def issuer_profile(slug: str):
    """The organisation's Open Badges issuer profile (JSON), with where its keys are."""
    try:
        organisation = credentials.organisation_by_slug(slug)
    except ServiceError:
        abort(404)
    issuer = credentials.issuer_of(organisation)
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url,
            "publicKeys": url_for("credentials.issuer_keys", slug=slug, _external=True)}  # fmt: skip


@bp.get("/issuers/<slug>/jwks.json")
@public
def issuer_keys(slug: str):
    """The organisation's public keys as a JWK set: what checks its credentials' signatures."""
    try:
        organisation = credentials.organisation_by_slug(slug)
    except ServiceError:
        abort(404)
    response = Response(json.dumps(keys.published(organisation.id)), mimetype="application/jwk-set+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/issuers/<slug>/status/revocation")
@public
def status_list(slug: str):
    """The organisation's revocation list: a signed BitstringStatusListCredential (VC-JWT)."""
    try:
        organisation = credentials.organisation_by_slug(slug)
    except ServiceError:
        abort(404)
    token = credentials.status_list_jwt(organisation)
    if token is None:
        abort(404)
    response = Response(token, mimetype=VC_JWT)
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- the admin's side --------------------------------------------------------------------


@admin_bp.get("")
def issued():
    """Every credential the organisation issued, with its state."""
    rows = [(c, credentials.state_of(c)) for c in credentials.credentials_in(current_user)]
    return render_template("credentials/admin_list.html", rows=rows)


@admin_bp.route("/<uuid:credential_id>", methods=["GET", "POST"])
def revoke(credential_id: uuid.UUID):
    """One issued credential, and the form that revokes it with a reason."""
    try:
        credential = credentials.credential_in(current_user, credential_id)
    except ServiceError:
        abort(404)
    form = RevokeForm()
    if credential.revoked_at is None and form.validate_on_submit():
        try:
            credentials.revoke(current_user, credential, form.reason.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("The credential is revoked: its public page now says so."), "success")
            return redirect(url_for("credentials_admin.revoke", credential_id=credential.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("credentials/admin_show.html", credential=credential, form=form,
                           state=credentials.state_of(credential),
                           share_url=url_for("credentials.verify_shared", credential_id=credential.id, _external=True)), status  # fmt: skip
