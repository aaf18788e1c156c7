"""Typed addresses to coordinates (geopy's Nominatim client; GEOCODER_URL points elsewhere)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from geopy.adapters import AioHTTPAdapter
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

log = logging.getLogger(__name__)


class GeocoderUnavailable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    label: str


class Geocoder:
    def __init__(self, base_url: str = "", *, user_agent: str = "smart-parking-bot") -> None:
        parts = urlsplit(base_url) if base_url else None
        self._geocoder = Nominatim(
            user_agent=user_agent,
            domain=parts.netloc if parts else "nominatim.openstreetmap.org",
            scheme=parts.scheme if parts else "https",
            adapter_factory=AioHTTPAdapter,
            timeout=5,
        )

    async def find(self, query: str, language: str) -> Place | None:
        try:
            found = await self._geocoder.geocode(query, language=language, exactly_one=True)
        except GeopyError as exc:
            log.warning("geocoder failed: %s", exc)
            raise GeocoderUnavailable(str(exc)) from exc
        if found is None:
            return None
        label = str(found.address).split(",")[0]
        return Place(float(found.latitude), float(found.longitude), label)

    async def close(self) -> None:
        adapter = getattr(self._geocoder, "adapter", None)
        if adapter is not None:
            await adapter.__aexit__(None, None, None)
