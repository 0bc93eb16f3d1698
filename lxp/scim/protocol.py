"""The SCIM protocol's fixed parts: errors, list responses, and the discovery documents
(``ServiceProviderConfig``, ``ResourceTypes``, ``Schemas``) that tell a directory what lxp does."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SP_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MEDIA_TYPE = "application/scim+json"
DEFAULT_COUNT = 100
MAX_COUNT = 200


class ScimError(Exception):
    """A refusal answered with a SCIM error body: ``status``, optional ``scim_type``
    (``invalidFilter``, ``uniqueness``, ``invalidValue``, ``noTarget``, ``invalidPath``,
    ``mutability``, ``invalidSyntax``, ``tooMany``) and a ``detail`` for the directory's log."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self) -> dict:
        body = {"schemas": [ERROR], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def timestamp(moment: datetime) -> str:
    """An xsd:dateTime in UTC with milliseconds (what directories parse)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_milliseconds(moment: datetime) -> datetime:
    """The moment as ``timestamp`` shows it, so a filter on ``meta.lastModified`` with a value a
    directory read from lxp compares as the directory expects."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def version_of(resource: dict) -> str:
    """A weak ETag that changes whenever what the resource says changes."""
    content = {key: value for key, value in resource.items() if key != "meta"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def paging(start_index: str | None, count: str | None) -> tuple[int, int]:
    """``startIndex`` (1-based; below 1 counts as 1) and ``count`` (0 up to ``MAX_COUNT``)."""
    try:
        start = max(1, int(start_index)) if start_index not in (None, "") else 1
        size = DEFAULT_COUNT if count in (None, "") else min(max(0, int(count)), MAX_COUNT)
    except ValueError:
        raise ScimError(400, "startIndex and count must be whole numbers", "invalidValue") from None
    return start, size


def list_response(resources: list[dict], total: int, start: int) -> dict:
    return {"schemas": [LIST], "totalResults": total, "startIndex": start, "itemsPerPage": len(resources),
            "Resources": resources}  # fmt: skip


def service_provider_config(base: str) -> dict:
    return {
        "schemas": [SP_CONFIG],
        "documentationUri": "https://github.com/lxp/lxp#scim-provisioning",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token an admin of the organisation makes on lxp's SCIM page.",
                "primary": True,
            }
        ],  # fmt: skip
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }


def resource_types(base: str) -> list[dict]:
    return [
        {"schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users",
         "description": "A person of the organisation", "schema": USER,
         "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"}},
        {"schemas": [RESOURCE_TYPE], "id": "Group", "name": "Group", "endpoint": "/Groups",
         "description": "A group of people; lxp keeps it as a cohort", "schema": GROUP, "schemaExtensions": [],
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"}},
    ]  # fmt: skip


def _attribute(name: str, type_: str = "string", *, required: bool = False, multi: bool = False,
               mutability: str = "readWrite", returned: str = "default", uniqueness: str = "none",
               case_exact: bool = False, sub: list | None = None, description: str = "",
               reference_types: list | None = None) -> dict:  # fmt: skip
    attribute = {"name": name, "type": type_, "multiValued": multi, "description": description or name,
                 "required": required, "mutability": mutability, "returned": returned}  # fmt: skip
    if type_ in {"string", "reference", "binary"}:
        attribute.update(caseExact=case_exact, uniqueness=uniqueness)
    if sub is not None:
        attribute["subAttributes"] = sub
    if reference_types:
        attribute["referenceTypes"] = reference_types
    return attribute


def schemas(base: str) -> list[dict]:
    name = _attribute("name", "complex", sub=[_attribute("formatted"), _attribute("givenName"),
                                              _attribute("familyName")])  # fmt: skip
    # Required here, unlike RFC 7643's own schema: every lxp account has an e-mail address (a
    # userName that is one will do as well).
    emails = _attribute("emails", "complex", multi=True, required=True, sub=[
        _attribute("value", required=True), _attribute("type"), _attribute("primary", "boolean")])  # fmt: skip
    user = [
        _attribute("userName", required=True, uniqueness="server", description="The directory's login name"),
        name,
        _attribute("displayName"),
        emails,
        _attribute("preferredLanguage"),
        _attribute("locale"),
        _attribute("timezone"),
        _attribute("active", "boolean"),
        _attribute(
            "groups",
            "complex",
            multi=True,
            mutability="readOnly",
            sub=[
                _attribute("value", mutability="readOnly"),
                _attribute("display", mutability="readOnly"),
                _attribute("$ref", "reference", mutability="readOnly", reference_types=["Group"]),
                _attribute("type", mutability="readOnly"),
            ],
        ),  # fmt: skip
    ]
    group = [
        _attribute("displayName", required=True, uniqueness="server"),
        _attribute(
            "members",
            "complex",
            multi=True,
            sub=[
                # Members are people only; ``display`` and ``type`` are left out (both optional).
                _attribute("value", mutability="immutable"),
                _attribute("$ref", "reference", mutability="immutable", reference_types=["User"]),
            ],
        ),  # fmt: skip
    ]
    enterprise = [_attribute("employeeNumber"), _attribute("department")]
    return [
        {"schemas": [SCHEMA], "id": USER, "name": "User", "description": "User Account", "attributes": user,
         "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{USER}"}},
        {"schemas": [SCHEMA], "id": GROUP, "name": "Group", "description": "Group", "attributes": group,
         "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{GROUP}"}},
        {"schemas": [SCHEMA], "id": ENTERPRISE, "name": "EnterpriseUser", "description": "Enterprise User",
         "attributes": enterprise, "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{ENTERPRISE}"}},
    ]  # fmt: skip
