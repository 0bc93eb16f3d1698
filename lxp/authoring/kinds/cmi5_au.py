"""A cmi5 AU: one assignable unit of an imported cmi5 course structure.

Items of this kind are made by importing a package (one per AU, ``lxp.packages``); lxp is the
AU's LMS: it launches it in the sandboxed frame with ``endpoint``, ``fetch``, ``actor``,
``registration`` and ``activityId``, answers its LRS requests for that launch only, and records
what its statements say (``lxp.packages.cmi5``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from lxp.authoring.item_forms import ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, Strict, register

MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")


class Cmi5Content(Strict):
    package = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    standard = fields.String(required=True, validate=validate.Equal("cmi5"))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=500))  # the AU's IRI
    launch = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @validates("launch")
    def _inside_the_package(self, value, **kwargs):
        path = value.split("?", 1)[0].split("#", 1)[0]
        if ":" in path or path.startswith(("/", "\\")) or ".." in path.replace("\\", "/").split("/"):
            raise ValidationError(str(_l("The launch file must be a path inside the package.")))

    pass_mark = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100))
    move_on = fields.String(load_default="NotApplicable", validate=validate.OneOf(MOVE_ON))


class Cmi5Form(ItemForm):
    pass_mark = IntegerField(_l("Pass mark in percent (empty: the package decides)"),
                             validators=[Optional(), NumberRange(1, 100)])  # fmt: skip
    package = HiddenField()
    standard = HiddenField()
    unit = HiddenField()
    launch = HiddenField()
    move_on = HiddenField()

    def content(self):
        return {name: getattr(self, name).data for name in ("package", "standard", "unit", "launch", "pass_mark",
                                                            "move_on")}  # fmt: skip

    def fill_content(self, content):
        for name in ("package", "standard", "unit", "launch", "pass_mark", "move_on"):
            getattr(self, name).data = content.get(name)


@register
class Cmi5(ItemKind):
    name, label, modality, order = "cmi5_au", _l("cmi5 unit"), "self_paced", 81
    schema, form, completes = Cmi5Content, Cmi5Form, Completes.PLAYED
    short_block = False
    plays_package = True
    package_standards = frozenset({"cmi5"})
