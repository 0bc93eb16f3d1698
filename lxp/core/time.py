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
    """(value, label) pairs of the ``Area/City`` zones and UTC, sorted, for a select box."""
    zones = sorted(z for z in _zone_names() if "/" in z and not z.startswith(_NON_GEOGRAPHIC))
    return [(z, z.replace("_", " ")) for z in zones] + [("UTC", "UTC")]
