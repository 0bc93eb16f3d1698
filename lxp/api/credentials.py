"""The signed-in person's own credentials (Open Badges 3.0, signed as VC-JWT)."""

from __future__ import annotations

import uuid
from datetime import datetime

import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort

from lxp.api.common import area
from lxp.api.paging import PageArgs, cursor, page_of, page_schema
from lxp.credentials import services as credentials

bp = area("credentials", "Your own credentials: what they say, their state and their signed form")


class CredentialSchema(ma.Schema):
    id = ma.fields.UUID()
    achievement = ma.fields.String(metadata={"description": "the achievement's name (the goal's title)"})
    learner_name = ma.fields.String()
    issued_at = ma.fields.AwareDateTime()
    valid_until = ma.fields.AwareDateTime(allow_none=True)
    state = ma.fields.String(metadata={"description": "active, expired or revoked"})
    reason = ma.fields.String(metadata={"description": "why it was issued: goal or assignment"})
    share_url = ma.fields.String(metadata={"description": "the public verification page"})


class SignedCredentialSchema(CredentialSchema):
    jwt = ma.fields.String(metadata={"description": "the signed credential (VC-JWT, EdDSA)"})
    credential = ma.fields.Dict(metadata={"description": "the OpenBadgeCredential inside the JWT"})


CredentialPage = page_schema(CredentialSchema, "CredentialPage")


def summary(credential) -> dict:
    return {"id": credential.id, "achievement": credential.achievement_name, "learner_name": credential.learner_name,
            "issued_at": credential.issued_at, "valid_until": credential.valid_until,
            "state": credentials.state_of(credential), "reason": credential.reason,
            "share_url": url_for("credentials.verify_shared", credential_id=credential.id, _external=True)}  # fmt: skip


def signed(credential) -> dict:
    return {**summary(credential), "jwt": credential.jwt, "credential": credentials.credential_json(credential)}


@bp.get("/me/credentials")
@bp.arguments(PageArgs, location="query")
@bp.response(200, CredentialPage)
def list_mine(args):
    """Your credentials, newest first."""
    after = after_of(cursor(args["page_token"], list_name="me.credentials"))
    rows = credentials.page_of_learner(current_user, args["limit"], after)
    return page_of([summary(c) for c in rows], list_name="me.credentials", key=page_key, limit=args["limit"])


def page_key(row: dict) -> tuple:
    """Where a page of credentials ends: newest first, ties by id (as the services order them)."""
    return row["issued_at"], str(row["id"])


def after_of(key: list | None) -> tuple[datetime, uuid.UUID] | None:
    """The (issued_at, id) a page token carries. Answers 400 for one that does not hold them."""
    if key is None:
        return None
    try:
        at, last = key
        return datetime.fromisoformat(at), uuid.UUID(last)
    except (TypeError, ValueError):
        abort(400, message=_l("This page token is not valid."))


@bp.get("/me/credentials/<uuid:credential_id>")
@bp.response(200, SignedCredentialSchema)
def get_mine(credential_id: uuid.UUID):
    """One of your credentials with its signed form; 404 for anyone else's."""
    return signed(credentials.own_credential(current_user, credential_id))
