"""What the kinds that play an imported package share: the content naming the package and its
unit, the editor's form (only the pass mark is edited; the rest comes from the import) and the
traits. A kind of unit subclasses these and adds its standards and its own fields."""

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from lxp.authoring.item_forms import ItemForm
from lxp.authoring.kinds.base import Completes, ItemKind, Strict


class PackageUnitContent(Strict):
    """An item's content: the package (by SHA-256), its standard, the unit and its launch file."""

    package = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=500))
    launch = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    pass_mark = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100))

    @validates("launch")
    def _inside_the_package(self, value, **kwargs):
        path = value.split("?", 1)[0].split("#", 1)[0]
        if ":" in path or path.startswith(("/", "\\")) or ".." in path.replace("\\", "/").split("/"):
            raise ValidationError(str(_l("The launch file must be a path inside the package.")))


class PackageUnitForm(ItemForm):
    """The editor's form: the pass mark, and the import's fields carried along hidden."""

    content_names: ClassVar[tuple[str, ...]] = ("package", "standard", "unit", "launch", "pass_mark")
    pass_mark = IntegerField(_l("Pass mark in percent (empty: the package decides)"),
                             validators=[Optional(), NumberRange(1, 100)])  # fmt: skip
    package = HiddenField()
    standard = HiddenField()
    unit = HiddenField()
    launch = HiddenField()

    def content(self):
        return {name: getattr(self, name).data for name in self.content_names}

    def fill_content(self, content):
        for name in self.content_names:
            getattr(self, name).data = content.get(name)


class PackageUnitKind(ItemKind):
    """Traits of a kind that plays a package (not registered itself)."""

    modality = "self_paced"
    completes = Completes.PLAYED
    short_block = False  # a vendor's unit may take longer than one sitting
    plays_package = True
