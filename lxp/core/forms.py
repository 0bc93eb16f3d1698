"""Web form pieces every feature shares: the base form, the confirm button, a list of
checkboxes, the time-zone select, and putting a service's refusal next to the field it is about."""

from __future__ import annotations

from functools import cache

from babel.support import NullTranslations, Translations
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectField, SelectMultipleField, ValidationError
from wtforms.i18n import messages_path
from wtforms.widgets import CheckboxInput, ListWidget

from lxp.core import unit_of_work
from lxp.core.errors import ServiceError
from lxp.core.time import is_valid_timezone, zone_groups, zone_label

AREA_NAMES = {
    "common": _l("Common time zones"), "Africa": _l("Africa"), "America": _l("America"),
    "Antarctica": _l("Antarctica"), "Arctic": _l("Arctic"), "Asia": _l("Asia"), "Atlantic": _l("Atlantic Ocean"),
    "Australia": _l("Australia"), "Europe": _l("Europe"), "Indian": _l("Indian Ocean"), "Pacific": _l("Pacific Ocean"),
}  # fmt: skip


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _zone_choices() -> list[SelectChoice]:
    return [SelectChoice(name, zone_label(name), optgroup=str(AREA_NAMES.get(area, area)))
            for area, names in zone_groups() for name in names]  # fmt: skip


class TimeZoneField(SelectField):
    """The curated time zones (``time.zone_groups``), common ones first, grouped by area, with a
    search box added by static/js/zone_search.js (without JavaScript a plain select works).

    A zone someone already has that the list leaves out (an old alias such as Europe/Kiev)
    stays chosen and valid, shown at the end; any other value is refused.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"data-zone-search": _l("Search time zones"), **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, choices=_zone_choices, render_kw=render_kw, **kwargs)

    def process(self, *args, **kwargs):
        super().process(*args, **kwargs)
        offered = {choice.value for choice in self.choices}
        if self.data and self.data not in offered and is_valid_timezone(self.data):
            self.choices = [*self.choices, SelectChoice(self.data, zone_label(self.data), optgroup=str(_l("Other")))]

    def pre_validate(self, form):
        if not is_valid_timezone(self.data or "") and self.data != "UTC":
            raise ValidationError(_l("Choose a time zone from the list."))


class Form(FlaskForm):
    """Every lxp form: Flask-WTF's (CSRF, file data), with WTForms' own messages ("This field
    is required.") translated from a catalogue each process loads once per locale. Flask-WTF
    reads and parses that catalogue again on every request that builds a form, and asks the
    disk where it lies for every message: half a millisecond of a block page (issue 20)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_catalogue(str(get_locale()))


@cache
def wtforms_catalogue(locale: str) -> Translations | NullTranslations:
    """WTForms' messages in ``locale`` (untranslated where it has none), kept per process: the
    locales are the few the app offers, and the catalogue is part of the installed WTForms."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class ConfirmForm(Form):
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
