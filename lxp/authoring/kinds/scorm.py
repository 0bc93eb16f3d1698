"""A SCORM unit (SCO): one launchable unit of an imported SCORM 1.2 or 2004 package.

Items of this kind are made by importing a package (``lxp.packages.services.import_package``),
one per SCO; the editor changes their title, minutes, competencies and pass mark, never the
package they play. The player runs the unit in a sandboxed frame with the vendored SCORM
runtime (``lxp.packages``); what the unit reports becomes the learner's events there.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from lxp.authoring.kinds.base import register
from lxp.authoring.kinds.package_unit import PackageUnitContent, PackageUnitForm, PackageUnitKind

STANDARDS = ("scorm_1.2", "scorm_2004_3", "scorm_2004_4")


class ScormContent(PackageUnitContent):
    standard = fields.String(required=True, validate=validate.OneOf(STANDARDS))


class ScormForm(PackageUnitForm):
    pass


@register
class Scorm(PackageUnitKind):
    name, label, order = "scorm", _l("SCORM unit"), 80
    schema, form = ScormContent, ScormForm
    package_standards = frozenset(STANDARDS)
