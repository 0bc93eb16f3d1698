"""A cmi5 AU: one assignable unit of an imported cmi5 course structure.

Items of this kind are made by importing a package (one per AU, ``lxp.packages``); lxp is the
AU's LMS: it launches it in the sandboxed frame with ``endpoint``, ``fetch``, ``actor``,
``registration`` and ``activityId``, answers its LRS requests for that launch only, and records
what its statements say (``lxp.packages.cmi5``). The content keeps the AU's place in the course
structure: the publisher's course id and the blocks around it (outermost first), so the LMS can
say when a block and the course are satisfied.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import HiddenField

from lxp.authoring.kinds.base import Strict, register
from lxp.authoring.kinds.package_unit import PackageUnitContent, PackageUnitForm, PackageUnitKind

MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")


class Cmi5Block(Strict):
    id = fields.String(required=True, validate=validate.Length(min=1, max=500))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))


class Cmi5Content(PackageUnitContent):
    standard = fields.String(required=True, validate=validate.Equal("cmi5"))
    move_on = fields.String(load_default="NotApplicable", validate=validate.OneOf(MOVE_ON))
    course = fields.String(validate=validate.Length(min=1, max=500))
    blocks = fields.List(fields.Nested(Cmi5Block), validate=validate.Length(max=20))


class Cmi5Form(PackageUnitForm):
    """The editor's form; the AU's place in the course structure is carried along as JSON."""

    content_names = (*PackageUnitForm.content_names, "move_on")
    move_on = HiddenField()
    structure = HiddenField()

    def content(self):
        content = super().content()
        try:
            structure = json.loads(self.structure.data or "{}")
        except ValueError:
            structure = {}
        return content | {k: v for k, v in (structure if isinstance(structure, dict) else {}).items()
                          if k in ("course", "blocks")}  # fmt: skip

    def fill_content(self, content):
        super().fill_content(content)
        structure = {k: content[k] for k in ("course", "blocks") if content.get(k)}
        self.structure.data = json.dumps(structure) if structure else ""


@register
class Cmi5(PackageUnitKind):
    name, label, order = "cmi5_au", _l("cmi5 unit"), 81
    schema, form = Cmi5Content, Cmi5Form
    package_standards = frozenset({"cmi5"})

    def sections(self, content: dict) -> tuple[str, ...]:
        """The blocks around the AU (cmi5.xml), outermost first."""
        return tuple(b["title"] for b in (content or {}).get("blocks") or [] if isinstance(b, dict) and b.get("title"))
