"""The OpenAPI document and its readable reference page, both served by lxp itself."""

from __future__ import annotations

import copy

from flask import Blueprint, current_app, jsonify, render_template

from lxp.core.auth import public
from lxp.core.problems import PROBLEM_JSON

bp = Blueprint("api_docs", __name__)


# Errors any API operation can answer, named in each operation besides the ``default``.
COMMON_ERRORS = {"401": "Unauthorized", "403": "Forbidden", "429": "Too Many Requests"}


def _problem_response(description: str) -> dict:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}  # fmt: skip


def _tag(blueprint_name: str) -> str:
    """A blueprint's name as its area: ``api_learning`` is ``learning``."""
    return blueprint_name.removeprefix("api_")


def spec_dict() -> dict:
    """The OpenAPI document, with the errors every operation can answer spelled out."""
    cached = current_app.extensions.get("lxp_api_spec")
    if cached is not None:
        return cached
    spec = copy.deepcopy(current_app.extensions["lxp_api"].spec.to_dict())
    responses = spec.setdefault("components", {}).setdefault("responses", {})
    errors = {**COMMON_ERRORS, "404": "Not Found"}
    for status, description in errors.items():
        responses.setdefault(f"PROBLEM_{status}", _problem_response(description))
    for tag in spec.get("tags", []):
        tag["name"] = _tag(tag["name"])
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operation["tags"] = [_tag(name) for name in operation.get("tags", [])]
            wanted = dict(COMMON_ERRORS, **({"404": "Not Found"} if "{" in path else {}))
            for status in wanted:
                operation["responses"].setdefault(status, {"$ref": f"#/components/responses/PROBLEM_{status}"})
    current_app.extensions["lxp_api_spec"] = spec
    return spec


@bp.get("/api/openapi.json")
@public
def openapi_json():
    """The complete OpenAPI 3 document: every endpoint, schema, error and security scheme."""
    return jsonify(spec_dict())


def _resolve(spec: dict, ref_or_obj):
    """Follow one local ``$ref`` (``#/components/…``) for display."""
    if isinstance(ref_or_obj, dict) and "$ref" in ref_or_obj:
        node = spec
        for part in ref_or_obj["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {})
        return node
    return ref_or_obj


@bp.get("/api/docs")
@public
def reference():
    """The API reference, rendered from the document by our own template (no scripts, no CDN)."""
    spec = spec_dict()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operations.append({"path": path, "method": method.upper(), "op": op,
                               "tag": (op.get("tags") or ["other"])[0]})  # fmt: skip
    tags = sorted({o["tag"] for o in operations})
    return render_template("api/reference.html", spec=spec, operations=operations, tags=tags, resolve=_resolve)
