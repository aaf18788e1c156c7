"""Details edits everything the wizard asks, as a manager sees it: the features (the wizard's
multiselect, saved at each tap), the photos (sent to add, one removed, all removed, at most 10)
and the location (shared or typed; when the time zone guessed there differs, changing it too is
offered). And the wizard's address step, prefilled from reverse geocoding (the real geopy client
against the local fake Nominatim): a one-tap "Use: …" when it answers, only typing (with a short
hint) when it fails or is slow, one lookup per location."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram.methods import SendChatAction
from sqlalchemy import select

from bot.context import Services
from bot.geocoding import Geocoder
from core.clock import ManualClock
from core.models import AuditEntry, Premise, StaffRole
from tests.bot.dialog_support import Driver
from tests.factories import make_premise
from tests.fakes.nominatim import FakeNominatim, running_nominatim

OWNER, MANAGER, ATTENDANT = 9001, 9002, 9004
VIENNA = (48.2082, 16.3738)


async def _setup(services: Services, clock: ManualClock) -> int:
    """Alpha Garage in Kyiv, its manager and attendant, and an owner."""
    async with services.db.transaction() as s:
        premise_id = (await make_premise(s, name="Alpha Garage", spots=2, now=clock.now())).id
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    for telegram_id, role in ((MANAGER, StaffRole.MANAGER), (ATTENDANT, StaffRole.ATTENDANT)):
        user = (
            await services.users.telegram_caller(telegram_id, name=f"U{telegram_id}", language="en")
        ).user_id
        invite = await services.admin.invite(owner, premise_id, role)
        await services.admin.accept_invite(user, invite.token)
    return premise_id


async def _details(services: Services, clock: ManualClock) -> Driver:
    await _setup(services, clock)
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    await manager.tap("Alpha Garage · manager")
    await manager.tap("🏢 Details")
    return manager


async def _actions(services: Services) -> list[str]:
    async with services.db.read() as s:
        return list(
            await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("premises.edit%")))
        )


async def test_a_manager_switches_features_on_and_off(services: Services, clock: ManualClock) -> None:
    manager = await _details(services, clock)
    await manager.tap("✏️ Features")
    assert (
        manager.text == "✨ Features of <b>Alpha Garage</b>: tap one to switch it on or off (saved at once)."
    )
    assert manager.layout == [
        ["▫️ 🏠 Covered", "▫️ ⚡ EV charging"],
        ["▫️ 📹 CCTV", "▫️ 🕐 24/7"],
        ["▫️ ♿ Accessible", "▫️ 💂 Guarded"],
        ["⬅️ Back"],
    ]
    await manager.tap("▫️ 📹 CCTV")
    await manager.tap("▫️ 🏠 Covered")
    await manager.tap("✅ 📹 CCTV")
    await manager.tap("▫️ ⚡ EV charging")
    assert manager.layout[:2] == [["✅ 🏠 Covered", "✅ ⚡ EV charging"], ["▫️ 📹 CCTV", "▫️ 🕐 24/7"]]
    await manager.tap("⬅️ Back")
    assert "✨ 🏠 Covered, ⚡ EV charging\n" in manager.text
    assert await _actions(services) == ["premises.edit.features"] * 4


async def test_a_manager_adds_and_removes_photos(services: Services, clock: ManualClock) -> None:
    manager = await _details(services, clock)
    await manager.tap("✏️ Photos")
    assert manager.text == "🖼 <b>Alpha Garage</b> has no photos. Send some (at most 10)."
    assert manager.layout == [["⬅️ Back"]]
    await manager.send_photo("AgAC-front")
    assert manager.screen.photo is not None and manager.screen.photo[0].file_id == "AgAC-front"
    assert manager.text == "🖼 Photo 1 of 1 of <b>Alpha Garage</b>. Send photos to add more (at most 10)."
    assert manager.layout == [["🗑 Remove this photo"], ["⬅️ Back"]]
    await manager.send_photo("AgAC-gate")
    assert manager.screen.photo is not None and manager.screen.photo[0].file_id == "AgAC-gate"
    assert manager.text.startswith("🖼 Photo 2 of 2 of")
    assert manager.layout == [["◀️", "▶️"], ["🗑 Remove this photo"], ["🧹 Remove all 2"], ["⬅️ Back"]]
    await manager.tap("◀️")
    assert manager.screen.photo is not None and manager.screen.photo[0].file_id == "AgAC-front"
    await manager.tap("🗑 Remove this photo")
    assert manager.bot.callback_answers()[-1].text == "The photo is removed."
    assert manager.screen.photo is not None and manager.screen.photo[0].file_id == "AgAC-gate"
    assert manager.text.startswith("🖼 Photo 1 of 1 of")
    await manager.send("a caption instead of a photo")
    assert manager.text.startswith("I did not get that. Use the buttons, or /help to see what I can do.\n\n🖼")
    for n in range(9):
        await manager.send_photo(f"AgAC-{n}")
    await manager.send_photo("AgAC-eleventh")
    assert manager.text.startswith("⚠️ At most 10 photos.\n\n🖼 Photo 10 of 10 of")
    await manager.tap("🧹 Remove all 10")
    assert manager.text == "🖼 <b>Alpha Garage</b> has no photos. Send some (at most 10)."
    await manager.tap("⬅️ Back")
    assert "🖼 0 photos · 2 spots" in manager.text
    async with services.db.read() as s:
        assert await s.scalar(select(Premise.photos)) == []


async def test_a_manager_moves_the_car_park_and_is_offered_its_new_time_zone(
    services: Services, clock: ManualClock
) -> None:
    manager = await _details(services, clock)
    await manager.tap("✏️ Location")
    assert manager.text == (
        "📍 Now at <code>50.45000, 30.52000</code> (Europe/Kyiv).\n"
        "Send the new location (📎 → Location) or type its coordinates, like <code>50.45, 30.52</code>:"
    )
    await manager.send("next to the river")
    assert manager.text.startswith("⚠️ Send a location, or type coordinates like 50.45, 30.52.\n\n📍 Now at")
    await manager.send_location(*VIENNA)
    assert manager.text == (
        "📍 Moved to <code>48.20820, 16.37380</code>.\n"
        "The time zone there looks like <b>Europe/Vienna</b>, and the car park is on <b>Europe/Kyiv</b>. "
        "Change it too?"
    )
    assert manager.layout == [["🕒 Change to Europe/Vienna"], ["✅ Keep Europe/Kyiv"]]
    await manager.tap("🕒 Change to Europe/Vienna")
    assert "📍 1 Test Street (48.20820, 16.37380)\n🕒 Europe/Vienna · " in manager.text
    # Typed, within the same zone: nothing to offer, straight back to the details.
    await manager.tap("✏️ Location")
    await manager.send("48.21, 16.37")
    assert "(48.21000, 16.37000)\n🕒 Europe/Vienna" in manager.text
    assert await _actions(services) == [
        "premises.edit.location", "premises.edit.timezone", "premises.edit.location",
    ]  # fmt: skip


# ---------------------------------------------------------------------- the wizard's address
@pytest.fixture
async def nominatim() -> AsyncIterator[FakeNominatim]:
    async with running_nominatim() as fake:
        fake.add_place(*VIENNA, "Schottenring", "1", "Wien")
        yield fake


def _with_geocoder(services: Services, geocoder: Geocoder) -> Services:
    return Services(
        db=services.db, clock=services.clock, settings=services.settings, payments=None, geocoder=geocoder
    )


async def _new_car_park(owner: Driver) -> None:
    await owner.send("/admin")
    await owner.tap("➕ New car park")
    await owner.send_location(*VIENNA)
    assert owner.text == "🏢 Its name, as drivers see it:"
    await owner.send("Ring Garage")


async def test_the_address_found_at_the_location_is_one_tap(
    services: Services, clock: ManualClock, nominatim: FakeNominatim
) -> None:
    await _setup(services, clock)
    geocoder = Geocoder(nominatim.url, min_interval=0.0)
    try:
        owner = Driver(_with_geocoder(services, geocoder), OWNER)
        await _new_car_park(owner)
        assert owner.text == "📍 Its address: use the one found at the location, or type it:"
        assert owner.layout == [["📍 Use: Schottenring 1, Wien"], ["⬅️ Back"]]
        # Back to the location and the same one again: the geocoder is not asked twice.
        await owner.tap("⬅️ Back")
        await owner.tap("⬅️ Back")
        await owner.send_location(*VIENNA)
        await owner.send("Ring Garage")
        await owner.tap("📍 Use: Schottenring 1, Wien")
        assert owner.text.startswith("🕒 Its time zone, guessed from the location: <b>Europe/Vienna</b>.")
        await owner.tap("✅ Keep Europe/Vienna")
        await owner.tap("✅ Keep EUR")
        await owner.send("2.50")
        await owner.tap("🕛 24/7")
        await owner.tap("➡️ Next")
        await owner.tap("⏭ Skip")
        await owner.tap("➡️ Next")
        assert owner.text.startswith("🏢 <b>Ring Garage</b>\n📍 Schottenring 1, Wien (48.20820, 16.37380)\n")
    finally:
        await geocoder.close()
    [asked] = nominatim.reverse_requests()
    assert (asked["lat"], asked["lon"], asked["accept-language"]) == ("48.2082", "16.3738", "en")
    # While it looks, the chat's header says so (no message of its own).
    actions = [m for m in owner.bot.calls if isinstance(m, SendChatAction)]
    assert [a.action for a in actions] == ["find_location"]


async def test_a_failing_or_slow_geocoder_leaves_typing(
    services: Services, clock: ManualClock, nominatim: FakeNominatim
) -> None:
    await _setup(services, clock)
    geocoder = Geocoder(nominatim.url, min_interval=0.0, reverse_seconds=0.3)
    try:
        for fail, delay in ((True, 0.0), (False, 2.0)):
            nominatim.fail, nominatim.delay = fail, delay
            owner = Driver(_with_geocoder(services, geocoder), OWNER)
            await _new_car_park(owner)
            assert owner.text == "📍 Its address (none found at the location), type it:"
            assert owner.layout == [["⬅️ Back"]]
            await owner.send("Schottenring 1")
            assert owner.text.startswith("🕒 Its time zone")
    finally:
        await geocoder.close()
    assert len(nominatim.reverse_requests()) == 2


async def test_the_wizard_takes_at_most_ten_photos(services: Services, clock: ManualClock) -> None:
    await _setup(services, clock)
    owner = Driver(services, OWNER)  # no geocoder: the address is typed
    await owner.send("/admin")
    await owner.tap("➕ New car park")
    await owner.send("48.2082, 16.3738")
    await owner.send("Ring Garage")
    assert owner.text == "📍 Its address:"
    await owner.send("Schottenring 1")
    await owner.tap("✅ Keep Europe/Vienna")
    await owner.tap("✅ Keep EUR")
    await owner.send("2.50")
    await owner.tap("🕛 24/7")
    await owner.tap("➡️ Next")
    await owner.tap("⏭ Skip")
    for n in range(11):
        await owner.send_photo(f"AgAC-{n}")
    assert owner.text == "⚠️ At most 10 photos.\n\n🖼 10 photos. Send more, or go on."
    await owner.tap("➡️ Next")
    assert "\n🖼 10 photos\nCreate it?" in owner.text
