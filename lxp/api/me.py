"""The signed-in person: profile and preferences."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.accounts import services as accounts
from lxp.api.common import area

bp = area("me", "The signed-in person's profile and preferences")


class ProfileSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(dump_only=True)
    display_name = ma.fields.String(validate=ma.validate.Length(1, 120))
    locale = ma.fields.String(allow_none=True, metadata={"description": "en, de, ru, or null for the browser's"})
    timezone = ma.fields.String(metadata={"description": "an IANA zone, e.g. Europe/Berlin"})
    roles = ma.fields.List(ma.fields.String(), dump_only=True)


class ProfileChangeSchema(ma.Schema):
    display_name = ma.fields.String(validate=ma.validate.Length(1, 120))
    locale = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=8))
    timezone = ma.fields.String(validate=ma.validate.Length(1, 64))


def _profile(user) -> dict:
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "locale": user.locale,
            "timezone": user.timezone, "roles": sorted(user.roles)}  # fmt: skip


@bp.get("/me")
@bp.response(200, ProfileSchema)
def get_profile():
    """Who you are: name, language, time zone, roles."""
    return _profile(current_user)


@bp.patch("/me")
@bp.arguments(ProfileChangeSchema)
@bp.response(200, ProfileSchema)
def change_profile(change):
    """Change your name, language or time zone; fields left out stay as they are."""
    accounts.update_profile(current_user, change.get("display_name", current_user.display_name),
                            change.get("locale", current_user.locale), change.get("timezone", current_user.timezone))  # fmt: skip
    return _profile(current_user)
