"""Local wall-clock times in named zones, and the two nights a year that make them hard.

A session is scheduled as a local date and time in an IANA zone. When clocks go forward, an
hour of local time does not exist (Europe/Berlin, last Sunday of March, 02:00-02:59): such a
time is refused. When clocks go back, an hour happens twice (the last Sunday of October,
02:00-02:59): lxp takes the first occurrence, still in summer time. That is also how RFC 5545
(3.3.5) reads a ``DTSTART;TZID=...`` local time, so the calendar file and lxp agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from lxp.core.dates import format_moment, viewer_date, viewer_wall_clock
from lxp.core.errors import Invalid
from lxp.core.time import is_valid_timezone


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``. Raises ``Invalid`` for a name this machine does not know."""
    if not is_valid_timezone(name):
        raise Invalid(_l("Choose a time zone from the list."), field="timezone")
    return ZoneInfo(name)


def local_to_utc(day: date, at: time, zone_name: str) -> tuple[datetime, bool]:
    """The UTC instant of wall-clock ``day`` ``at`` in ``zone_name``, and whether that local time
    happens twice (then the first occurrence is meant).

    Raises ``Invalid`` (field ``start_time``) when the local time does not exist because the
    clocks go forward, and for an unknown zone.
    """
    tz = zone(zone_name)
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        raise Invalid(
            _l("%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward that night. Choose another time.",
               time=viewer_wall_clock(at), date=viewer_date(day), zone=zone_name),
            field="start_time",
        )  # fmt: skip
    return instant, first.utcoffset() != second.utcoffset()


def in_zone(moment: datetime, zone_name: str) -> datetime:
    """``moment`` as wall-clock time in ``zone_name`` (``fold`` says which of a repeated hour)."""
    return moment.astimezone(ZoneInfo(zone_name))


def is_second_occurrence(local: datetime) -> bool:
    """True when aware ``local`` falls in the repeated hour after the clocks went back: its wall
    time alone would be read as the first occurrence."""
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def format_in_zone(moment: datetime, zone_name: str, locale: str, style: str = "medium") -> str:
    """``moment`` for a person in ``zone_name`` and ``locale`` (for mails, where the reader is not
    the signed-in user): the one format of ``lxp.core.dates``, medium date and short time.

    ``style`` is accepted for older callers only; every style reads the same, so one person never
    sees a time in two formats.
    """
    return format_moment(moment, locale, zone_name)
