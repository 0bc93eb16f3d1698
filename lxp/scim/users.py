"""SCIM Users: the people of one organisation as its directory sees them.

A User resource is an lxp account of the token's organisation: ``userName`` is the directory's
login name (lxp's e-mail address when the directory never sent one), the primary (else first)
of ``emails`` or else ``userName`` is the account's e-mail, ``displayName`` (else ``name``) its
name, ``preferredLanguage``/``locale`` its language when lxp has it, ``timezone`` its zone when
valid, ``active`` whether it may sign in. The enterprise extension's ``employeeNumber`` and
``department`` are stored and given back; the department also puts the person in the
organisation unit of that name (``accounts.joining``), and the manager sets their reporting line;
its other attributes are ignored. ``active: false`` and DELETE go through ``accounts.deactivate`` (sessions end,
API tokens are revoked, push subscriptions removed); DELETE also hides the person from SCIM,
keeping the account and its history. Neither may touch the break-glass admin (a 403 saying why). Nobody of another organisation is ever read or changed.
"""

from __future__ import annotations

from sqlalchemy import func, select

from lxp.accounts import joining, security_notices
from lxp.accounts import services as accounts
from lxp.accounts.models import NO_PASSWORD, User, UserRole
from lxp.audit import services as audit
from lxp.core.errors import Invalid
from lxp.core.time import is_valid_timezone, utcnow
from lxp.extensions import db
from lxp.scim import querying
from lxp.scim.models import ScimGroup, ScimUser, scim_group_members
from lxp.scim.protocol import ENTERPRISE, USER, ScimError, timestamp, to_milliseconds, version_of
from lxp.sso import provisioning
from lxp.sso.models import CompanySignIn

DEFAULT_ROLE = "learner"


def _attributes() -> dict:
    enterprise = ENTERPRISE.lower() + ":"
    return {
        "id": (User.id, "id"),
        "username": (func.coalesce(ScimUser.user_name, User.email), "text"),
        "emails": (User.email, "text"),
        "emails.value": (User.email, "text"),
        "emails.type": ("work", "const"),
        "emails.primary": (True, "const"),
        "externalid": (ScimUser.external_id, "exact"),
        "displayname": (User.display_name, "text"),
        "name.givenname": (ScimUser.given_name, "text"),
        "name.familyname": (ScimUser.family_name, "text"),
        "active": (User.active, "bool"),
        "meta.created": (User.created_at, "time"),
        "meta.lastmodified": (func.coalesce(ScimUser.updated_at, User.created_at), "time"),
        enterprise + "employeenumber": (ScimUser.employee_number, "exact"),
        enterprise + "department": (ScimUser.department, "text"),
    }


def _visible(organisation_id: int):
    return (
        select(User, ScimUser)
        .outerjoin(ScimUser, ScimUser.user_id == User.id)
        .where(User.organisation_id == organisation_id, ScimUser.deleted_at.is_(None))
    )


def search(organisation_id: int, filter_text: str | None, start: int, count: int,
           sort_by: str | None = None, descending: bool = False) -> tuple[list[tuple[User, ScimUser | None]], int]:  # fmt: skip
    """One page of the organisation's people matching the filter, and how many match in all.
    Raises ``ScimError`` 400 ``invalidFilter``."""
    counting, reading = querying.page_of(_visible(organisation_id), filter_text, _attributes(), sort_by, descending,
                                         start, count, User.id)  # fmt: skip
    return [(user, row) for user, row in db.session.execute(reading).all()], db.session.scalar(counting)


def find(organisation_id: int, ident: str) -> tuple[User, ScimUser | None]:
    """The organisation's person with this SCIM id. Raises ``ScimError`` 404."""
    if not ident.isdigit() or len(ident) > 18:
        raise ScimError(404, f"no User {ident!r}")
    found = db.session.execute(_visible(organisation_id).where(User.id == int(ident))).first()
    if found is None:
        raise ScimError(404, f"no User {ident!r}")
    return found[0], found[1]


def _groups_of(user: User) -> list[ScimGroup]:
    return list(db.session.scalars(
        select(ScimGroup).join(scim_group_members).where(scim_group_members.c.user_id == user.id).order_by(ScimGroup.id)
    ))  # fmt: skip


def resource(user: User, row: ScimUser | None, base: str) -> dict:
    """The User resource of a person (``base``: the SCIM base URL)."""
    kept = dict(row.attributes or {}) if row is not None else {}
    emails = kept.get("emails")
    primary = _chosen_email(emails) if emails else None
    if primary is None or primary.lower() != user.email:
        emails = [{"value": user.email, "type": "work", "primary": True}]
    body: dict = {"schemas": [USER], "id": str(user.id)}
    if row is not None and row.external_id is not None:
        body["externalId"] = row.external_id
    body["userName"] = row.user_name if row is not None else user.email
    if kept.get("name"):
        body["name"] = kept["name"]
    if row is None or kept.get("displayName"):  # lxp's name, unless the directory removed it
        body["displayName"] = user.display_name
    body["emails"] = emails
    for key in ("preferredLanguage", "locale"):  # as the directory sent them; lxp's own before it did
        value = kept.get(key) if row is not None else user.locale
        if value:
            body[key] = value
    if row is None or kept.get("timezone"):
        body["timezone"] = kept.get("timezone") or user.timezone
    body["active"] = user.active
    groups = _groups_of(user)
    if groups:
        body["groups"] = [{"value": f"g{group.id}", "display": group.display_name, "$ref": f"{base}/Groups/g{group.id}",
                           "type": "direct"} for group in groups]  # fmt: skip
    if row is not None and (row.employee_number is not None or row.department is not None):
        body["schemas"].append(ENTERPRISE)
        body[ENTERPRISE] = {key: value for key, value in (("employeeNumber", row.employee_number),
                                                          ("department", row.department)) if value is not None}  # fmt: skip
    modified = row.updated_at if row is not None else user.created_at
    body["meta"] = {"resourceType": "User", "created": timestamp(user.created_at), "lastModified": timestamp(modified),
                    "location": f"{base}/Users/{user.id}"}  # fmt: skip
    body["meta"]["version"] = version_of(body)
    return body


# --- reading what the directory sent ---------------------------------------------------------


def _text(value, name: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ScimError(400, f"{name} is required", "invalidValue")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ScimError(400, f"{name} must be text of at most {limit} characters", "invalidValue")
    return value.strip() or None


def boolean(value, name: str) -> bool:
    """A SCIM boolean; "True"/"False" as text too (Entra ID sends them so in PATCH)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ScimError(400, f"{name} must be true or false", "invalidValue")


def _chosen_email(emails) -> str | None:
    if not isinstance(emails, list):
        return None
    values = [item for item in emails if isinstance(item, dict) and isinstance(item.get("value"), str)]
    primary = [item for item in values if item.get("primary") is True]
    chosen = (primary or values or [None])[0]
    return chosen["value"] if chosen else None


def _manager_id(value) -> str | None:
    """The enterprise extension's ``manager.value`` (the manager's SCIM id), if any."""
    if isinstance(value, dict):
        value = _lower_keys(value).get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _lower_keys(data: dict) -> dict:
    return {key.lower(): value for key, value in data.items()} if isinstance(data, dict) else {}


def _read(data: dict) -> dict:
    """What lxp takes from a User resource; raises ``ScimError`` 400 for a bad value."""
    if not isinstance(data, dict):
        raise ScimError(400, "a User is a JSON object", "invalidSyntax")
    fields = _lower_keys(data)
    user_name = _text(fields.get("username"), "userName", 254, required=True)
    emails = fields.get("emails")
    if emails is not None and not isinstance(emails, list):
        raise ScimError(400, "emails must be a list", "invalidValue")
    raw_email = _chosen_email(emails) or user_name
    try:
        email = accounts.normalise_email(raw_email)
    except Invalid:
        raise ScimError(400, "lxp needs an e-mail address: in emails or as userName", "invalidValue") from None
    name = fields.get("name") if isinstance(fields.get("name"), dict) else {}
    name_fields = _lower_keys(name)
    given = _text(name_fields.get("givenname"), "name.givenName", 120)
    family = _text(name_fields.get("familyname"), "name.familyName", 120)
    display = (_text(fields.get("displayname"), "displayName", 500) or _text(name_fields.get("formatted"), "name.formatted", 500)
               or " ".join(part for part in (given, family) if part) or email.partition("@")[0])  # fmt: skip
    enterprise = _lower_keys(data.get(ENTERPRISE) or {})
    for key, value in data.items():  # the extension's URN is case-insensitive too
        if key.lower() == ENTERPRISE.lower() and isinstance(value, dict):
            enterprise = _lower_keys(value)
    kept = {key: fields[key.lower()] for key in ("displayName", "preferredLanguage", "locale", "timezone")
            if isinstance(fields.get(key.lower()), str) and fields[key.lower()]}  # fmt: skip
    if name:
        kept["name"] = {key: value for key, value in name.items() if isinstance(value, str)}
    if emails:
        kept["emails"] = [item for item in emails if isinstance(item, dict)]
    active = fields.get("active")
    return {
        "user_name": user_name,
        "address": email,
        "display_name": display[:120],
        "given_name": given,
        "family_name": family,
        "external_id": _text(fields.get("externalid"), "externalId", 255),
        "employee_number": _text(enterprise.get("employeenumber"), "employeeNumber", 64),
        "department": _text(enterprise.get("department"), "department", 120),
        "manager": _manager_id(enterprise.get("manager")),
        "language": provisioning.supported_locale(fields.get("preferredlanguage") or fields.get("locale")
                                                  if isinstance(fields.get("preferredlanguage") or fields.get("locale"), str) else None),  # fmt: skip
        "timezone": fields.get("timezone") if isinstance(fields.get("timezone"), str) and is_valid_timezone(fields["timezone"]) else None,
        "active": None if active is None else boolean(active, "active"),
        "kept": kept,
    }  # fmt: skip


def _check_unique(organisation_id: int, values: dict, user_id: int | None) -> None:
    owner = db.session.scalar(select(User.id).where(User.email == values["address"]))
    if owner is not None and owner != user_id:
        raise ScimError(409, "another person has this e-mail address", "uniqueness")
    taken = db.session.scalar(select(ScimUser.user_id).where(
        ScimUser.organisation_id == organisation_id, func.lower(ScimUser.user_name) == values["user_name"].lower(),
        ScimUser.user_id != (user_id or 0)))  # fmt: skip
    if taken is not None:
        raise ScimError(409, "another User has this userName", "uniqueness")
    if values["external_id"] is not None:
        taken = db.session.scalar(select(ScimUser.user_id).where(
            ScimUser.organisation_id == organisation_id, ScimUser.external_id == values["external_id"],
            ScimUser.user_id != (user_id or 0)))  # fmt: skip
        if taken is not None:
            raise ScimError(409, "another User has this externalId", "uniqueness")


def _refuse_ending_break_glass(user: User) -> None:
    """The break-glass admin is the way in on the day the provider is down: a directory that
    deactivated them (by a sync rule, or by mistake) would lock the organisation out. Raises
    ``ScimError`` 403 saying so; an admin changes the break-glass admin in lxp first."""
    settings = db.session.get(CompanySignIn, user.organisation_id)
    if settings is not None and settings.break_glass_user_id == user.id:
        raise ScimError(403, "this person is the organisation's break-glass admin, who must stay able to sign in "
                             "when the identity provider is down; choose another break-glass admin in lxp first")  # fmt: skip


def _set_active(user: User, active: bool) -> None:
    if not active:
        _refuse_ending_break_glass(user)
    if active == user.active:
        if not active:
            accounts.deactivate(user)  # repeated: makes sure nothing came back since
        return
    audit.record("account_reactivated" if active else "account_deactivated", organisation_id=user.organisation_id,
                 subject_type="user", subject_id=user.id, details={"by": "scim"})  # fmt: skip
    if active:
        user.active = True
        user.auth_version += 1
    else:
        accounts.deactivate(user)


def _write(user: User, row: ScimUser, values: dict) -> None:
    if user.id is not None and user.email != values["address"]:
        security_notices.notify(user, "email_changed")  # to the old address, before it changes
    user.email = values["address"]
    user.display_name = values["display_name"]
    if values["language"]:
        user.locale = values["language"]
    if values["timezone"]:
        user.timezone = values["timezone"]
    row.user_name = values["user_name"]
    row.external_id = values["external_id"]
    row.given_name, row.family_name = values["given_name"], values["family_name"]
    row.employee_number, row.department = values["employee_number"], values["department"]
    row.attributes = values["kept"]
    row.deleted_at = None
    row.updated_at = to_milliseconds(utcnow())
    if values["active"] is not None:  # absent (or removed): unchanged, never reactivated by omission
        _set_active(user, values["active"])
    db.session.flush()
    if user.active:  # units, reporting lines and assignments follow the directory
        joining.person_changed(user, department=values["department"], manager=values["manager"])


def create(organisation_id: int, data: dict) -> tuple[User, ScimUser]:
    """A person made, or one SCIM deleted brought back (reactivated). Any other account with the
    e-mail is a 409 ``uniqueness``: the directory finds it with a filter on userName and PATCHes
    it. Raises ``ScimError`` 400 and 409."""
    values = _read(data)
    values["active"] = True if values["active"] is None else values["active"]  # made or brought back: active
    user = db.session.scalar(select(User).where(User.email == values["address"]))
    row = db.session.get(ScimUser, user.id) if user is not None else None
    if user is not None and (user.organisation_id != organisation_id or row is None or row.deleted_at is None):
        raise ScimError(409, "a User with this e-mail address exists", "uniqueness")
    _check_unique(organisation_id, values, user.id if user is not None else None)
    if user is None:
        settings = db.session.get(CompanySignIn, organisation_id)
        user = User(organisation_id=organisation_id, email=values["address"], display_name=values["display_name"],
                    password_hash=NO_PASSWORD if settings is not None and settings.enabled else None,
                    invited_at=None, timezone=values["timezone"] or "UTC", role_rows=[UserRole(role=DEFAULT_ROLE)])  # fmt: skip
        db.session.add(user)
        db.session.flush()
        row = ScimUser(
            user_id=user.id, organisation_id=organisation_id, user_name=values["user_name"], provisioned=True
        )
        db.session.add(row)
    _write(user, row, values)
    return user, row


def replace(organisation_id: int, user: User, row: ScimUser | None, data: dict) -> ScimUser:
    """PUT: the person as the resource says. Raises ``ScimError`` 400, 409."""
    values = _read(data)
    _check_unique(organisation_id, values, user.id)
    if row is None:
        row = ScimUser(user_id=user.id, organisation_id=organisation_id, user_name=values["user_name"])
        db.session.add(row)
    _write(user, row, values)
    return row


def delete(user: User, row: ScimUser | None) -> None:
    """DELETE: deactivate the person (sessions, tokens, push end) and hide them from SCIM."""
    _refuse_ending_break_glass(user)
    if row is None:
        row = ScimUser(user_id=user.id, organisation_id=user.organisation_id, user_name=user.email)
        db.session.add(row)
    _set_active(user, False)
    row.deleted_at = row.updated_at = to_milliseconds(utcnow())
    db.session.flush()
