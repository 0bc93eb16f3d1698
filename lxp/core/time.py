"""Time in lxp: stored in UTC, shown in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current moment as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime column that accepts only aware values and always returns aware UTC.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so the value is stored as naive
    UTC and given its zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_valid_timezone(name: str) -> bool:
    """True when ``name`` is an IANA zone this machine knows (for example ``Europe/Berlin``)."""
    if not name or name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_NON_GEOGRAPHIC = ("Etc/", "SystemV/", "posix/", "right/")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    """(value, label) pairs of the ``Area/City`` zones and UTC, sorted: every zone this machine
    knows, old aliases included (the API and imports accept them). Forms offer the curated
    ``zone_groups()`` instead."""
    zones = sorted(z for z in _zone_names() if "/" in z and not z.startswith(_NON_GEOGRAPHIC))
    return [(z, z.replace("_", " ")) for z in zones] + [("UTC", "UTC")]


# The zones most lxp learners live in, offered first; the rest follow by area.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/Zurich", "Europe/Vienna", "Europe/Warsaw", "Europe/Helsinki",
    "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg", "America/Sao_Paulo",
    "America/Mexico_City", "America/New_York", "America/Toronto", "America/Chicago", "America/Denver",
    "America/Phoenix", "America/Los_Angeles",
)  # fmt: skip


def zone_label(name: str) -> str:
    """``America/Argentina/Buenos_Aires`` as ``America / Argentina / Buenos Aires``."""
    return name.replace("_", " ").replace("/", " / ")


@lru_cache(maxsize=1)
def zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The curated list for a select box: ``("common", COMMON_ZONES)`` first, then each area
    (``"Africa"``, ``"America"``, ...) with its other zones, sorted; every name the preferred
    one of tzdata's zone.tab and known to this machine, none twice, no aliases."""
    from lxp.core.zone_names import ZONE_TAB

    known = _zone_names() | {"UTC"}
    common = tuple(z for z in COMMON_ZONES if z in known)
    areas: dict[str, list[str]] = {}
    for name in ZONE_TAB:
        if name in known and name not in common:
            areas.setdefault(name.split("/", 1)[0], []).append(name)
    return (("common", common), *((area, tuple(sorted(names))) for area, names in sorted(areas.items())))
