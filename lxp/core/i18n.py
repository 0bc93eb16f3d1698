"""Locale and time zone of the viewer (the filters that show dates in them: ``lxp.core.dates``)."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp.core import dates

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "ru": "Русский"}
ROLE_LABELS = {
    "learner": _l("Learner"),
    "trainer": _l("Trainer"),
    "admin": _l("L&D admin"),
    "reviewer": _l("Reviewer"),
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


def init_app(app) -> None:
    dates.init_app(app)
    app.add_template_global(get_locale, "current_locale")
    app.add_template_global(LANGUAGE_NAMES, "language_names")
    app.add_template_global(role_label, "role_label")
