"""The filters of the insights pages, read from the query string (GET: bookmarkable, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from lxp.core.forms import Form


def optional_int(value):
    """A select's value as a number, or None for "all"; raises ValueError (shown on the field) otherwise."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(_l("Choose from the list.")) from None


class FilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    cohort = SelectField(_l("Cohort"), coerce=optional_int, validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])
    language = SelectField(_l("Language"), validate_choice=False)
    package = SelectField(_l("Package"), coerce=optional_int, validate_choice=False)


class CohortFilterForm(Form):
    class Meta:
        csrf = False

    cohort = SelectField(_l("Cohort"), coerce=optional_int, validate_choice=False)
