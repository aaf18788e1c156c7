"""Typed addresses to coordinates (geopy's Nominatim client; GEOCODER_URL points elsewhere).

Public Nominatim's usage policy: at most one request a second, and a User-Agent that identifies
the application. Requests go through geopy's `AsyncRateLimiter` (one at a time, a second apart,
per process: several processes each keep their own pace, so run your own Nominatim or another
GEOCODER_URL past one process), answers are kept in a small TTL cache (drivers type the same
streets and landmarks again and again), and the User-Agent names the project and the bot once
`identify()` has been told the bot's username (from getMe).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cachetools import TTLCache
from geopy.adapters import AioHTTPAdapter
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import AsyncRateLimiter
from geopy.geocoders import Nominatim

log = logging.getLogger(__name__)

PROJECT = "smart-parking-bot"
CACHE_SIZE = 1024
CACHE_SECONDS = 24 * 3600  # streets do not move; an unknown address stays unknown for a day too


class GeocoderUnavailable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    label: str


def user_agent(bot_username: str | None) -> str:
    if not bot_username:
        return PROJECT
    return f"{PROJECT} (@{bot_username}; +https://t.me/{bot_username})"


class Geocoder:
    def __init__(self, base_url: str = "", *, min_interval: float = 1.0) -> None:
        parts = urlsplit(base_url) if base_url else None
        self._geocoder = Nominatim(
            user_agent=user_agent(None),
            domain=parts.netloc if parts else "nominatim.openstreetmap.org",
            scheme=parts.scheme if parts else "https",
            adapter_factory=AioHTTPAdapter,
            timeout=5,
        )
        # No retries and no swallowed errors: the driver is waiting, and is offered to send
        # their location instead.
        self._geocode = AsyncRateLimiter(
            self._geocoder.geocode,
            min_delay_seconds=min_interval,
            max_retries=0,
            error_wait_seconds=min_interval,
            swallow_exceptions=False,
        )
        self._cache: TTLCache[tuple[str, str], Place | None] = TTLCache(CACHE_SIZE, CACHE_SECONDS)

    def identify(self, bot_username: str | None) -> None:
        """Names the bot in the User-Agent (Nominatim blocks anonymous stock agents)."""
        self._geocoder.headers["User-Agent"] = user_agent(bot_username)

    async def find(self, query: str, language: str) -> Place | None:
        key = (" ".join(query.split()).casefold(), language)
        if key in self._cache:
            return self._cache[key]
        try:
            found: Any = await self._geocode(query, language=language, exactly_one=True)
        except GeopyError as exc:
            log.warning("geocoder failed: %s", exc)
            raise GeocoderUnavailable(str(exc)) from exc
        place = None
        if found is not None:
            label = str(found.address).split(",")[0]
            place = Place(float(found.latitude), float(found.longitude), label)
        self._cache[key] = place
        return place

    async def close(self) -> None:
        adapter = getattr(self._geocoder, "adapter", None)
        if adapter is not None:
            await adapter.__aexit__(None, None, None)
