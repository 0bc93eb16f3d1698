"""SCIM Groups: the directory's groups of one organisation, each filling a cohort.

A group is kept as the directory sent it (``displayName``, ``externalId``, ``members``: people of
the organisation, whatever their roles). Its effect on lxp goes through company sign-in's
mapping service (``sso.provisioning.apply_mappings``), so a directory group means the same
whether it arrives in a sign-in's groups claim or through SCIM:

- a group that the organisation's company sign-in maps to roles or cohorts gives exactly those
  (by its ``displayName``), and nothing else;
- any other group fills a cohort of its own name, made when the group is (or an existing cohort
  of that name, taken over), renamed with the group; its learners are its members.

Deleting a group empties what it gave; the cohort stays for the admin (its history, its coach).
"""

from __future__ import annotations

from sqlalchemy import exists, false, func, select

from lxp.accounts.models import User
from lxp.cohorts import services as cohorts
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.scim import querying
from lxp.scim.filters import FilterError
from lxp.scim.models import ScimGroup, ScimUser, scim_group_members
from lxp.scim.protocol import GROUP, ScimError, timestamp, to_milliseconds, version_of
from lxp.sso import provisioning
from lxp.sso.models import CompanySignIn


def _member_condition(op: str, value):
    if op == "pr":
        return exists().where(scim_group_members.c.group_id == ScimGroup.id)
    if op not in {"eq", "ne"} or not isinstance(value, str):
        raise FilterError("members.value compares with eq or ne and a User id")
    if not value.isdigit() or len(value) > 18:
        matched = false()
    else:
        matched = ScimGroup.id.in_(
            select(scim_group_members.c.group_id).where(scim_group_members.c.user_id == int(value))
        )
    return matched if op == "eq" else ~matched


# Group ids carry a "g" so that no Group shares an id with a User (RFC 7643 §3.1: ids are
# unique across all of a provider's resources; POST /.search lists both kinds).
ID_PREFIX = "g"


def scim_id(group: ScimGroup) -> str:
    return f"{ID_PREFIX}{group.id}"


def _number(ident) -> int | None:
    text = str(ident)
    digits = text[len(ID_PREFIX) :] if text.startswith(ID_PREFIX) else ""
    return int(digits) if digits.isdigit() and len(digits) < 18 else None


def _id_condition(op: str, value):
    if op not in {"eq", "ne"}:
        raise FilterError("ids compare with eq and ne only")
    number = _number(value)
    matched = ScimGroup.id == number if number is not None else false()
    return matched if op == "eq" else ~matched


ATTRIBUTES = {
    "id": (lambda op, value: _id_condition(op, value), "custom"),
    "displayname": (ScimGroup.display_name, "text"),
    "externalid": (ScimGroup.external_id, "exact"),
    "members": (_member_condition, "custom"),
    "members.value": (_member_condition, "custom"),
    "meta.created": (ScimGroup.created_at, "time"),
    "meta.lastmodified": (ScimGroup.updated_at, "time"),
}


def search(organisation_id: int, filter_text: str | None, start: int, count: int,
           sort_by: str | None = None, descending: bool = False) -> tuple[list[ScimGroup], int]:  # fmt: skip
    """One page of the organisation's groups matching the filter, and the number matching.
    Raises ``ScimError`` 400 ``invalidFilter``."""
    statement = select(ScimGroup).where(ScimGroup.organisation_id == organisation_id)
    counting, reading = querying.page_of(statement, filter_text, ATTRIBUTES, sort_by, descending, start, count,
                                         ScimGroup.id)  # fmt: skip
    return list(db.session.scalars(reading)), db.session.scalar(counting)


def find(organisation_id: int, ident: str) -> ScimGroup:
    """The organisation's group with this SCIM id. Raises ``ScimError`` 404."""
    number = _number(ident)
    group = db.session.get(ScimGroup, number) if number is not None else None
    if group is None or group.organisation_id != organisation_id:
        raise ScimError(404, f"no Group {ident!r}")
    return group


def resource(group: ScimGroup, base: str) -> dict:
    """The Group resource (``base``: the SCIM base URL)."""
    body: dict = {"schemas": [GROUP], "id": scim_id(group)}
    if group.external_id is not None:
        body["externalId"] = group.external_id
    body["displayName"] = group.display_name
    body["members"] = [{"value": str(user.id), "$ref": f"{base}/Users/{user.id}"} for user in group.members]
    body["meta"] = {"resourceType": "Group", "created": timestamp(group.created_at),
                    "lastModified": timestamp(group.updated_at), "location": f"{base}/Groups/{scim_id(group)}"}  # fmt: skip
    body["meta"]["version"] = version_of(body)
    return body


def _read(organisation_id: int, data: dict) -> dict:
    if not isinstance(data, dict):
        raise ScimError(400, "a Group is a JSON object", "invalidSyntax")
    fields = {key.lower(): value for key, value in data.items()}
    name = fields.get("displayname")
    if not isinstance(name, str) or not " ".join(name.split()):
        raise ScimError(400, "displayName is required", "invalidValue")
    name = " ".join(name.split())
    if len(name) > cohorts.NAME_LIMIT:
        raise ScimError(400, f"displayName has at most {cohorts.NAME_LIMIT} characters", "invalidValue")
    external_id = fields.get("externalid")
    if external_id is not None and (not isinstance(external_id, str) or len(external_id) > 255):
        raise ScimError(400, "externalId must be text", "invalidValue")
    members = fields.get("members") or []
    if not isinstance(members, list):
        raise ScimError(400, "members must be a list", "invalidValue")
    ids = set()
    for member in members:
        value = member.get("value") if isinstance(member, dict) else None
        if not isinstance(value, str | int) or not str(value).isdigit() or len(str(value)) > 18:
            raise ScimError(400, f"no User {value!r}", "invalidValue")
        ids.add(int(value))
    people = list(db.session.scalars(
        select(User).outerjoin(ScimUser, ScimUser.user_id == User.id)
        .where(User.id.in_(ids), User.organisation_id == organisation_id, ScimUser.deleted_at.is_(None))
    )) if ids else []  # fmt: skip
    if len(people) != len(ids):
        missing = sorted(ids - {person.id for person in people})
        raise ScimError(400, f"no User {str(missing[0])!r} in this organisation", "invalidValue")
    return {"display_name": name, "external_id": external_id or None, "members": people}


def _check_unique(organisation_id: int, values: dict, group_id: int | None) -> None:
    taken = db.session.scalar(select(ScimGroup.id).where(
        ScimGroup.organisation_id == organisation_id,
        func.lower(ScimGroup.display_name) == values["display_name"].lower(), ScimGroup.id != (group_id or 0)))  # fmt: skip
    if taken is not None:
        raise ScimError(409, "another Group has this displayName", "uniqueness")


def _mapped_names(settings: CompanySignIn | None) -> set[str]:
    if settings is None:
        return set()
    return {group for group, _target in list(settings.role_mapping or []) + list(settings.cohort_mapping or [])}


def _own_cohort(group: ScimGroup, settings: CompanySignIn | None) -> None:
    """Give the group its cohort (made, taken over, renamed), unless company sign-in maps it."""
    if group.display_name in _mapped_names(settings):
        group.cohort_id = None
        return
    cohort = db.session.get(Cohort, group.cohort_id) if group.cohort_id else None
    same_name = db.session.scalar(select(Cohort).where(Cohort.organisation_id == group.organisation_id,
                                                       Cohort.name == group.display_name))  # fmt: skip
    if cohort is None:
        cohort = same_name or Cohort(organisation_id=group.organisation_id, name=group.display_name)
        db.session.add(cohort)
        db.session.flush()
        group.cohort_id = cohort.id
    elif cohort.name != group.display_name and same_name is None:
        cohort.name = group.display_name


def sync_person(organisation_id: int, user: User, settings: CompanySignIn | None = None) -> None:
    """Roles and cohorts of one person from the SCIM groups they are in (see the module)."""
    settings = settings if settings is not None else db.session.get(CompanySignIn, organisation_id)
    groups = list(db.session.scalars(select(ScimGroup).where(ScimGroup.organisation_id == organisation_id)))
    mine = [group for group in groups if user in group.members]
    if settings is not None and _mapped_names(settings):
        provisioning.apply_mappings(settings, user, tuple(group.display_name for group in mine))
    owned = {group.cohort_id for group in groups if group.cohort_id}
    cohorts.sync_memberships(user, {group.cohort_id for group in mine if group.cohort_id}, owned)


def _save(group: ScimGroup, values: dict) -> None:
    settings = db.session.get(CompanySignIn, group.organisation_id)
    before = set(group.members)
    group.display_name, group.external_id = values["display_name"], values["external_id"]
    group.members = values["members"]
    group.updated_at = to_milliseconds(utcnow())
    _own_cohort(group, settings)
    db.session.flush()
    for user in sorted(before | set(group.members), key=lambda person: person.id):
        sync_person(group.organisation_id, user, settings)
    db.session.flush()


def create(organisation_id: int, data: dict) -> ScimGroup:
    """A new group and its cohort. Raises ``ScimError`` 400, 409 ``uniqueness``."""
    values = _read(organisation_id, data)
    _check_unique(organisation_id, values, None)
    group = ScimGroup(
        organisation_id=organisation_id, display_name=values["display_name"], created_at=to_milliseconds(utcnow())
    )
    db.session.add(group)
    _save(group, values)
    return group


def replace(group: ScimGroup, data: dict) -> None:
    """PUT: the group as the resource says. Raises ``ScimError`` 400, 409."""
    values = _read(group.organisation_id, data)
    _check_unique(group.organisation_id, values, group.id)
    _save(group, values)


def delete(group: ScimGroup) -> None:
    """DELETE: the group goes and takes back what it gave; its cohort stays, emptied of it."""
    members = list(group.members)
    settings = db.session.get(CompanySignIn, group.organisation_id)
    cohort_id = group.cohort_id
    db.session.delete(group)
    db.session.flush()
    for user in members:
        sync_person(group.organisation_id, user, settings)
        if cohort_id:
            cohorts.sync_memberships(user, set(), {cohort_id})
    db.session.flush()
