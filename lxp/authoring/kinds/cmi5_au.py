"""A cmi5 AU: one assignable unit of an imported cmi5 course structure.

Items of this kind are made by importing a package (one per AU, ``lxp.packages``); lxp is the
AU's LMS: it launches it in the sandboxed frame with ``endpoint``, ``fetch``, ``actor``,
``registration`` and ``activityId``, answers its LRS requests for that launch only, and records
what its statements say (``lxp.packages.cmi5``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from wtforms import HiddenField

from lxp.authoring.kinds.base import register
from lxp.authoring.kinds.package_unit import PackageUnitContent, PackageUnitForm, PackageUnitKind

MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")


class Cmi5Content(PackageUnitContent):
    standard = fields.String(required=True, validate=validate.Equal("cmi5"))
    move_on = fields.String(load_default="NotApplicable", validate=validate.OneOf(MOVE_ON))


class Cmi5Form(PackageUnitForm):
    content_names = (*PackageUnitForm.content_names, "move_on")
    move_on = HiddenField()


@register
class Cmi5(PackageUnitKind):
    name, label, order = "cmi5_au", _l("cmi5 unit"), 81
    schema, form = Cmi5Content, Cmi5Form
    package_standards = frozenset({"cmi5"})
