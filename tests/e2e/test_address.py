"""A typed address is geocoded (geopy's Nominatim client against GEOCODER_URL) and searched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e.conftest import LAT, LON, start_stack


@pytest.fixture
async def nominatim() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in for Nominatim's /search: knows one street, and records the queries."""
    queries: list[str] = []

    async def search(request: web.Request) -> web.Response:
        query = request.query.get("q", "")
        queries.append(query)
        if "khreshchatyk" not in query.lower():
            return web.json_response([])
        return web.json_response(
            [
                {
                    "place_id": 1,
                    "lat": str(LAT),
                    "lon": str(LON),
                    "display_name": "Khreshchatyk 1, Kyiv, Ukraine",
                    "boundingbox": [str(LAT), str(LAT), str(LON), str(LON)],
                }
            ]
        )

    app = web.Application()
    app.router.add_get("/search", search)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", queries
    await runner.cleanup()


async def test_typed_address_is_found_or_explained(
    tmp_path: Path, sqlite_template: Path, nominatim: tuple[str, list[str]]
) -> None:
    url, queries = nominatim
    async for e2e in start_stack(tmp_path, sqlite_template, geocoder_url=url):
        user = e2e.tg.user(4001, "Maksym")
        await user.send_command("/find")
        await user.wait_for_message(lambda m: "type an address" in m.text)
        await user.send_text("Nowhere street 99")
        await user.wait_for_message(lambda m: "could not find “Nowhere street 99”" in m.text)
        await user.send_text("Khreshchatyk 1")
        results = await user.wait_for_message(lambda m: "Parking near Khreshchatyk 1" in m.text)
        assert any("Central Garage" in text for text, _ in results.buttons())
        assert queries == ["Nowhere street 99", "Khreshchatyk 1"]
