"""The admin's package upload form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import EmailField, IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from lxp.authoring.models import Competency
from lxp.core.forms import CheckboxListField, Form
from lxp.extensions import db


class PackageForm(Form):
    module = SelectField(_l("Module"), coerce=int)
    package = FileField(_l("Package (a SCORM or cmi5 zip)"), validators=[FileRequired(_l("Choose a zip file."))],
                        render_kw={"accept": ".zip,application/zip"})  # fmt: skip
    minutes = IntegerField(_l("Estimated minutes per unit"), validators=[DataRequired(), NumberRange(1, 600)],
                           default=10)  # fmt: skip
    teaches = CheckboxListField(_l("Teaches"), coerce=int)
    assesses = CheckboxListField(_l("Assesses"), coerce=int)

    def prepare(self, version, organisation_id: int, module_id: int | None = None) -> None:
        """Choices: the draft's modules (``module_id`` first chosen) and the organisation's competencies."""
        self.module.choices = [(m.id, m.title) for m in version.modules]
        if self.module.data is None and version.modules:
            self.module.data = module_id if module_id in {m.id for m in version.modules} else version.modules[-1].id
        competencies = db.session.scalars(
            select(Competency).where(Competency.organisation_id == organisation_id).order_by(Competency.code)
        ).all()  # fmt: skip
        self.teaches.choices = self.assesses.choices = [(c.id, f"{c.name} ({c.code})") for c in competencies]


class WaiveForm(Form):
    """An admin excuses a learner from a cmi5 unit, or takes the waiver back, saying why."""

    action = RadioField(_l("What to do"), default="waive", choices=[
        SelectChoice("waive", _l("Waive the unit")), SelectChoice("unwaive", _l("Take the waiver back"))])  # fmt: skip
    learner = EmailField(_l("The learner's e-mail address"), validators=[DataRequired(), Length(max=254)])
    unit = SelectField(_l("Unit"))
    reason = TextAreaField(_l("Reason (the learner's record keeps it)"), validators=[DataRequired(), Length(max=500)])
