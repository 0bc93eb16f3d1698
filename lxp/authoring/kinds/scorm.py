"""A SCORM unit (SCO): one launchable unit of an imported SCORM 1.2 or 2004 package.

Items of this kind are made by importing a package (``lxp.packages.services.import_package``),
one per SCO; a SCORM 2004 package with several SCOs becomes one item that plays them all with
the package's sequencing (``scos`` and ``sequencing`` in its content, see
``lxp.packages.sequencing``). The editor changes their title, minutes, competencies and pass
mark, never the package they play. The player runs the unit in a sandboxed frame with the
vendored SCORM runtime (``lxp.packages``); what the unit reports becomes the learner's events there.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import HiddenField

from lxp.authoring.kinds.base import Strict, register
from lxp.authoring.kinds.package_unit import PackageUnitContent, PackageUnitForm, PackageUnitKind

STANDARDS = ("scorm_1.2", "scorm_2004_3", "scorm_2004_4")
SCO_LIMIT = 500


class ScoContent(Strict):
    identifier = fields.String(required=True, validate=validate.Length(min=1, max=500))
    title = fields.String(required=True, validate=validate.Length(max=200))
    launch = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    pass_mark = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100))


class SequencingContent(Strict):
    choice = fields.Boolean(required=True)
    flow = fields.Boolean(required=True)
    forward_only = fields.Boolean(required=True)
    completion = fields.String(required=True, validate=validate.OneOf(("all", "any")))
    satisfaction = fields.String(required=True, validate=validate.OneOf(("all", "any")))
    no_completion = fields.List(fields.String(validate=validate.Length(max=500)), load_default=list)
    no_satisfaction = fields.List(fields.String(validate=validate.Length(max=500)), load_default=list)
    unsupported = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list)


class ScormContent(PackageUnitContent):
    standard = fields.String(required=True, validate=validate.OneOf(STANDARDS))
    scos = fields.List(fields.Nested(ScoContent), validate=validate.Length(min=2, max=SCO_LIMIT))
    sequencing = fields.Nested(SequencingContent)


class ScormForm(PackageUnitForm):
    sequenced = HiddenField()  # a multi-SCO item's SCOs and sequencing, carried along as JSON

    def content(self):
        content = super().content()
        try:
            sequenced = json.loads(self.sequenced.data or "{}")
        except ValueError:
            sequenced = {}
        if isinstance(sequenced, dict) and sequenced:
            content.update({k: sequenced.get(k) for k in ("scos", "sequencing")})
        return content

    def fill_content(self, content):
        super().fill_content(content)
        if content.get("scos"):
            self.sequenced.data = json.dumps({"scos": content["scos"], "sequencing": content.get("sequencing")})


@register
class Scorm(PackageUnitKind):
    name, label, order = "scorm", _l("SCORM unit"), 80
    schema, form = ScormContent, ScormForm
    package_standards = frozenset(STANDARDS)
