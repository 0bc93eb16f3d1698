"""SCIM 2.0 endpoints under ``/scim/v2`` (a directory's bearer token names the organisation) and
the admin's page for the tokens. The endpoints answer ``application/scim+json``; every refusal is
a SCIM error body (``lxp.scim.protocol.ScimError``), and the unit of work rolls back on any of
them, so a refused request changes nothing."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.core.auth import public, restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, Form, show_form_error
from lxp.extensions import csrf, db
from lxp.scim import groups, patch, protocol, tokens, users
from lxp.scim.models import ScimUser
from lxp.scim.protocol import ScimError

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
csrf.exempt(bp)  # a bearer token, never a cookie, authenticates these calls
admin_bp = Blueprint("scim_admin", __name__, url_prefix="/admin/provisioning")
restrict_blueprint(admin_bp, "admin")


def _base() -> str:
    return url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0]


def _answer(body, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body), status=status, content_type=protocol.MEDIA_TYPE)
    if isinstance(body, dict) and isinstance(body.get("meta"), dict) and body["meta"].get("version"):
        response.headers["ETag"] = body["meta"]["version"]
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.errorhandler(ScimError)
def _scim_error(error: ScimError):
    return _answer(error.body(), error.status)


@bp.before_request
def _authenticate():
    """The organisation is the one whose active token came as ``Authorization: Bearer``."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        response = _answer(ScimError(401, "a valid bearer token of lxp's provisioning page is needed").body(), 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="lxp SCIM"'
        return response
    g.scim_organisation_id = token.organisation_id
    if tokens.stale_use(token):
        # Its own transaction (as API tokens do): the token was used whatever the call's fate.
        with unit_of_work.boundary("scim token: last used"):
            tokens.note_use(token)
    return None


def _organisation() -> int:
    return g.scim_organisation_id


def _body() -> dict:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise ScimError(400, "the body must be a JSON object", "invalidSyntax")
    return data


def _check_version(current: dict) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() != "*" and current["meta"]["version"] not in {v.strip() for v in wanted.split(",")}:
        raise ScimError(412, "the resource has changed since that version")


def _project(body: dict, query: dict | None = None) -> dict:
    """``attributes`` / ``excludedAttributes`` of the query (id and schemas always stay)."""
    query = query if query is not None else request.args
    wanted = [a.strip() for a in str(query.get("attributes") or "").split(",") if a.strip()]
    unwanted = [a.strip() for a in str(query.get("excludedAttributes") or "").split(",") if a.strip()]
    if not wanted and not unwanted:
        return body

    def names(raw: str) -> tuple[str, str | None]:
        lowered = raw.lower()
        for urn in (protocol.USER, protocol.GROUP):
            lowered = lowered.removeprefix(urn.lower() + ":")
        head, _dot, sub = lowered.partition(".")
        return head, sub or None

    if wanted:
        chosen = [names(a) for a in wanted]
        kept = {}
        for key, value in body.items():
            if key in {"id", "schemas"}:
                kept[key] = value
                continue
            subs = [sub for head, sub in chosen if head == key.lower()]
            if not subs:
                continue
            if None in subs or not isinstance(value, dict | list):
                kept[key] = value
            elif isinstance(value, dict):
                kept[key] = {k: v for k, v in value.items() if k.lower() in subs}
            else:
                kept[key] = [{k: v for k, v in item.items() if k.lower() in subs} for item in value]
        return kept
    dropped = {head for head, sub in (names(a) for a in unwanted) if sub is None} - {"id", "schemas"}
    return {key: value for key, value in body.items() if key.lower() not in dropped}


def _query() -> dict:
    """The query's parameters: from the URL for GET, from a SearchRequest body for POST .search."""
    if request.method == "POST":
        body = _body()
        fields = {key.lower(): value for key, value in body.items()}

        def listed(name):
            value = fields.get(name.lower())
            return ",".join(value) if isinstance(value, list) else value

        return {name: listed(name) for name in ("filter", "startIndex", "count", "sortBy", "sortOrder", "attributes",
                                                "excludedAttributes")}  # fmt: skip
    return {name: request.args.get(name) for name in ("filter", "startIndex", "count", "sortBy", "sortOrder",
                                                      "attributes", "excludedAttributes")}  # fmt: skip


def _page_of(search, render, query: dict, start: int, count: int) -> tuple[list[dict], int]:
    descending = str(query.get("sortOrder") or "ascending").lower() == "descending"
    rows, total = search(_organisation(), query.get("filter"), start, count, query.get("sortBy"), descending)
    return [_project(render(row), query) for row in rows], total


def _listing(search, render):
    query = _query()
    start, count = protocol.paging(query.get("startIndex"), query.get("count"))
    found, total = _page_of(search, render, query, start, count)
    return _answer(protocol.list_response(found, total, start))


# --- discovery ------------------------------------------------------------------------------


@bp.get("/ServiceProviderConfig")
@public
def service_provider_config():
    """What lxp's SCIM service does (RFC 7643 §5)."""
    return _answer(protocol.service_provider_config(_base()))


@bp.get("/ResourceTypes")
@public
def resource_types():
    """Users and Groups."""
    found = protocol.resource_types(_base())
    return _answer(protocol.list_response(found, len(found), 1))


@bp.get("/ResourceTypes/<name>")
@public
def resource_type(name: str):
    """One resource type. 404 when unknown."""
    for found in protocol.resource_types(_base()):
        if found["id"] == name:
            return _answer(found)
    raise ScimError(404, f"no ResourceType {name!r}")


@bp.get("/Schemas")
@public
def schemas():
    """The User, Group and enterprise extension schemas as lxp fills them."""
    found = protocol.schemas(_base())
    return _answer(protocol.list_response(found, len(found), 1))


@bp.get("/Schemas/<path:urn>")
@public
def schema(urn: str):
    """One schema. 404 when unknown."""
    for found in protocol.schemas(_base()):
        if found["id"] == urn:
            return _answer(found)
    raise ScimError(404, f"no Schema {urn!r}")


# --- Users ------------------------------------------------------------------------------------


def _user_resource(pair) -> dict:
    return users.resource(pair[0], pair[1], _base())


@bp.post("/.search")
@public
def search_everything():
    """A SearchRequest over Users, then Groups (one page across both)."""
    query = _query()
    start, count = protocol.paging(query.get("startIndex"), query.get("count"))
    found, users_total = _page_of(users.search, _user_resource, query, start, count)
    group_start = max(1, start - users_total)
    room = count - len(found)
    more, groups_total = _page_of(groups.search, _group_resource, query, group_start, room if room > 0 else 0)
    return _answer(protocol.list_response(found + more, users_total + groups_total, start))


@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
def unknown(anything: str):
    """Anything else under the base: a SCIM 404, or 405 where the address exists for other methods."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "scim.unknown":
            allowed.append(method)
    if allowed:
        return _answer(
            ScimError(405, f"{request.method} is not allowed here").body(), 405, {"Allow": ", ".join(allowed)}
        )
    raise ScimError(404, f"nothing at {request.path}")


@bp.post("/Users/.search")
@public
def search_users():
    """A SearchRequest over the organisation's people."""
    return _listing(users.search, _user_resource)


@bp.get("/Users")
@public
def list_users():
    """The organisation's people: ``filter``, ``startIndex``, ``count``, ``sortBy``, ``sortOrder``."""
    return _listing(users.search, _user_resource)


@bp.post("/Users")
@public
def create_user():
    """Make a person (201), or 409 ``uniqueness``."""
    user, row = users.create(_organisation(), _body())
    body = _user_resource((user, row))
    return _answer(body, 201, {"Location": body["meta"]["location"]})


@bp.get("/Users/<ident>")
@public
def get_user(ident: str):
    """One person, or 404."""
    body = _user_resource(users.find(_organisation(), ident))
    if request.headers.get("If-None-Match") == body["meta"]["version"]:
        return Response(status=304, headers={"ETag": body["meta"]["version"]})
    return _answer(_project(body))


@bp.put("/Users/<ident>")
@public
def replace_user(ident: str):
    """Replace what the directory says of a person."""
    user, row = users.find(_organisation(), ident)
    _check_version(_user_resource((user, row)))
    row = users.replace(_organisation(), user, row, _body())
    return _answer(_user_resource((user, row)))


@bp.patch("/Users/<ident>")
@public
def patch_user(ident: str):
    """Apply PATCH operations (``active`` among them: false deactivates at once)."""
    user, row = users.find(_organisation(), ident)
    current = _user_resource((user, row))
    _check_version(current)
    changed = patch.apply(current, _body().get("Operations"), frozenset({"id", "meta", "groups"}))
    row = users.replace(_organisation(), user, row, changed)
    return _answer(_user_resource((user, row)))


@bp.delete("/Users/<ident>")
@public
def delete_user(ident: str):
    """Deactivate the person (sessions, API tokens and push end) and hide them from SCIM."""
    user, row = users.find(_organisation(), ident)
    _check_version(_user_resource((user, row)))
    users.delete(user, row)
    return Response(status=204)


# --- Groups -----------------------------------------------------------------------------------


def _group_resource(group) -> dict:
    return groups.resource(group, _base())


@bp.post("/Groups/.search")
@public
def search_groups():
    """A SearchRequest over the organisation's groups."""
    return _listing(groups.search, _group_resource)


@bp.get("/Groups")
@public
def list_groups():
    """The organisation's directory groups (each fills a cohort)."""
    return _listing(groups.search, _group_resource)


@bp.post("/Groups")
@public
def create_group():
    """Make a group and its cohort (201), or 409 ``uniqueness``."""
    group = groups.create(_organisation(), _body())
    body = _group_resource(group)
    return _answer(body, 201, {"Location": body["meta"]["location"]})


@bp.get("/Groups/<ident>")
@public
def get_group(ident: str):
    """One group, or 404."""
    body = _group_resource(groups.find(_organisation(), ident))
    if request.headers.get("If-None-Match") == body["meta"]["version"]:
        return Response(status=304, headers={"ETag": body["meta"]["version"]})
    return _answer(_project(body))


@bp.put("/Groups/<ident>")
@public
def replace_group(ident: str):
    """Replace a group's name and members."""
    group = groups.find(_organisation(), ident)
    _check_version(_group_resource(group))
    groups.replace(group, _body())
    return _answer(_group_resource(group))


@bp.patch("/Groups/<ident>")
@public
def patch_group(ident: str):
    """Apply PATCH operations (``members`` added, replaced or removed by filter)."""
    group = groups.find(_organisation(), ident)
    current = _group_resource(group)
    _check_version(current)
    changed = patch.apply(current, _body().get("Operations"), frozenset({"id", "meta"}))
    groups.replace(group, changed)
    return _answer(_group_resource(group))


@bp.delete("/Groups/<ident>")
@public
def delete_group(ident: str):
    """Delete a group: its people leave what it gave them; the cohort stays."""
    group = groups.find(_organisation(), ident)
    _check_version(_group_resource(group))
    groups.delete(group)
    return Response(status=204)


# --- the admin's page -------------------------------------------------------------------------


class ScimTokenForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Which directory uses it, e.g. “Entra ID”."))  # fmt: skip


def _page(form, secret=None, status=200):
    provisioned = db.session.execute(
        select(User, ScimUser).join(ScimUser, ScimUser.user_id == User.id)
        .where(User.organisation_id == current_user.organisation_id, ScimUser.provisioned)
        .order_by(ScimUser.updated_at.desc()).limit(50)
    ).all()  # fmt: skip
    return render_template("scim/admin.html", form=form, secret=secret, revoke_form=ConfirmForm(),
                           tokens=tokens.tokens_of(current_user.organisation_id), provisioned=provisioned,
                           base_url=url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0])  # fmt: skip


@admin_bp.get("")
def page():
    """The SCIM base URL, the organisation's tokens and the people SCIM made."""
    return _page(ScimTokenForm())


@admin_bp.post("/tokens")
def create_token():
    """Make a token and show its secret in this response only (never stored, never cached)."""
    form = ScimTokenForm()
    if not form.validate_on_submit():
        return _page(form), 400
    try:
        _token, secret = tokens.create_token(current_user, form.name.data)
    except ServiceError as error:
        show_form_error(form, error)
        return _page(form), 400
    response = make_response(_page(ScimTokenForm(formdata=None), secret=secret), 201)
    response.headers["Cache-Control"] = "no-store"
    return response


@admin_bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke a token; the directory using it is refused from the next call."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            token = tokens.revoke_token(current_user, token_id)
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
        else:
            flash(_("“%(name)s” is revoked; the directory using it can no longer provision.", name=token.name),
                  "success")  # fmt: skip
    return redirect(url_for("scim_admin.page"))
