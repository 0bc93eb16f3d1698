"""Locale and time zone of the viewer (the filters that show dates in them: ``lxp.core.dates``)."""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp.core import dates

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "ru": "Русский"}
ROLE_LABELS = {
    "learner": _l("Learner"),
    "trainer": _l("Trainer"),
    "admin": _l("L&D admin"),
    "reviewer": _l("Reviewer"),
    "manager": _l("Manager"),
}
# The four ways of learning (``planner.MODALITIES``), named once for forms, pages and charts.
MODALITY_LABELS = {
    "self_paced": _l("Self-paced"),
    "live": _l("Live sessions"),
    "coaching": _l("Coaching"),
    "on_the_job": _l("On the job"),
}


def role_label(role: str) -> str:
    """The translated name of a role, for pages and forms."""
    return str(ROLE_LABELS.get(role, role))


def select_locale() -> str:
    """The profile's locale, else the browser's Accept-Language, else the default (English)."""
    locales = current_app.config["LOCALES"]
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return current_user.locale
    if request:
        best = request.accept_languages.best_match(locales)
        if best:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The profile's time zone, else the configured default."""
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def _translations():
    """The catalogue for the current locale, looked up once per request (Flask-Babel finds the
    domain, the locale and its string form again for each of the ~90 strings of a page). Kept
    with the locale object it is for, so ``force_locale`` (another language in a request, e.g.
    a message to someone else) gets its own."""
    locale = get_locale()
    held = g.get("_lxp_translations")
    if held is not None and held[0] is locale:
        return held[1]
    found = get_translations()
    if locale is not None:
        g._lxp_translations = (locale, found)
    return found


def translate(string: str, **variables) -> str:
    """``gettext`` for Python code on hot paths (a page's reasons, one per step): the
    catalogue looked up once per request as the templates' ``_`` does, and the variables
    formatted into the translation."""
    translated = _translations().ugettext(string)
    return translated % variables if variables else translated


def init_app(app) -> None:
    dates.init_app(app)
    # Replaces Flask-Babel's template callables with the same ones reading _translations().
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.add_template_global(get_locale, "current_locale")
    app.add_template_global(LANGUAGE_NAMES, "language_names")
    app.add_template_global(role_label, "role_label")
