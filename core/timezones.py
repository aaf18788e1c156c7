"""A new car park's time zone, guessed offline from its coordinates (timezonefinder's boundary
data, loaded once on first use); the operator confirms or types another."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from timezonefinder import TimezoneFinder


@cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder()


def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def guess(lat: float, lon: float, default: str) -> str:
    """The IANA zone at the point, or `default` when the data cannot tell (or names a zone
    this system's tz database lacks)."""
    found = _finder().timezone_at(lng=lon, lat=lat)
    return found if found and is_zone(found) else default
