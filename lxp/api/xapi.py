"""The learning events as xAPI 1.0.3 statements, for admins (an LRS-style read API).

``GET /api/v1/xapi/statements`` answers ``{"statements": [...], "more": "<address>"}`` as an
LRS does: ``since``/``until`` bound the stored time, ``ascending`` turns the order, and
``more`` is the address of the next page ("" on the last one), signed and bound to the query.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import marshmallow as ma
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeSerializer

from lxp.api.common import area
from lxp.core.time import utcnow
from lxp.lrs import services
from lxp.lrs.statements import XAPI_VERSION, timestamp

bp = area("xapi", "Learning events as xAPI 1.0.3 statements (admins)", "admin", admin=True)


class StatementQuery(ma.Schema):
    since = ma.fields.AwareDateTime(load_default=None, metadata={"description": "stored after this moment"})
    until = ma.fields.AwareDateTime(load_default=None, metadata={"description": "stored at or before this moment"})
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 500))
    ascending = ma.fields.Boolean(load_default=False, metadata={"description": "oldest first"})
    more = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000),
                            metadata={"description": "the token in the previous answer's more address"})  # fmt: skip


class StatementSchema(ma.Schema):
    """An xAPI 1.0.3 statement (see the xAPI specification for the nested objects)."""

    class Meta:
        unknown = ma.INCLUDE

    id = ma.fields.UUID(required=True)
    actor = ma.fields.Dict(required=True)
    verb = ma.fields.Dict(required=True)
    object = ma.fields.Dict(required=True)
    result = ma.fields.Dict()
    context = ma.fields.Dict()
    timestamp = ma.fields.String(required=True)
    stored = ma.fields.String(required=True)
    version = ma.fields.String(required=True)


class StatementResultSchema(ma.Schema):
    statements = ma.fields.List(ma.fields.Nested(StatementSchema), required=True)
    more = ma.fields.String(required=True, metadata={"description": "the next page's address, or empty"})


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp.api.xapi-more")


@bp.get("/statements")
@bp.arguments(StatementQuery, location="query")
@bp.response(200, StatementResultSchema, headers={"X-Experience-API-Version": {"schema": {"type": "string"}}})
def statements(args):
    """Statements of your organisation, newest first (``ascending`` for oldest first), stored
    after ``since`` and up to ``until``; follow ``more`` for the next page."""
    after, query = None, {k: args[k] for k in ("since", "until", "ascending", "limit")}
    if args["more"]:
        try:
            data = _serializer().loads(args["more"])
        except BadSignature:
            abort(400, message=_l("This more token is not valid."))
        if not isinstance(data, dict) or data.get("u") != current_user.id:
            abort(400, message=_l("This more token belongs to another list."))
        query = {"since": _moment(data["since"]), "until": _moment(data["until"]), "ascending": data["ascending"],
                 "limit": data["limit"]}  # fmt: skip
        after = services.Position(datetime.fromisoformat(data["at"]), uuid.UUID(data["id"]))
    # A fixed ``until`` keeps later pages consistent while new events arrive.
    query["until"] = query["until"] or utcnow()
    found, last = services.statements_page(current_user, after=after, **query)
    more = ""
    if last is not None:
        token = _serializer().dumps({"u": current_user.id, "since": _iso(query["since"]), "until": _iso(query["until"]),
                                     "ascending": query["ascending"], "limit": query["limit"],
                                     "at": last.stored.isoformat(), "id": str(last.id)})  # fmt: skip
        more = url_for("api_xapi.statements", more=token)
    headers = {"X-Experience-API-Version": XAPI_VERSION, "X-Experience-API-Consistent-Through": timestamp(utcnow())}
    return {"statements": found, "more": more}, 200, headers


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def _moment(value):
    return datetime.fromisoformat(value) if value else None
