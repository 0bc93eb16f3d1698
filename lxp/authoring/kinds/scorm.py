"""A SCORM unit (SCO): one launchable unit of an imported SCORM 1.2 or 2004 package.

Items of this kind are made by importing a package (``lxp.packages.services.import_package``),
one per SCO; the editor changes their title, minutes, competencies and pass mark, never the
package they play. The player runs the unit in a sandboxed frame with the vendored SCORM
runtime (``lxp.packages``); what the unit reports becomes the learner's events there.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from lxp.authoring.item_forms import ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, Strict, register

STANDARDS = ("scorm_1.2", "scorm_2004_3", "scorm_2004_4")


class ScormContent(Strict):
    package = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    standard = fields.String(required=True, validate=validate.OneOf(STANDARDS))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=500))
    launch = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    pass_mark = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100))

    @validates("launch")
    def _inside_the_package(self, value, **kwargs):
        path = value.split("?", 1)[0].split("#", 1)[0]
        if ":" in path or path.startswith(("/", "\\")) or ".." in path.replace("\\", "/").split("/"):
            raise ValidationError(str(_l("The launch file must be a path inside the package.")))


class ScormForm(ItemForm):
    pass_mark = IntegerField(_l("Pass mark in percent (empty: the package decides)"),
                             validators=[Optional(), NumberRange(1, 100)])  # fmt: skip
    package = HiddenField()
    standard = HiddenField()
    unit = HiddenField()
    launch = HiddenField()

    def content(self):
        return {"package": self.package.data, "standard": self.standard.data, "unit": self.unit.data,
                "launch": self.launch.data, "pass_mark": self.pass_mark.data}  # fmt: skip

    def fill_content(self, content):
        for name in ("package", "standard", "unit", "launch", "pass_mark"):
            getattr(self, name).data = content.get(name)


@register
class Scorm(ItemKind):
    name, label, modality, order = "scorm", _l("SCORM unit"), "self_paced", 80
    schema, form, completes = ScormContent, ScormForm, Completes.PLAYED
    short_block = False  # a vendor's unit may take longer than one sitting
    plays_package = True
    package_standards = frozenset(STANDARDS)
