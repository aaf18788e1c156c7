"""A location's street address from the geocoder (geopy's real Nominatim client against the
local fake Nominatim over HTTP): the parameters Nominatim's /reverse takes, one call per
location, the same one-a-second pace as address searches, and None (never an error) when the
geocoder fails or is slow."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.geocoding import Geocoder
from tests.fakes.nominatim import FakeNominatim, running_nominatim

LAT, LON = 48.2082, 16.3738


@pytest.fixture
async def nominatim() -> AsyncIterator[FakeNominatim]:
    async with running_nominatim() as fake:
        fake.add_place(LAT, LON, "Schottenring", "1", "Wien")
        fake.streets["khreshchatyk"] = (50.45, 30.52, "Khreshchatyk 1, Kyiv")
        yield fake


async def test_a_location_gives_its_street_address_once(nominatim: FakeNominatim) -> None:
    geocoder = Geocoder(nominatim.url, min_interval=0.2)
    geocoder.identify("parking_test_bot")
    try:
        assert await geocoder.address(LAT, LON, "de") == "Schottenring 1, Wien"
        assert await geocoder.address(LAT + 0.000001, LON, "de") == "Schottenring 1, Wien"  # cached
        assert await geocoder.address(10.0, 10.0, "de") is None  # Nominatim: "Unable to geocode"
    finally:
        await geocoder.close()
    [first, nothing] = nominatim.reverse_requests()
    assert first == {
        "lat": str(LAT), "lon": str(LON), "format": "json", "accept-language": "de", "addressdetails": "1",
    }  # fmt: skip
    assert nothing["lat"] == "10.0"
    assert {r.user_agent for r in nominatim.requests} == {
        "smart-parking-bot (@parking_test_bot; +https://t.me/parking_test_bot)"
    }


async def test_searches_and_reverse_lookups_share_one_pace(nominatim: FakeNominatim) -> None:
    geocoder = Geocoder(nominatim.url, min_interval=0.3)
    try:
        assert (await geocoder.find("Khreshchatyk 1", "en")) is not None
        assert await geocoder.address(LAT, LON, "en") == "Schottenring 1, Wien"
    finally:
        await geocoder.close()
    first, second = (r.at for r in nominatim.requests)
    assert [r.path for r in nominatim.requests] == ["/search", "/reverse"]
    assert second - first >= 0.29


async def test_a_failing_or_slow_geocoder_gives_none_at_once(nominatim: FakeNominatim) -> None:
    geocoder = Geocoder(nominatim.url, min_interval=0.0, reverse_seconds=0.3)
    try:
        nominatim.fail = True
        assert await geocoder.address(LAT, LON, "en") is None
        nominatim.fail, nominatim.delay = False, 2.0
        started = time.monotonic()
        assert await geocoder.address(LAT, LON, "en") is None
        assert time.monotonic() - started < 1.0
        # Neither failure is remembered: the geocoder is asked again once it answers.
        nominatim.delay = 0.0
        assert await geocoder.address(LAT, LON, "en") == "Schottenring 1, Wien"
    finally:
        await geocoder.close()
    assert len(nominatim.reverse_requests()) == 3


async def test_the_fake_refuses_what_nominatim_refuses(nominatim: FakeNominatim) -> None:
    """The fake is only as good as its checks: it answers 400 where Nominatim does."""
    async with aiohttp.ClientSession() as http:
        for query, status in (
            ({"lat": "48.2", "lon": "16.3", "format": "json"}, 200),
            ({"lon": "16.3", "format": "json"}, 400),
            ({"lat": "98", "lon": "16.3", "format": "json"}, 400),
            ({"lat": "48.2", "lon": "16.3", "format": "yaml"}, 400),
            ({"lat": "48.2", "lon": "16.3", "format": "json", "language": "en"}, 400),
        ):
            async with http.get(f"{nominatim.url}/reverse", params=query) as response:
                assert response.status == status, query
