"""The OpenAPI document and its readable reference page, both served by lxp itself."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from lxp.core.auth import public

bp = Blueprint("api_docs", __name__)


def spec_dict() -> dict:
    return current_app.extensions["lxp_api"].spec.to_dict()


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
