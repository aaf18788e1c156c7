"""Typed addresses to coordinates, and a location to its address (geopy's Nominatim client;
GEOCODER_URL points elsewhere).

Public Nominatim's usage policy: at most one request a second, and a User-Agent that identifies
the application. Requests go through geopy's `AsyncRateLimiter` (one at a time, a second apart,
per process: several processes each keep their own pace, so run your own Nominatim or another
GEOCODER_URL past one process), answers are kept in a small TTL cache (drivers type the same
streets and landmarks again and again), and the User-Agent names the project and the bot once
`identify()` has been told the bot's username (from getMe). Both directions share the one
rate limiter and the cache's politeness.

The reverse lookup prefills the address of a new car park: the owner is waiting on a step they
can answer by typing, so it has a short deadline and never raises (None: type it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
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
REVERSE_SECONDS = 3.0  # the whole reverse lookup, the rate limiter's wait included
MAX_ADDRESS = 300  # premises.address


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
    def __init__(
        self, base_url: str = "", *, min_interval: float = 1.0, reverse_seconds: float = REVERSE_SECONDS
    ) -> None:
        self.reverse_seconds = reverse_seconds
        parts = urlsplit(base_url) if base_url else None
        self._geocoder = Nominatim(
            user_agent=user_agent(None),
            domain=parts.netloc if parts else "nominatim.openstreetmap.org",
            scheme=parts.scheme if parts else "https",
            adapter_factory=AioHTTPAdapter,
            timeout=5,
        )
        # No retries and no swallowed errors: the driver is waiting, and is offered to send
        # their location instead. One limiter for both directions: Nominatim's one request a
        # second is per client, not per endpoint.
        self._limited = AsyncRateLimiter(
            _call,
            min_delay_seconds=min_interval,
            max_retries=0,
            error_wait_seconds=min_interval,
            swallow_exceptions=False,
        )
        self._cache: TTLCache[tuple[str, str], Place | None] = TTLCache(CACHE_SIZE, CACHE_SECONDS)
        self._addresses: TTLCache[tuple[float, float, str], str | None] = TTLCache(CACHE_SIZE, CACHE_SECONDS)

    def identify(self, bot_username: str | None) -> None:
        """Names the bot in the User-Agent (Nominatim blocks anonymous stock agents)."""
        self._geocoder.headers["User-Agent"] = user_agent(bot_username)

    async def find(self, query: str, language: str) -> Place | None:
        key = (" ".join(query.split()).casefold(), language)
        if key in self._cache:
            return self._cache[key]
        try:
            found: Any = await self._limited(
                self._geocoder.geocode, query, language=language, exactly_one=True
            )
        except GeopyError as exc:
            log.warning("geocoder failed: %s", exc)
            raise GeocoderUnavailable(str(exc)) from exc
        place = None
        if found is not None:
            label = str(found.address).split(",")[0]
            place = Place(float(found.latitude), float(found.longitude), label)
        self._cache[key] = place
        return place

    async def address(self, lat: float, lon: float, language: str) -> str | None:
        """The street address at a location (`Street 1, City`), or None: nothing there, or the
        geocoder failed or was slower than `reverse_seconds` (logged, never raised). The same
        point (to about a metre) is asked about once a day."""
        key = (round(lat, 5), round(lon, 5), language)
        if key in self._addresses:
            return self._addresses[key]
        try:
            found: Any = await asyncio.wait_for(
                self._limited(
                    self._geocoder.reverse,
                    (lat, lon),
                    language=language,
                    exactly_one=True,
                    timeout=self.reverse_seconds,
                ),
                self.reverse_seconds,
            )
        except (GeopyError, TimeoutError) as exc:
            # Not cached: the next location the owner shares may find it answering again.
            log.warning("reverse geocoder failed: %s", type(exc).__name__)
            return None
        address = _street_address(found.raw) if found is not None else None
        self._addresses[key] = address
        return address

    async def close(self) -> None:
        adapter = getattr(self._geocoder, "adapter", None)
        if adapter is not None:
            await adapter.__aexit__(None, None, None)


async def _call(function: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """What the rate limiter spaces out: any of the client's calls."""
    return await function(*args, **kwargs)


def _street_address(raw: Any) -> str | None:
    """`Road 1, City` from Nominatim's address details; else the first parts of its display
    name (a park or a square has no house number)."""
    if not isinstance(raw, dict):
        return None
    details = raw.get("address")
    parts: dict[str, Any] = details if isinstance(details, dict) else {}
    street = " ".join(str(parts[k]) for k in ("road", "house_number") if parts.get(k))
    place = next((str(parts[k]) for k in ("city", "town", "village", "suburb") if parts.get(k)), "")
    text = ", ".join(p for p in (street, place) if p)
    if not street:
        text = ", ".join(str(raw.get("display_name", "")).split(", ")[:3])
    return " ".join(text.split())[:MAX_ADDRESS] or None
