"""Dates and times as people read them: one format per locale, everywhere.

A moment is shown as Babel's medium date and short time (never seconds), in a named zone:
"Dec 3, 2026, 10:00 AM", "03.12.2026, 10:00", "3 дек. 2026 г., 10:00". A day alone is the
medium date; a span on one local day names the day once: "Dec 3, 2026, 10:00 AM – 11:30 AM"
(Babel's own interval formats fall back to seconds for these skeletons, so the span is built
here from the same parts). The ``format_*`` functions take the locale and zone explicitly (for
e-mails, where the reader is not the signed-in user); the ``viewer_*`` ones are the Jinja
filters (``datetime``, ``date``, ``time``, ``timespan``) in the signed-in viewer's locale and zone.
Machine-readable times (the API, iCalendar, CSV) stay ISO 8601 and do not come here.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.dates import get_datetime_format, get_timezone_location
from flask_babel import get_locale, get_timezone

DATE_STYLE = "medium"
TIME_STYLE = "short"


def _zone(zone: str | tzinfo) -> tzinfo:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def _local(moment: datetime, zone: str | tzinfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: lxp keeps moments in aware UTC")
    return moment.astimezone(_zone(zone))


def _join(locale, day: str, clock: str) -> str:
    """The locale's own way of putting a date and a time together ("{1}, {0}", "{1} 'at' {0}")."""
    pattern = str(get_datetime_format(DATE_STYLE, locale=locale)).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


def format_moment(moment: datetime, locale, zone: str | tzinfo) -> str:
    """An aware ``moment`` as a date and a time of day without seconds, in ``zone``."""
    local = _local(moment, zone)
    return _join(locale, babel_format_date(local.date(), DATE_STYLE, locale=locale), format_clock(local, locale, zone))


def format_day(value: date | datetime, locale, zone: str | tzinfo | None = None) -> str:
    """A calendar day; an aware datetime is first moved to ``zone`` (the day it is there)."""
    if isinstance(value, datetime):
        value = _local(value, zone or "UTC").date()
    return babel_format_date(value, DATE_STYLE, locale=locale)


def format_clock(moment: datetime, locale, zone: str | tzinfo, *, with_zone: bool = False) -> str:
    """The time of day of an aware ``moment`` in ``zone``, without seconds; ``with_zone`` adds the
    zone's short name or offset ("MESZ", "+0200"), for a span the clocks change during."""
    local = _local(moment, zone)
    if not with_zone:
        return babel_format_time(local, TIME_STYLE, tzinfo=_zone(zone), locale=locale)
    pattern = Locale.parse(locale).time_formats[TIME_STYLE].pattern + " z"
    return babel_format_time(local, pattern, tzinfo=_zone(zone), locale=locale)


def format_span(start: datetime, end: datetime, locale, zone: str | tzinfo) -> str:
    """From ``start`` to ``end``: the day once when both fall on the same local day. When the
    clocks change in between (02:30 - 02:30 the night they go back) both times name their offset."""
    local_start, local_end = _local(start, zone), _local(end, zone)
    with_zone = local_start.utcoffset() != local_end.utcoffset()
    if local_start.date() == local_end.date():
        clocks = (f"{format_clock(start, locale, zone, with_zone=with_zone)} \u2013 "
                  f"{format_clock(end, locale, zone, with_zone=with_zone)}")  # fmt: skip
        return _join(locale, format_day(start, locale, zone), clocks)
    return f"{format_moment(start, locale, zone)} \u2013 {format_moment(end, locale, zone)}"


# --- for the signed-in viewer (Jinja filters) -----------------------------------------------


def _viewer_locale():
    return get_locale() or Locale.parse("en")  # None outside a request (a CLI command, a job)


def _viewer_zone():
    return get_timezone() or ZoneInfo("UTC")


def viewer_datetime(value: datetime | None, zone: str | None = None) -> str:
    """Jinja ``datetime``: a moment in the viewer's locale and zone (or in ``zone``, to show a
    session's own local time beside it); empty for None."""
    return "" if value is None else format_moment(value, _viewer_locale(), zone or _viewer_zone())


def viewer_date(value: date | datetime | None) -> str:
    """Jinja ``date``: the day (of a moment, in the viewer's zone); empty for None."""
    return "" if value is None else format_day(value, _viewer_locale(), _viewer_zone())


def viewer_time(value: datetime | None) -> str:
    """Jinja ``time``: the time of day in the viewer's zone; empty for None."""
    return "" if value is None else format_clock(value, _viewer_locale(), _viewer_zone())


def viewer_wall_clock(at: time) -> str:
    """A wall-clock time of day (no date, no zone: "2:30 AM", "02:30") in the viewer's locale."""
    return babel_format_time(at.replace(tzinfo=None), TIME_STYLE, locale=_viewer_locale())


def viewer_span(start: datetime | None, end: datetime | None, zone: str | None = None) -> str:
    """Jinja ``timespan``: ``start|timespan(end)`` in the viewer's locale and zone (or ``zone``)."""
    if start is None:
        return ""
    if end is None:
        return viewer_datetime(start, zone)
    return format_span(start, end, _viewer_locale(), zone or _viewer_zone())


def viewer_zone_name(zone: str) -> str:
    """Jinja ``zone``: a time zone as the viewer reads it: its city in their language where
    Babel knows it ("Москва", "Moskau"), else (and in English) the zone's IANA name."""
    locale = str(_viewer_locale())
    if locale.startswith("en") or "/" not in (zone or ""):
        return zone or ""
    try:
        city = get_timezone_location(zone, locale=locale, return_city=True)
    except LookupError:
        return zone
    untranslated = "/" in city or city == zone.rsplit("/", 1)[-1].replace("_", " ")
    return zone if untranslated else city


def init_app(app) -> None:
    app.add_template_filter(viewer_zone_name, "zone")
    app.add_template_filter(viewer_datetime, "datetime")
    app.add_template_filter(viewer_date, "date")
    app.add_template_filter(viewer_time, "time")
    app.add_template_filter(viewer_span, "timespan")
