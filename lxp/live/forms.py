"""Live-session forms: they check shape; the rules live in ``lxp.live.scheduling``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lxp.core.forms import CheckboxListField, Form, TimeZoneField

EXTRA_DATES = 5
PROMOTION_CHOICES = [SelectChoice("immediate", _l("At once: the first person waiting gets the seat")),
                     SelectChoice("claim", _l("With a claim window: they confirm within the hours below"))]  # fmt: skip


class SessionForm(Form):
    """One date, or a series at the same time on further dates (scheduling only)."""

    item = SelectField(_l("Live session"), validators=[DataRequired()], validate_choice=False)  # the service checks
    day = DateField(_l("Date"), validators=[DataRequired()])
    extra_dates = FieldList(DateField(_l("Also on"), validators=[Optional()]), min_entries=EXTRA_DATES,
                            max_entries=EXTRA_DATES, label=_l("Further dates at the same time (a series)"))  # fmt: skip
    start_time = TimeField(_l("Start time"), validators=[DataRequired()])
    timezone = TimeZoneField(_l("Time zone"), validators=[DataRequired()])
    duration_minutes = IntegerField(_l("Duration in minutes"), validators=[InputRequired(), NumberRange(5, 480)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    video_url = StringField(_l("Video link"), validators=[Optional(), Length(max=500)],
                            render_kw={"inputmode": "url", "placeholder": "https://"})  # fmt: skip
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(1, 500)], default=12)
    deadline_hours = IntegerField(_l("Registration closes this many hours before the start"),
                                  validators=[InputRequired(), NumberRange(0, 720)], default=0)  # fmt: skip
    promotion = RadioField(_l("When a seat frees up"), choices=PROMOTION_CHOICES, default="immediate")
    claim_hours = IntegerField(_l("Claim window in hours"), validators=[Optional(), NumberRange(1, 168)], default=24)
    co_trainers = CheckboxListField(_l("Co-trainers"), coerce=int)
    cohort = SelectField(_l("For"), coerce=lambda v: int(v) if v else None, validate_choice=False)


class EditSessionForm(SessionForm):
    """The same fields for one session; the item and the series dates stay as they are."""

    item = None
    extra_dates = None


ATTENDANCE_CHOICES = [("present", _l("Present")), ("late", _l("Late")), ("absent", _l("Absent")),
                      ("excused", _l("Excused"))]  # fmt: skip
