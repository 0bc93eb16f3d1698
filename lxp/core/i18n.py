"""Locale and time zone of the viewer (the filters that show dates in them: ``lxp.core.dates``)."""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

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
    beside the locale object it is for, in Flask-Babel's own per-request namespace: a
    ``force_locale`` block (another language in a request, e.g. a message to someone else)
    puts another locale object there, so it gets its own catalogue, and the request's comes
    back after it. (That namespace, ``g._flask_babel`` with its ``babel_locale``, is Flask-Babel
    4's; without it this still answers, looking the catalogue up each time.)"""
    held = g.get("_flask_babel")
    if held is not None:
        locale = getattr(held, "babel_locale", None)
        kept = getattr(held, "lxp_translations", None)
        if locale is not None and kept is not None and kept[0] is locale:
            return kept[1]
    locale = get_locale()
    found = get_translations()
    held = g.get("_flask_babel")
    if locale is not None and held is not None:
        held.lxp_translations = (locale, found)
    return found


def translate(string: str, **variables) -> str:
    """``gettext`` for Python code on hot paths (a page's reasons, one per step): the
    catalogue looked up once per request as the templates' ``_`` does, and the variables
    formatted into the translation."""
    translated = _translations().ugettext(string)
    return translated % variables if variables else translated


@pass_eval_context
def _template_gettext(eval_context, string: str, /, **variables) -> str:
    """The templates' ``_`` and ``gettext``: what Jinja's newstyle gettext does (the
    translation marked safe when autoescaping, so only the variables are escaped, and always
    formatted), in one call instead of three (Jinja's ``_`` alias resolves ``gettext``, which
    calls the installed callable through the context again): a page has ~40 of them."""
    translated = _translations().ugettext(string)
    if eval_context.autoescape:
        translated = Markup(translated)  # noqa: S704  our own catalogue, as Jinja trusts it
    return translated % variables


@pass_eval_context
def _template_ngettext(eval_context, singular: str, plural: str, num: int, /, **variables) -> str:
    """The templates' ``ngettext``, as ``_template_gettext`` (``num`` is a variable too)."""
    variables.setdefault("num", num)
    translated = _translations().ungettext(singular, plural, num)
    if eval_context.autoescape:
        translated = Markup(translated)  # noqa: S704  our own catalogue, as Jinja trusts it
    return translated % variables


def init_app(app) -> None:
    dates.init_app(app)
    # Replaces Flask-Babel's template callables with the same ones reading _translations() ...
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    # ... and the three every page calls with one-call versions of them.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    app.add_template_global(get_locale, "current_locale")
    app.add_template_global(LANGUAGE_NAMES, "language_names")
    app.add_template_global(role_label, "role_label")
