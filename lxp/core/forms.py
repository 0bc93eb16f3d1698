"""Web form pieces every feature shares: the base form, the confirm button, a list of
checkboxes, the time-zone select, choosing people among many, and putting a service's refusal
next to the field it is about."""

from __future__ import annotations

import re
from functools import cache

from babel.support import NullTranslations, Translations
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectField, SelectMultipleField, ValidationError
from wtforms.i18n import messages_path
from wtforms.utils import unset_value
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


FIND_PEOPLE = "find-people"  # the name of every "Find" button of a PeopleField
MAX_PASTED_ADDRESSES = 5000


class PeopleField(Field):
    """People chosen from an organisation too large to list whole: those chosen so far as ticked
    boxes (radio buttons for one person), a search by name or e-mail whose matches come as boxes
    to tick, and a box for e-mail addresses (pasted from a spreadsheet or a mail for many).

    Without JavaScript, "Find" posts the form back: the view sees ``finding_people()``, saves
    nothing and shows the form again with every field's matches and everything entered kept.
    The view sets ``directory`` (``accounts.services.PeopleDirectory``: ``named``, ``matching``,
    ``with_emails``) before the form is validated or shown. ``data`` is the chosen ids: a list,
    or one id or None when ``multiple`` is False. Addresses nobody in the directory has are a
    validation error naming them, so nothing is saved until every one is right; whether the
    ticked people may be chosen is the service's rule, as with any select.
    """

    def __init__(self, label=None, validators=None, *, multiple: bool = True, none_label=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.multiple = multiple
        self.none_label = none_label  # one person: a "nobody" choice with this label
        self.directory = None
        self.search_text = ""
        self.addresses = ""
        self.finding = False  # this request is a "Find": show the matches

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.search_text = formdata.get(f"{self.name}-find", "")[:100]
            self.addresses = formdata.get(f"{self.name}-emails", "")[:200_000]
            self.finding = FIND_PEOPLE in formdata

    def process_formdata(self, valuelist):
        try:
            ids = list(dict.fromkeys(int(value) for value in valuelist if value not in ("", None)))
        except ValueError:
            raise ValueError(_l("Choose people from the list.")) from None
        self.data = ids if self.multiple else (ids[0] if ids else None)

    def chosen_ids(self) -> list[int]:
        if self.multiple:
            return list(self.data or ())
        return [self.data] if self.data else []

    def chosen(self) -> list:
        """The chosen people, by name (for the ticked boxes)."""
        return self.directory.named(self.chosen_ids())

    def found(self) -> tuple[list, bool]:
        """The people matching the search who are not chosen yet, and whether more match."""
        return self.directory.matching(self.search_text, excluding=self.chosen_ids())

    def pre_validate(self, form):
        given = pasted_addresses(self.addresses)
        if not given:
            return
        if len(given) > MAX_PASTED_ADDRESSES:
            raise ValidationError(_l("Paste at most %(count)d addresses at once.", count=MAX_PASTED_ADDRESSES))
        if not self.multiple and len(given) > 1:
            raise ValidationError(_l("Enter one e-mail address."))
        people, unknown = self.directory.with_emails(given)
        if unknown:
            shown = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
            raise ValidationError(_l("Nobody here can be chosen with these addresses: %(addresses)s", addresses=shown))
        ids = [person.id for person in people]
        self.data = list(dict.fromkeys([*self.chosen_ids(), *ids])) if self.multiple else ids[0]


def pasted_addresses(text: str) -> list[str]:
    """The e-mail addresses in pasted text, in order and once each: one per line or separated
    by commas, semicolons or spaces, bare or as ``Name <address>`` or ``"Last, First" <address>``
    (a mail program's list). Beside an address in brackets, words without an @ are its name;
    elsewhere every word is taken as an address, so a stray word is reported, not dropped."""
    found = []
    for part in re.split(r"[,;\n]+", re.sub(r'"[^"]*"', " ", text or "")):
        named = "<" in part
        for bracketed, word in re.findall(r"<([^<>]*)>|([^\s<>]+)", part):
            if bracketed.strip() or (word and (not named or "@" in word)):
                found.append(bracketed.strip() or word)
    return list(dict.fromkeys(found))


def finding_people() -> bool:
    """Whether this request is a PeopleField's "Find": the form is shown again, nothing saved."""
    return request.method == "POST" and FIND_PEOPLE in request.form


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
