"""A typed address is geocoded (geopy's Nominatim client against GEOCODER_URL) and searched,
within Nominatim's usage policy: at most one request a second, an identifying User-Agent, and
repeated addresses answered from a cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.botapi import FakeUser
from tests.e2e.conftest import LAT, LON, reply_buttons, start_stack
from tests.fakes.nominatim import FakeNominatim, running_nominatim
from tests.waiting import eventually


@dataclass
class Requests:
    """What the fake Nominatim was asked for, in the terms these tests check."""

    fake: FakeNominatim

    @property
    def queries(self) -> list[str]:
        return [r.params.get("q", "") for r in self.fake.requests if r.path == "/search"]

    @property
    def times(self) -> list[float]:  # time.monotonic() of arrival
        return [r.at for r in self.fake.requests]

    @property
    def user_agents(self) -> list[str]:
        return [r.user_agent for r in self.fake.requests]


@pytest.fixture
async def nominatim() -> AsyncIterator[tuple[str, Requests]]:
    """The local fake Nominatim (tests/fakes/nominatim.py): knows one street."""
    async with running_nominatim() as fake:
        fake.streets["khreshchatyk"] = (LAT, LON, "Khreshchatyk 1, Kyiv, Ukraine")
        yield fake.url, Requests(fake)


def _prompts(user: FakeUser) -> list[int]:
    return [m.message_id for m in user.messages if "type an address" in m.text]


async def test_typed_address_is_found_or_explained(
    tmp_path: Path, sqlite_template: Path, nominatim: tuple[str, Requests]
) -> None:
    url, requests = nominatim
    async for e2e in start_stack(tmp_path, sqlite_template, geocoder_url=url):
        user = e2e.tg.user(4001, "Maksym")
        await user.send_command("/find")
        await user.wait_for_message(lambda m: "type an address" in m.text)
        sends = sum(name == "sendMessage" for name, _ in e2e.tg.calls)
        await user.send_text("Nowhere street 99")
        again = await user.wait_for_message(lambda m: "could not find “Nowhere street 99”" in m.text)
        # One answer: the prompt again, below the typed address, the explanation on top (the
        # lookup shows as the chat's "choosing a location…" status, not as a message).
        assert again.text.startswith("I could not find “Nowhere street 99”. Try adding the city")
        assert again.reply_buttons() == ["📍 Send my location"]
        assert sum(name == "sendMessage" for name, _ in e2e.tg.calls) == sends + 1
        # The reply keyboard's new copy goes first, then the old one is deleted.
        await eventually(lambda u=user, a=again: _prompts(u) == [a.message_id], what="one prompt in the chat")
        assert any(name == "sendChatAction" for name, _ in e2e.tg.calls)
        await user.send_text("Khreshchatyk 1")
        results = await user.wait_for_message(lambda m: "Parking near Khreshchatyk 1" in m.text)
        assert any("Central Garage" in text for text, _ in results.buttons())
        assert requests.queries == ["Nowhere street 99", "Khreshchatyk 1"]


async def test_an_address_typed_on_the_results_searches_there_and_is_offered_next_time(
    tmp_path: Path, sqlite_template: Path, nominatim: tuple[str, Requests]
) -> None:
    url, requests = nominatim
    async for e2e in start_stack(tmp_path, sqlite_template, geocoder_url=url):
        user = e2e.tg.user(4003, "Iryna")
        await user.send_command("/find")
        await user.wait_for_message(lambda m: "type an address" in m.text)
        await user.tap_reply_button("📍 Send my location", location=(LAT + 0.5, LON))  # far away
        results = await user.wait_for_message(lambda m: "Parking near you" in m.text)
        assert "No free spots within 2 km" in results.text
        assert "✏️ Type an address to search elsewhere." in results.text
        await user.send_text("Khreshchatyk 1")  # on the results, not on the location prompt
        results = await user.wait_for_message(lambda m: "Parking near Khreshchatyk 1" in m.text)
        assert any("Central Garage" in text for text, _ in results.buttons())
        assert requests.queries == ["Khreshchatyk 1"]

        await user.send_command("/find")
        prompt = await user.wait_for_message(lambda m: "same place as last time" in m.text)
        assert "📍 Khreshchatyk 1\n" in prompt.text
        same = next(b for b in reply_buttons(user) if b.startswith("📍 Same place as last time"))
        await user.tap_reply_button(same)
        await user.wait_for_message(lambda m: "Parking near Khreshchatyk 1" in m.text and m.buttons() != [])


async def test_lookups_are_cached_spaced_a_second_apart_and_identify_the_bot(
    tmp_path: Path, sqlite_template: Path, nominatim: tuple[str, Requests]
) -> None:
    url, requests = nominatim
    async for e2e in start_stack(tmp_path, sqlite_template, geocoder_url=url):
        user = e2e.tg.user(4002, "Olena")
        for typed in ("Khreshchatyk 1", "Nowhere street 99", "  khreshchatyk   1 "):
            await user.send_command("/find")
            await user.wait_for_message(lambda m: "type an address" in m.text)
            await user.send_text(typed)
            await user.wait_for_message(lambda m: "Parking near" in m.text or "could not find" in m.text)
        # The same address again (however it is spaced or cased) is answered from the cache.
        assert requests.queries == ["Khreshchatyk 1", "Nowhere street 99"]
        # Public Nominatim allows one request a second.
        assert requests.times[1] - requests.times[0] >= 0.98
        # ...and wants to know who asks: the project and the bot (from getMe).
        assert set(requests.user_agents) == {
            "smart-parking-bot (@parking_test_bot; +https://t.me/parking_test_bot)"
        }
