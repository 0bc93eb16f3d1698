"""Web form pieces every feature shares: the confirm button, a list of checkboxes, and putting a
service's refusal next to the field it is about."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from lxp.core import unit_of_work
from lxp.core.errors import ServiceError


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with its CSRF token."""


def show_form_error(form, error: ServiceError) -> None:
    """Put a service's refusal next to the field it is about, or at the top of the form, and
    mark the request refused: nothing the service flushed before refusing is committed."""
    unit_of_work.refused()
    field = getattr(form, error.field, None) if error.field else None
    if isinstance(field, Field):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
