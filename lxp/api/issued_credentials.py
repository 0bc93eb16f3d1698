"""For admins: the credentials the organisation issued, and revoking one."""

from __future__ import annotations

import uuid

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.api.credentials import CredentialSchema, SignedCredentialSchema, after_of, page_key, signed, summary
from lxp.api.paging import PageArgs, cursor, page_of, page_schema
from lxp.credentials import services as credentials

bp = area("issued_credentials", "For admins: credentials issued by the organisation, and revocation", "admin",
          admin=True)  # fmt: skip


class IssuedCredentialSchema(CredentialSchema):
    learner_id = ma.fields.Integer()
    goal_id = ma.fields.Integer(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    revoke_reason = ma.fields.String()


class IssuedSignedSchema(SignedCredentialSchema, IssuedCredentialSchema):
    pass


class RevocationSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, credentials.MAX_REASON))


IssuedPage = page_schema(IssuedCredentialSchema, "IssuedCredentialPage")


def _issued(credential, full: bool = False) -> dict:
    base = signed(credential) if full else summary(credential)
    return {**base, "learner_id": credential.learner_id, "goal_id": credential.goal_id,
            "revoked_at": credential.revoked_at, "revoke_reason": credential.revoke_reason}  # fmt: skip


@bp.get("/credentials")
@bp.arguments(PageArgs, location="query")
@bp.response(200, IssuedPage)
def list_issued(args):
    """Credentials your organisation issued, newest first."""
    after = after_of(cursor(args["page_token"], list_name="admin.credentials"))
    rows = credentials.page_of_organisation(current_user, args["limit"], after)
    return page_of([_issued(c) for c in rows], list_name="admin.credentials", key=page_key, limit=args["limit"])


@bp.get("/credentials/<uuid:credential_id>")
@bp.response(200, IssuedSignedSchema)
def get_issued(credential_id: uuid.UUID):
    """One credential of your organisation, with its signed form."""
    return _issued(credentials.credential_in(current_user, credential_id), full=True)


@bp.post("/credentials/<uuid:credential_id>/revocation")
@bp.arguments(RevocationSchema)
@bp.response(200, IssuedCredentialSchema)
def revoke(change, credential_id: uuid.UUID):
    """Revoke a credential with a reason (kept for you; verifiers see only "revoked").
    Revoking a revoked one changes nothing."""
    credential = credentials.credential_in(current_user, credential_id)
    return _issued(credentials.revoke(current_user, credential, change["reason"]))
