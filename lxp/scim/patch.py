"""SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: a pure engine.

The resource services render the resource, apply the operations here and store the result as a
PUT would, so PATCH and PUT can never disagree. Operation names and attribute names are
case-insensitive; paths may carry a schema URN (``urn:…:enterprise:2.0:User:department``), a
sub-attribute (``name.givenName``) and a value filter (``members[value eq "12"]``,
``emails[type eq "work"].value``). An ``add`` or ``replace`` without a path merges an object of
attributes (what Entra ID and Okta send, ``{"active": false}``).
"""

from __future__ import annotations

import copy
import re

from lxp.scim.filters import Compare, FilterError, matches, parse
from lxp.scim.protocol import ENTERPRISE, GROUP, USER, ScimError

SCHEMA_URNS = (USER, GROUP, ENTERPRISE)
_PATH = re.compile(r"^(?P<attr>[A-Za-z$][\w$-]*)(?:\.(?P<dotted>[A-Za-z$][\w$-]*))?"
                   r"(?:\[(?P<filter>.+)\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$")  # fmt: skip


def _key(container: dict, name: str) -> str:
    """The key of ``container`` spelled like ``name`` ignoring case, else ``name`` itself."""
    for key in container:
        if key.lower() == name.lower():
            return key
    return name


def _split(path: str) -> tuple[dict | None, str]:
    """The extension a path points into (None for the core schema) and the rest of the path."""
    lowered = path.lower()
    for urn in SCHEMA_URNS:
        if lowered.startswith(urn.lower() + ":"):
            return (urn if urn == ENTERPRISE else None), path[len(urn) + 1 :]
        if lowered == urn.lower():
            return urn, ""
    return None, path


def _container(resource: dict, extension: str | None, create: bool) -> dict | None:
    if extension is None:
        return resource
    key = _key(resource, extension)
    if key not in resource:
        if not create:
            return None
        resource[key] = {}
    return resource[key]


def _merge(container: dict, values: dict) -> None:
    for name, value in values.items():
        lowered = name.lower()
        if any(lowered == urn.lower() for urn in SCHEMA_URNS):
            if isinstance(value, dict):
                _merge(_container(container, next(u for u in SCHEMA_URNS if u.lower() == lowered), True), value)
            continue
        if ":" in name:  # urn:…:enterprise:2.0:User:department as a key
            extension, rest = _split(name)
            _merge(_container(container, extension, True), {rest: value})
            continue
        if "." in name:
            head, _, tail = name.partition(".")
            key = _key(container, head)
            inner = container.get(key)
            if not isinstance(inner, dict):
                inner = container[key] = {}
            inner[_key(inner, tail)] = value
            continue
        container[_key(container, name)] = value


def _add(container: dict, name: str, value) -> None:
    key = _key(container, name)
    existing = container.get(key)
    if isinstance(existing, list):
        additions = value if isinstance(value, list) else [value]
        existing.extend(item for item in additions if item not in existing)
    elif isinstance(existing, dict) and isinstance(value, dict):
        _merge(existing, value)
    else:
        container[key] = value


def _elements(container: dict, name: str, filter_text: str) -> list:
    try:
        tree = parse(filter_text)
    except FilterError as error:
        raise ScimError(400, f"bad value filter in the path: {error}", "invalidPath") from None
    items = container.get(_key(container, name))
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and matches(tree, item)]


def apply(resource: dict, operations, read_only: frozenset[str] = frozenset()) -> dict:
    """The resource after the operations. Raises ``ScimError`` 400 (``invalidSyntax``,
    ``invalidPath``, ``noTarget``, ``mutability`` for a read-only attribute such as ``id``)."""
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list", "invalidSyntax")
    result = copy.deepcopy(resource)
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "each operation is an object", "invalidSyntax")
        fields = {key.lower(): value for key, value in operation.items()}
        op = str(fields.get("op", "")).lower()
        path = fields.get("path")
        if op not in {"add", "replace", "remove"}:
            raise ScimError(400, f"unknown op {fields.get('op')!r}", "invalidSyntax")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise ScimError(400, "path must be text", "invalidPath")
        _apply_one(result, op, path.strip() if path else None, fields.get("value"), fields, read_only)
    return result


def _apply_one(result: dict, op: str, path: str | None, value, fields: dict, read_only: frozenset[str]) -> None:
    if path is None:
        if op == "remove":
            raise ScimError(400, "remove needs a path", "noTarget")
        if not isinstance(value, dict):
            raise ScimError(400, f"{op} without a path needs an object of attributes", "invalidValue")
        touched = {key.lower() for key in value}
        if touched & read_only:
            raise ScimError(400, f"{sorted(touched & read_only)[0]} cannot be changed", "mutability")
        if op == "replace":
            _merge(result, value)
        else:
            for name, item in value.items():
                if ":" in name or "." in name:
                    _merge(result, {name: item})
                else:
                    _add(result, name, item)
        return
    if "value" not in fields and op != "remove":
        raise ScimError(400, f"{op} needs a value", "invalidValue")
    extension, rest = _split(path)
    container = _container(result, extension, op != "remove")
    if container is None:
        return
    if not rest:  # the whole extension
        if op == "remove":
            result.pop(_key(result, extension), None)
        elif isinstance(value, dict):
            _merge(container, value) if op == "add" else container.clear() or _merge(container, value)
        return
    match = _PATH.match(rest)
    if match is None:
        raise ScimError(400, f"cannot read the path {path!r}", "invalidPath")
    attr, dotted, filter_text, sub = match.group("attr", "dotted", "filter", "sub")
    if attr.lower() in read_only:
        raise ScimError(400, f"{attr} cannot be changed", "mutability")
    if filter_text is not None:
        if dotted:
            raise ScimError(400, f"cannot read the path {path!r}", "invalidPath")
        _apply_filtered(container, op, attr, filter_text, sub, value, path)
        return
    if dotted:
        key = _key(container, attr)
        inner = container.get(key)
        if op == "remove":
            if isinstance(inner, dict):
                inner.pop(_key(inner, dotted), None)
            return
        if not isinstance(inner, dict):
            inner = container[key] = {}
        inner[_key(inner, dotted)] = value
        return
    if op == "remove":
        existing = container.get(_key(container, attr))
        if isinstance(existing, list) and isinstance(value, list) and value:
            # Entra ID removes members with a value list rather than a filter: only those go.
            gone = {str(item.get("value")) for item in value if isinstance(item, dict) and "value" in item}
            container[_key(container, attr)] = [
                item for item in existing if not (isinstance(item, dict) and str(item.get("value")) in gone)
            ]
        else:
            container.pop(_key(container, attr), None)
    elif op == "add":
        _add(container, attr, value)
    else:
        container[_key(container, attr)] = value


def _element_for(filter_text: str, sub: str | None, value) -> dict | None:
    """The element a path like ``emails[type eq "work"].value`` describes, or None when the
    filter is not one plain equality."""
    tree = parse(filter_text)
    if not isinstance(tree, Compare) or tree.op != "eq" or sub is None:
        return None
    return {tree.path.rsplit(".", 1)[-1]: tree.value, sub: value}


def _apply_filtered(container: dict, op: str, attr: str, filter_text: str, sub: str | None, value, path: str) -> None:
    chosen = _elements(container, attr, filter_text)
    key = _key(container, attr)
    if op == "remove":
        if sub:
            for item in chosen:
                item.pop(_key(item, sub), None)
        elif chosen:
            container[key] = [item for item in container[key] if not any(item is c for c in chosen)]
        return
    if not chosen:
        made = _element_for(filter_text, sub, value)
        if made is None:
            if op == "replace":
                raise ScimError(400, f"nothing matches {path!r}", "noTarget")
            return
        # emails[type eq "work"].value set where there is no work e-mail yet: Entra ID and Okta
        # expect the element made (RFC 7644 §3.5.2.1 for add; replace does the same here).
        items = container.get(key)
        container[key] = (items if isinstance(items, list) else []) + [made]
        return
    for item in chosen:
        if sub:
            item[_key(item, sub)] = value
        elif isinstance(value, dict):
            _merge(item, value)
