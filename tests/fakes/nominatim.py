"""A local stand-in for Nominatim's HTTP API (`/search` and `/reverse`) that geopy's real
client talks to over HTTP. It checks the query parameters the real API takes (an unknown one,
a missing or out-of-range coordinate, or an unknown format is a 400, as Nominatim answers),
records every request, and can be told to fail (HTTP 500) or to answer slowly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# https://nominatim.org/release-docs/latest/api/Reverse/ : every parameter /reverse accepts.
REVERSE_PARAMS = frozenset(
    {
        "lat", "lon", "format", "json_callback", "addressdetails", "extratags", "namedetails",
        "accept-language", "zoom", "layer", "polygon_geojson", "polygon_kml", "polygon_svg",
        "polygon_text", "polygon_threshold", "email", "debug",
    }
)  # fmt: skip
FORMATS = frozenset({"xml", "json", "jsonv2", "geojson", "geocodejson"})


@dataclass
class Request:
    path: str
    params: dict[str, str]
    at: float  # time.monotonic()
    user_agent: str


@dataclass
class FakeNominatim:
    """`places`: (lat, lon) rounded to 4 decimals → Nominatim's reverse answer for it."""

    places: dict[tuple[float, float], dict[str, Any]] = field(default_factory=dict)
    streets: dict[str, tuple[float, float, str]] = field(default_factory=dict)  # lowercase word → place
    requests: list[Request] = field(default_factory=list)
    fail: bool = False  # answer 500
    delay: float = 0.0  # seconds before answering
    url: str = ""

    def reverse_requests(self) -> list[dict[str, str]]:
        return [r.params for r in self.requests if r.path == "/reverse"]

    def add_place(self, lat: float, lon: float, road: str, house: str, city: str) -> None:
        self.places[(round(lat, 4), round(lon, 4))] = {
            "place_id": len(self.places) + 1,
            "lat": str(lat),
            "lon": str(lon),
            "display_name": f"{house}, {road}, {city}",
            "address": {"house_number": house, "road": road, "city": city},
            "boundingbox": [str(lat), str(lat), str(lon), str(lon)],
        }

    async def _record(self, request: web.Request) -> None:
        self.requests.append(
            Request(
                request.path, dict(request.query), time.monotonic(), request.headers.get("User-Agent", "")
            )
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise web.HTTPInternalServerError(text="boom")

    async def reverse(self, request: web.Request) -> web.Response:
        await self._record(request)
        q = request.query
        if unknown := set(q) - REVERSE_PARAMS:
            return _bad(f"unknown parameter(s) {sorted(unknown)}")
        if q.get("format", "xml") not in FORMATS:
            return _bad("format")
        if q.get("addressdetails", "1") not in ("0", "1") or not q.get("zoom", "18").isdigit():
            return _bad("addressdetails or zoom")
        try:
            lat, lon = float(q["lat"]), float(q["lon"])
        except (KeyError, ValueError):
            return _bad("Need coordinates or OSM object to lookup.")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return _bad("Invalid coordinates.")
        if q.get("format") not in ("json", "jsonv2"):
            return _bad("this fake speaks json only")
        place = self.places.get((round(lat, 4), round(lon, 4)))
        if place is None:
            return web.json_response({"error": "Unable to geocode"})
        answer = dict(place)
        if q.get("addressdetails", "1") == "0":
            answer.pop("address")
        return web.json_response(answer)

    async def search(self, request: web.Request) -> web.Response:
        await self._record(request)
        query = request.query.get("q", "").lower()
        for word, (lat, lon, name) in self.streets.items():
            if word in query:
                return web.json_response(
                    [
                        {
                            "place_id": 1,
                            "lat": str(lat),
                            "lon": str(lon),
                            "display_name": name,
                            "boundingbox": [str(lat), str(lat), str(lon), str(lon)],
                        }
                    ]
                )
        return web.json_response([])


def _bad(message: str) -> web.Response:
    return web.json_response({"error": {"code": 400, "message": message}}, status=400)


@asynccontextmanager
async def running_nominatim(fake: FakeNominatim | None = None) -> AsyncIterator[FakeNominatim]:
    fake = fake or FakeNominatim()
    app = web.Application()
    app.router.add_get("/reverse", fake.reverse)
    app.router.add_get("/search", fake.search)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()
