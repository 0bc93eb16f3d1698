"""The learning events as xAPI 1.0.3 statements (an LRS-style read API).

``GET /api/v1/xapi/statements`` answers as an LRS does (Communication 2.1.3): one statement
for ``statementId`` or ``voidedStatementId``, otherwise ``{"statements": [...], "more": …}``
newest first, filtered by ``agent``, ``verb``, ``activity``, ``registration`` (broadened by
``related_agents``/``related_activities``), bounded by ``since``/``until``, in the asked
``format``; voided statements only by ``voidedStatementId``. ``more`` is the address of the
next page ("" on the last one), signed and bound to the query and the reader. An unknown or
malformed parameter is a 400. An admin whose access allows admin resources reads the
organisation's statements, everyone else their own. ``GET /api/v1/xapi/about`` is open to
anyone, as the About resource is meant to be.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import marshmallow as ma
from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint, abort
from itsdangerous import BadSignature, URLSafeSerializer

from lxp.api.auth import token_in_use
from lxp.api.common import area
from lxp.core.auth import public
from lxp.core.time import utcnow
from lxp.lrs import services
from lxp.lrs.filters import FORMATS, StatementFilter, ifi, shaped
from lxp.lrs.statements import XAPI_VERSION, timestamp

bp = area("xapi", "Learning events as xAPI 1.0.3 statements (yours; an admin's whole organisation)")
about_bp = Blueprint("api_xapi_about", __name__, description="What this xAPI side speaks (open to anyone)")
about_bp.name = "api_xapi_about"

MAX_LIMIT = 500
QUERY_DEFAULTS = {"related_activities": False, "related_agents": False, "limit": 100, "format": "exact",
                  "attachments": False, "ascending": False}  # fmt: skip
SINGLE_ALLOWED = {"statementId", "voidedStatementId", "format", "attachments"}
VERSION_HEADER = {"X-Experience-API-Version": {"schema": {"type": "string"}}}


class AgentJson(ma.fields.String):
    """An Agent or identified Group as JSON text, read as its inverse functional identifier."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            agent = json.loads(text)
        except ValueError:
            raise ma.ValidationError(str(_l("Give the agent as JSON, e.g. %(example)s.",
                                            example='{"account": {"homePage": "…", "name": "…"}}'))) from None  # fmt: skip
        found = ifi(agent)
        if found is None or sum(key in agent for key in ("mbox", "mbox_sha1sum", "openid", "account")) != 1:
            raise ma.ValidationError(str(_l("The agent needs exactly one identifier: mbox, mbox_sha1sum, openid "
                                            "or account (homePage and name).")))  # fmt: skip
        return found


class StatementQuerySchema(ma.Schema):
    """The xAPI 1.0.3 GET statements parameters (and ``more``, lxp's next-page token)."""

    class Meta:
        unknown = ma.RAISE

    statementId = ma.fields.UUID(metadata={"description": "one statement by id (not a voided one)"})  # noqa: N815
    voidedStatementId = ma.fields.UUID(metadata={"description": "one voided statement by id"})  # noqa: N815
    agent = AgentJson(metadata={"description": 'an Agent as JSON: {"account": {"homePage": "<lxp>", "name": "<user id>"}}'})  # fmt: skip
    verb = ma.fields.String(validate=ma.validate.Length(max=500), metadata={"description": "verb IRI"})
    activity = ma.fields.String(validate=ma.validate.Length(max=1000), metadata={"description": "activity IRI"})
    registration = ma.fields.UUID(metadata={"description": "context.registration (a learner's journey)"})
    # No defaults in the document: a generated client then sends only what its caller gives,
    # and a ``statementId`` request stays free of other parameters (xAPI answers those 400).
    related_activities = ma.fields.Boolean(metadata={"description": "activity also in the context (default false)"})
    related_agents = ma.fields.Boolean(metadata={"description": "agent also as instructor (default false)"})
    since = ma.fields.AwareDateTime(metadata={"description": "stored after this moment"})
    until = ma.fields.AwareDateTime(metadata={"description": "stored at or before this moment"})
    limit = ma.fields.Integer(validate=ma.validate.Range(0, MAX_LIMIT),
                              metadata={"description": f"statements per page (default 100); 0 means the most ({MAX_LIMIT})"})  # fmt: skip
    format = ma.fields.String(validate=ma.validate.OneOf(FORMATS), metadata={"description": "exact (default), ids or canonical"})  # fmt: skip
    attachments = ma.fields.Boolean(metadata={"description": "lxp sends no attachments: only false"})
    ascending = ma.fields.Boolean(metadata={"description": "oldest first (default false)"})
    more = ma.fields.String(validate=ma.validate.Length(max=2000),
                            metadata={"description": "the token in the previous answer's more address"})  # fmt: skip

    @ma.validates_schema(pass_original=True)
    def _combinations(self, data, original, **kwargs):
        if data.get("attachments"):
            raise ma.ValidationError(str(_l("lxp's statements carry no attachments; leave attachments false.")),
                                     "attachments")  # fmt: skip
        single = {"statementId", "voidedStatementId"} & set(original)
        if len(single) > 1:
            raise ma.ValidationError(str(_l("Ask by statementId or by voidedStatementId, not both.")))
        others = set(original) - SINGLE_ALLOWED
        if single and others:
            raise ma.ValidationError(str(_l("With %(name)s only format and attachments may be given, not %(others)s.",
                                            name=next(iter(single)), others=", ".join(sorted(others)))))  # fmt: skip
        if "more" in original and set(original) != {"more"}:
            raise ma.ValidationError(str(_l("Follow the more address as it is, without other parameters.")), "more")


class AgentSchema(ma.Schema):
    """An xAPI Agent: lxp names a person by their account on lxp only."""

    class Meta:
        unknown = ma.INCLUDE

    objectType = ma.fields.String()  # noqa: N815
    account = ma.fields.Dict(metadata={"description": "homePage (lxp's address) and name (the user id)"})


class StatementSchema(ma.Schema):
    """An xAPI 1.0.3 statement (see the xAPI specification for the nested objects)."""

    class Meta:
        unknown = ma.INCLUDE

    id = ma.fields.UUID(required=True)
    actor = ma.fields.Nested(AgentSchema, required=True)
    verb = ma.fields.Dict(required=True)
    object = ma.fields.Dict(required=True)
    result = ma.fields.Dict(metadata={"description": "xAPI result: score, success, completion, duration, …"})
    context = ma.fields.Dict(metadata={"description": "xAPI context: registration, instructor, contextActivities, …"})
    timestamp = ma.fields.String(required=True)
    stored = ma.fields.String(required=True)
    version = ma.fields.String(required=True)


class StatementListSchema(ma.Schema):
    """xAPI's StatementResult: a page of statements and the address of the next one."""

    statements = ma.fields.List(ma.fields.Nested(StatementSchema), required=True)
    more = ma.fields.String(required=True, metadata={"description": "the next page's address, or empty"})


class AboutSchema(ma.Schema):
    version = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "xAPI versions spoken"})


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp.api.xapi-more")


def _whole_organisation() -> bool:
    """An admin reads the organisation's statements, unless a token without the admin scope is used."""
    token = token_in_use()
    return current_user.has_role("admin") and (token is None or token.allows("admin"))


def _languages() -> list[str]:
    return [language for language, _quality in request.accept_languages]


@bp.get("/statements")
@bp.arguments(StatementQuerySchema, location="query", error_status_code=400, unknown=ma.RAISE)
@bp.response(200)
@bp.doc(responses={"200": {"description": "A StatementResult, or one Statement for statementId or voidedStatementId",
                           "headers": VERSION_HEADER,
                           "content": {"application/json": {"schema": {"oneOf": [StatementListSchema, StatementSchema]}}}}})  # fmt: skip
def statements(args):
    """Statements as an LRS answers them: one by ``statementId`` or ``voidedStatementId``, or a
    page of those meeting the filters, newest first (``ascending`` for oldest first); follow
    ``more`` for the next page."""
    args = {**QUERY_DEFAULTS, **args}
    headers = {"X-Experience-API-Version": XAPI_VERSION, "X-Experience-API-Consistent-Through": timestamp(utcnow())}
    whole = _whole_organisation()
    single = args.get("statementId") or args.get("voidedStatementId")
    if single is not None:
        found = services.one_statement(current_user, single, voided="voidedStatementId" in args,
                                       whole_organisation=whole)  # fmt: skip
        return current_app.json.response(shaped(found, args["format"], _languages())), 200, headers
    after, raw = None, {k: v for k, v in request.args.items() if k != "more"}
    if "more" in args:
        args, raw, after = _continue(args["more"], whole)
        args = {**QUERY_DEFAULTS, **args}
    # A fixed ``until`` keeps later pages consistent while new events arrive.
    until = args.get("until") or utcnow()
    reading = services.Reading(
        wanted=StatementFilter(agent=args.get("agent"), verb=args.get("verb"), activity=args.get("activity"),
                               registration=str(args["registration"]) if args.get("registration") else None,
                               related_activities=args["related_activities"], related_agents=args["related_agents"]),
        since=args.get("since"), until=until, ascending=args["ascending"], limit=args["limit"] or MAX_LIMIT)  # fmt: skip
    found, last = services.statements_page(current_user, reading, whole_organisation=whole, after=after)
    more = ""
    if last is not None:
        token = _serializer().dumps({"u": current_user.id, "w": whole, "q": {**raw, "until": until.isoformat()},
                                     "at": last.stored.isoformat(),
                                     "id": str(last.id)})  # fmt: skip
        more = url_for("api_xapi.statements", more=token)
    page = {"statements": [shaped(s, args["format"], _languages()) for s in found], "more": more}
    return page, 200, headers


def _continue(token: str, whole: bool) -> tuple[dict, dict, services.Position]:
    """The query and position a ``more`` token carries. Answers 400 for a forged token, or one
    made for another reader."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        abort(400, message=_l("This more token is not valid."))
    if not isinstance(data, dict) or data.get("u") != current_user.id or data.get("w") != whole:
        abort(400, message=_l("This more token belongs to another list."))
    return (
        StatementQuerySchema().load(data["q"]),
        data["q"],
        services.Position(datetime.fromisoformat(data["at"]), uuid.UUID(data["id"])),
    )


@about_bp.get("/about")
@about_bp.response(200, AboutSchema, headers=VERSION_HEADER)
@about_bp.doc(security=[])  # open to anyone, and documented so
@public
def about():
    """The xAPI versions this side speaks (the About resource); open without signing in."""
    return {"version": [XAPI_VERSION]}, 200, {"X-Experience-API-Version": XAPI_VERSION}
