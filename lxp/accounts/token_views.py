"""Personal access tokens on the profile: make one (its secret shown once), see when each was
last used, revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lxp.accounts import api_tokens
from lxp.core import unit_of_work
from lxp.core.errors import ServiceError
from lxp.core.forms import CheckboxListField, ConfirmForm, Form, show_form_error

bp = Blueprint("api_tokens", __name__)

SCOPE_LABELS = {
    "read": _l("Read: see your path, Today, messages and the rest"),
    "write": _l("Write: record progress, answer, register, send messages"),
    "admin": _l("Admin: people and course import/export (admins only)"),
}


def scope_choices():
    return [(key, label) for key, label in SCOPE_LABELS.items() if key != "admin" or current_user.has_role("admin")]


class TokenForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Where you will use it, e.g. “My phone”."))  # fmt: skip
    scopes = CheckboxListField(_l("What it may do"), choices=scope_choices, default=["read"])


def _page(form, secret=None, status=200):
    return render_template("accounts/tokens.html", form=form, secret=secret, tokens=api_tokens.tokens_of(current_user),
                           revoke_form=ConfirmForm(), labels=SCOPE_LABELS), status  # fmt: skip


@bp.get("/me/tokens")
def tokens():
    """The person's tokens and the form to make one."""
    return _page(TokenForm())


@bp.post("/me/tokens")
def create_token():
    """Make a token and show its secret in this response only: never stored (only its hash),
    never put in a cookie, never shown again; the page is not to be cached."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        made = api_tokens.create_token(current_user, form.name.data, form.scopes.data or [])
    except ServiceError as error:
        show_form_error(form, error)
        return _page(form, status=400)
    body, status = _page(TokenForm(formdata=None), secret=made.secret, status=201)
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/me/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of the person's own tokens; it stops working at once."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            token = api_tokens.revoke_token(current_user, token_id)
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
        else:
            flash(_("“%(name)s” is revoked; programs using it can no longer sign in.", name=token.name), "success")
    return redirect(url_for("api_tokens.tokens"))
