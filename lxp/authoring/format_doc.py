"""The JSON Schema of the course document, generated from the marshmallow schemas.

``docs/course-format.schema.json`` is this output; a test fails when the two differ, so the
documentation cannot drift from what the importer accepts.
"""

from __future__ import annotations

import json

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from lxp.authoring.kinds import KINDS
from lxp.authoring.schemas import FORMAT, FORMAT_VERSION, DocumentSchema


def json_schema() -> dict:
    spec = APISpec("lxp course document", str(FORMAT_VERSION), "3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("Document", schema=DocumentSchema)
    content_names = {}
    for name, kind in sorted(KINDS.items()):
        component = kind.schema.__name__
        if component not in spec.components.schemas:
            spec.components.schema(component, schema=kind.schema)
        content_names[name] = component
    definitions = json.loads(
        json.dumps(spec.to_dict()["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")
    )
    definitions["Item"]["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": name}}},
            "then": {"properties": {"content": {"$ref": f"#/$defs/{component}"}}},
        }
        for name, component in content_names.items()
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://lxp.example/schemas/{FORMAT}-{FORMAT_VERSION}.json",
        "title": f"{FORMAT} document, version {FORMAT_VERSION}",
        "$ref": "#/$defs/Document",
        "$defs": dict(sorted(definitions.items())),
    }
