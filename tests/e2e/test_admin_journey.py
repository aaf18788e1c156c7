"""The operator console end to end (issue 12, item 8), through the real service (service.App over
HTTP against the Bot API emulator, the MQTT link on the local Mosquitto with a simulated
device), from a database with no premise at all:

1. an owner (ADMIN_IDS) creates a car park from Telegram alone: the location, the wizard's
   questions, spots A1-A10, a rate plan with a first-hour price and a night rate, and the
   blocker heard on MQTT but not registered, bound in two taps and tested;
2. a driver finds it by location and books a stay that crosses 22:00 at the price the plan
   gives, line items on the booking screens;
3. an attendant invited by link gets /admin in their command menu, sees occupancy (Now), and a console without
   prices; the owner's "save prices" button replayed from their chat changes nothing, and the
   Prices section forged into their console is refused and audited;
4. a manager of this car park (in Ukrainian) reads what the console can do and cannot touch
   another car park (forged buttons refused and audited); revoked while a new price is on
   their screen, their "save" is refused on the server and audited;
5. the owner closes the spot of the driver's booking and moves it: the driver is told;
6. the audit log, in the console and in the table, has every step.

What the owner sees in step 1 is written to tests/e2e/transcripts/admin_setup.txt and quoted
in README.md: the test fails when either differs from what the bot answered (regenerate both
with UPDATE_CATALOGUE=1 and read the diff)."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.format import audit_action
from bot.i18n import tr
from core.models import AuditEntry, Premise, RatePlanVersion, Reservation, Spot, User
from core.usecases.premises_admin import PremiseDraft
from demo.botapi import BotMessage, FakeUser, parse_html
from hardware.link import BlockerLink
from hardware.simulator import Simulator
from tests.e2e.conftest import E2E, LAT, LON, button, start_stack, tap
from tests.fakes.nominatim import FakeNominatim, running_nominatim
from tests.services import MQTT_URL, tcp_open, unavailable
from tests.waiting import eventually

pytestmark = pytest.mark.mqtt

OWNER, DRIVER, ATTENDANT, MANAGER = 7001, 7002, 7003, 7004
DEVICE = "BLK-R1"
KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 12, 7, 18, 40, tzinfo=KYIV)  # a Monday evening: a stay from 20:30 crosses 22:00
HERE = Path(__file__).parent
TRANSCRIPT = HERE / "transcripts" / "admin_setup.txt"
README = HERE.parents[1] / "README.md"
README_START = "<!-- transcript: tests/e2e/transcripts/admin_setup.txt -->\n```text\n"
README_END = "```\n<!-- /transcript -->"
REFUSED = "You do not have access to this."


@pytest.fixture
async def empty(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[E2E]:
    """The service with no premise, an owner in ADMIN_IDS, and one device switched on that
    nobody has registered."""
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL} (set TEST_MQTT_URL)")
    prefix = f"e2e{uuid.uuid4().hex[:8]}"
    nominatim = FakeNominatim()
    nominatim.add_place(LAT + 0.002, LON, "Naberezhna St", "1", "Kyiv")
    async with running_nominatim(nominatim) as geocoder:
        async for e2e in start_stack(
            tmp_path,
            sqlite_template,
            mqtt=(MQTT_URL, prefix),
            with_premise=False,
            admin_ids=frozenset({OWNER}),
            geocoder_url=geocoder.url,
        ):
            e2e.clock.set(NOW)
            assert e2e.app.link is not None
            await asyncio.wait_for(e2e.app.link.wait_connected(), 5)
            async with Simulator(
                MQTT_URL, prefix, (DEVICE,), move_time=0.02, car_arrival_delay=None,
                clear_retained_on_stop=True, clock=e2e.clock,
          ):  # fmt: skip
                await _connected(e2e.app.link)
                yield e2e


async def _connected(link: BlockerLink) -> None:
    """The device has said `online`, which the link remembers although nobody registered it."""
    await eventually(lambda: link.availability(DEVICE) is True, what="the device connected")


class Transcript:
    """One user's side of the chat as a person reads it: what they send or tap (`»`), then
    what the bot shows (an alert the tap got, its text, its buttons on one line)."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.lines: list[str] = []

    def _shows(self, message: BotMessage, brief: bool) -> None:
        if brief:  # its first line only: the rest is as shown before
            self.lines += [message.text.split("\n")[0] + " …", ""]
            return
        self.lines += message.text.split("\n")
        labels = [f"[{text}]" for text, _ in message.buttons()]
        self.lines += ["  " + " ".join(labels), ""] if labels else [""]

    async def _answer(
        self, expect: Callable[[BotMessage], bool], brief: bool, callback: str | None = None
    ) -> BotMessage:
        shown = await self.user.wait_for_message(expect)
        if callback is not None:
            await eventually(lambda: any(a.callback_id == callback for a in self.user.callback_answers))
            answer = next(a for a in self.user.callback_answers if a.callback_id == callback)
            if answer.text:
                self.lines.append(f"({'alert' if answer.show_alert else 'toast'}: {answer.text})")
        self._shows(shown, brief)
        return shown

    async def command(self, command: str, expect: Callable[[BotMessage], bool]) -> BotMessage:
        self.lines.append(f"» {command}")
        await self.user.send_command(command)
        return await self._answer(expect, False)

    async def text(
        self, text: str, expect: Callable[[BotMessage], bool], *, brief: bool = False
    ) -> BotMessage:
        self.lines.append(f"» types: {text}")
        await self.user.send_text(text)
        return await self._answer(expect, brief)

    async def location(self, lat: float, lon: float, expect: Callable[[BotMessage], bool]) -> BotMessage:
        self.lines.append(f"» sends a location ({lat:.5f}, {lon:.5f})")
        await self.user.send_location(lat, lon)
        return await self._answer(expect, False)

    async def tap(
        self, message: BotMessage, starts: str, expect: Callable[[BotMessage], bool], *, brief: bool = False
    ) -> BotMessage:
        """Taps the button whose label starts with `starts`; `brief` writes down only the first
        line of the answer (a screen shown in full before)."""
        data = button(message, starts)
        label = next(text for text, d in message.buttons() if d == data)
        self.lines.append(f"» taps [{label}]")
        callback = await self.user.tap(message, data)
        return await self._answer(expect, brief, callback)


def _plain(lang: str, key: str, **args: object) -> str:
    """A text as the chat shows it (HTML parsed)."""
    return parse_html(str(tr(lang, key, **args)))[0]


def _refusal(user: FakeUser, callback: str) -> tuple[str | None, bool]:
    answer = next(a for a in user.callback_answers if a.callback_id == callback)
    return answer.text, answer.show_alert


async def _answered(user: FakeUser, callback: str) -> None:
    await eventually(lambda: any(a.callback_id == callback for a in user.callback_answers), what="answer")


def _intent(message: BotMessage) -> str:
    """The dialog context id a window's buttons carry (before aiogram-dialog's separator)."""
    return next(d for _, d in message.buttons() if d and "\x1d" in d).partition("\x1d")[0]


async def _versions(e2e: E2E, premise_id: int) -> list[int]:
    async with e2e.db.read() as s:
        found = await s.scalars(
            select(RatePlanVersion.version).where(RatePlanVersion.premise_id == premise_id)
        )
        return sorted(found)


def _check_transcript(lines: list[str]) -> None:
    written = "\n".join(lines).rstrip("\n") + "\n"
    readme = README.read_text(encoding="utf-8")
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    if os.environ.get("UPDATE_CATALOGUE"):
        TRANSCRIPT.parent.mkdir(exist_ok=True)
        TRANSCRIPT.write_text(written, encoding="utf-8")
        README.write_text(readme[:start] + written + readme[end:], encoding="utf-8")
        return
    assert TRANSCRIPT.read_text(encoding="utf-8") == written, (
        f"{TRANSCRIPT} differs from what the bot answered: run with UPDATE_CATALOGUE=1 and read the diff"
    )
    assert readme[start:end] == written, "README.md quotes an older transcript: run with UPDATE_CATALOGUE=1"


async def test_from_an_empty_database_to_a_car_park_booked_run_and_audited_from_telegram(
    empty: E2E,
) -> None:
    e2e = empty
    assert e2e.app.link is not None

    # ------------------------------------------------------------ 1. the owner sets it up
    owner = Transcript(e2e.tg.user(OWNER, "Olena"))
    console = await owner.command("/admin", lambda m: "Operator console" in m.text)
    assert console.text == "🛠 Operator console\nThere are no car parks yet."
    helped = await tap(owner.user, console, "ℹ️ What I can do", lambda m: "• Car parks" in m.text)
    assert helped.text == _plain("en", "admin.help", hours=24)
    console = await tap(owner.user, helped, "⬅️ Back", lambda m: "Operator console" in m.text)

    step = await owner.tap(console, "➕ New car park", lambda m: "where is it?" in m.text)
    step = await owner.location(LAT + 0.002, LON, lambda m: "Its name" in m.text)
    step = await owner.text("Riverside Garage", lambda m: "Its address" in m.text)
    # The address found at the shared location (reverse geocoding), taken with one tap.
    step = await owner.tap(step, "📍 Use: Naberezhna St 1, Kyiv", lambda m: "time zone" in m.text)
    step = await owner.tap(step, "✅ Keep Europe/Kyiv", lambda m: "currency" in m.text)
    step = await owner.tap(step, "✅ Keep EUR", lambda m: "price per hour" in m.text)
    step = await owner.text("2.50", lambda m: "Opening hours" in m.text)
    step = await owner.tap(step, "🕛 24/7", lambda m: "features" in m.text)
    step = await owner.tap(step, "*Covered", lambda m: "✅ 🏠 Covered" in str(m.buttons()))
    step = await owner.tap(step, "➡️ Next", lambda m: "description" in m.text)
    step = await owner.tap(step, "⏭ Skip", lambda m: "photos" in m.text)
    step = await owner.tap(step, "➡️ Next", lambda m: "Create it?" in m.text)
    console = await owner.tap(step, "✅ Create", lambda m: "Choose a car park" in m.text)
    async with e2e.db.read() as s:
        created = await s.scalar(select(Premise).where(Premise.name == "Riverside Garage"))
        assert created is not None
        premise_id, code = created.id, created.code or ""
    assert code.isdigit() and 4 <= len(code) <= 6
    assert (created.timezone, created.currency, created.price_per_hour, created.features) == (
        "Europe/Kyiv",
        "EUR",
        250,
        ["covered"],
    )
    created_alert = f"(alert: Riverside Garage is created, code {code}. Find it in /admin to add its spots.)"
    assert created_alert in owner.lines
    # The code is random: the transcript shows it as ####.
    owner.lines[owner.lines.index(created_alert)] = created_alert.replace(code, "####")

    premise = await owner.tap(console, "Riverside Garage · owner", lambda m: "Your role: owner" in m.text)
    spots = await owner.tap(premise, "🅿️ Spots", lambda m: "Spots of Riverside Garage" in m.text)
    await owner.tap(spots, "➕ Add spots", lambda m: "Type the spots to add" in m.text)
    spots = await owner.text("A1-A10", lambda m: m.text.startswith("✅ 10 spots added."))
    assert [text for text, _ in spots.buttons()][:10] == [f"A{n}" for n in range(1, 11)]

    premise = await owner.tap(spots, "⬅️ Back", lambda m: "Your role: owner" in m.text, brief=True)
    prices = await owner.tap(premise, "💶 Prices", lambda m: "version 1" in m.text)
    draft = await owner.tap(prices, "✏️ Change prices", lambda m: "draft of version 2" in m.text, brief=True)
    await owner.tap(draft, "1️⃣ First hour", lambda m: "first hour" in m.text)
    draft = await owner.text("3.00", lambda m: "First hour: 3.00 EUR" in m.text, brief=True)
    await owner.tap(draft, "🌙 Add a night rate", lambda m: "22:00-07:00 1.00" in m.text)
    draft = await owner.text("22:00-07:00 1.00", lambda m: "• 22:00–07:00: 1.00 EUR/h" in m.text)
    # The owner's "save" button, as Telegram delivers it: replayed from another chat below.
    owners_save = button(draft, "💾 Save as version 2")
    prices = await owner.tap(draft, "💾 Save as version 2", lambda m: "· version 2" in m.text, brief=True)
    assert "• a night, Mon 07 Dec 22:00–Tue 08 Dec 07:00: 11.00 EUR" in prices.text

    premise = await owner.tap(prices, "⬅️ Back", lambda m: "Your role: owner" in m.text, brief=True)
    blockers = await owner.tap(premise, "🔌 Blockers", lambda m: "Blockers of Riverside Garage" in m.text)
    heard = await owner.tap(blockers, "📡 Unassigned (1)", lambda m: "Unassigned blockers" in m.text)
    pick = await owner.tap(heard, DEVICE, lambda m: "Which spot gets blocker" in m.text)
    blockers = await owner.tap(pick, "A1", lambda m: "1 blocker, worst first" in m.text)
    assert "• A1 · BLK-R1: ✅ ok" in blockers.text  # online at once: its spot stays on sale
    device = await owner.tap(blockers, "✅ A1 · BLK-R1", lambda m: "Blocker BLK-R1 on spot A1" in m.text)
    tested = await owner.tap(device, "⬆️ Test: raise", lambda m: m.text.startswith("🧪"), brief=True)
    assert tested.text.startswith("🧪 Test “raise”: ✅ acknowledged, now ⬆️ raised\n")
    # The car park's header shows the code too.
    _check_transcript([line.replace(f"code {code}", "code ####") for line in owner.lines])

    # ------------------------------------------------------------ 2. a driver books it
    driver = e2e.tg.user(DRIVER, "Marta")
    await driver.send_command("/start")
    menu = await driver.wait_for_message(lambda m: "What would you like to do?" in m.text)
    await e2e.fund(DRIVER, 2000)
    await tap(driver, menu, "🅿️ Find parking", lambda m: "Send your location" in m.text)
    await driver.tap_reply_button("📍 Send my location", location=(LAT, LON))
    results = await driver.wait_for_message(lambda m: "Parking near" in m.text)
    assert "Riverside Garage · 222 m · 1.00 EUR/h" in [text for text, _ in results.buttons()]
    when = await tap(driver, results, "🕒 Change time", lambda m: "When do you arrive?" in m.text)
    times = await tap(driver, when, "Later today", lambda m: "Arrival time on Mon 07 Dec" in m.text)
    results = await tap(driver, times, "20:30", lambda m: "20:30–22:30" in m.text)
    card = await tap(driver, results, "Riverside Garage", lambda m: "How long will you park?" in m.text)
    # Each duration at the plan's price: 3.00 first hour, 2.50/h until 22:00, 1.00/h after.
    assert [text for text, _ in card.buttons()][:5] == [
        "1 h · 3.00 EUR",  # 20:30-21:30: the first hour
        "2 h · 4.75 EUR",  # + 21:30-22:00 at 2.50 (1.25) + 22:00-22:30 at 1.00 (0.50)
        "3 h · 5.75 EUR",  # + 22:30-23:30 at 1.00
        "4 h · 6.75 EUR",
        "8 h · 10.75 EUR",  # until 04:30, all night at 1.00
    ]
    items = "1st hour 3.00 EUR · 30 min × 2.50 EUR · 22:00–07:00: 1 h 30 min × 1.00 EUR"
    quote = await tap(driver, card, "3 h · 5.75 EUR", lambda m: "Total:" in m.text)
    assert f"🕒 Mon 07 Dec 20:30–23:30\n⏱ 3 h\n\nTotal: 5.75 EUR ({items})" in quote.text
    hold = await tap(driver, quote, "✅ Hold the spot (5.75 EUR)", lambda m: "is held for you" in m.text)
    assert hold.text.startswith(
        "Spot A1 at Riverside Garage is held for you.\n🕒 Mon 07 Dec 20:30–23:30\n💶 5.75 EUR"
    )
    await tap(driver, hold, "👛 Wallet (20.00 EUR)", lambda m: "Payment received for booking #1" in m.text)
    await e2e.app.dispatcher.run()  # the confirmation is the outbox's message
    await driver.wait_for_message(lambda m: "booking confirmed" in m.text)
    await driver.send_command("/bookings")
    listing = await driver.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(driver, listing, "*Riverside Garage ✅", lambda m: "Booking #1" in m.text)
    where = "Riverside Garage, spot A1\n📍 Naberezhna St 1, Kyiv\n🕒 Mon 07 Dec 20:30–23:30"
    assert f"{where}\n💶 5.75 EUR ({items})" in detail.text
    async with e2e.db.read() as s:
        booking = await s.scalar(select(Reservation))
        assert booking is not None and booking.price == 575
        priced_with = await s.get(RatePlanVersion, booking.rate_plan_id)
        assert priced_with is not None and priced_with.version == 2  # the plan the owner saved
        labels = dict(
            (await s.execute(select(Spot.label, Spot.id).where(Spot.premise_id == premise_id))).tuples().all()
        )
        a1, a2 = labels["A1"], labels["A2"]
    assert booking.spot_id == a1

    # ------------------------------------------------------------ 3. an attendant, invited
    blockers = await tap(owner.user, tested, "⬅️ Back", lambda m: "1 blocker, worst first" in m.text)
    premise = await tap(owner.user, blockers, "⬅️ Back", lambda m: "Your role: owner" in m.text)
    staff = await tap(owner.user, premise, "👥 Staff", lambda m: "Staff of Riverside Garage" in m.text)
    shown = await tap(owner.user, staff, "➕ Invite an attendant", lambda m: "t.me/" in m.text)
    link = re.search(r"https://t\.me/parking_test_bot\?start=(staff_[\w-]+)", shown.text)
    assert link, shown.text
    attendant = e2e.tg.user(ATTENDANT, "Taras")
    await attendant.send_command("/start", link.group(1))
    welcome = await attendant.wait_for_message(lambda m: "Welcome!" in m.text)
    assert welcome.text == (
        "✅ Welcome! Your role at Riverside Garage is now attendant.\n/admin opens the operator console."
    )
    # /admin in their own command menu (the emulator checked the call against the Bot API).
    await eventually(lambda: (f"chat:{ATTENDANT}", "") in e2e.tg.commands, what="their command menu")
    menus = [p["scope"] for name, p in e2e.tg.calls if name == "setMyCommands" and "scope" in p]
    assert {"type": "chat", "chat_id": ATTENDANT} in menus
    assert "admin" in [c["command"] for c in e2e.tg.commands[(f"chat:{ATTENDANT}", "")]]
    listing = await attendant.wait_for_message(lambda m: "Choose a car park" in m.text)  # the console at once
    assert [text for text, _ in listing.buttons()] == [
        "📊 Now",
        "📋 Bookings",
        "Riverside Garage · attendant",
        "ℹ️ What I can do",
        "🏠 Menu",
    ]
    # Occupancy: the driver's booking tonight counts as booked, the other nine spots free.
    now = await tap(attendant, listing, "📊 Now", lambda m: "updated" in m.text)
    assert "10 spots: 🟢 9 free · 🟡 0 held · 🔵 1 booked · 🚗 0 car in" in now.text
    assert "• #1 20:30 A1, Marta" in now.text
    await attendant.send_command("/admin")
    listing = await attendant.wait_for_message(lambda m: "Choose a car park" in m.text and bool(m.buttons()))
    theirs = await tap(attendant, listing, "Riverside Garage", lambda m: "Your role: attendant" in m.text)
    sections = [text for text, _ in theirs.buttons()]
    assert "🔌 Blockers" in sections and "💶 Prices" not in sections and "👥 Staff" not in sections

    # The owner's "save" replayed verbatim from the attendant's chat: its dialog is the
    # owner's, which this chat does not have, so nothing runs; the button is out of date here.
    replayed = await attendant.tap_raw(theirs.message_id, owners_save)
    await _answered(attendant, replayed)
    assert _refusal(attendant, replayed) == ("This button is out of date. Here is the current menu.", False)
    # The owner's Prices button forged into the attendant's own console: it reaches the
    # server, which refuses it (the attendant's role has no prices) and records it.
    await attendant.send_command("/admin")
    listing = await attendant.wait_for_message(lambda m: "Choose a car park" in m.text and bool(m.buttons()))
    theirs = await tap(attendant, listing, "Riverside Garage", lambda m: "Your role: attendant" in m.text)
    forged = await attendant.tap_raw(theirs.message_id, f"{_intent(theirs)}\x1dsection:{premise_id}:prices")
    await _answered(attendant, forged)
    assert _refusal(attendant, forged) == (REFUSED, True)
    assert await _versions(e2e, premise_id) == [1, 2]  # unchanged: version 2, the owner's

    # ------------------------------------------------------------ 4. a manager of this car park only
    async with e2e.db.read() as s:
        owner_id = await s.scalar(select(User.id).where(User.telegram_id == OWNER))
        assert owner_id is not None
    other = await e2e.app.services.premises_admin.create_premise(
        owner_id,
        PremiseDraft(
            name="Harbour Yard", lat=LAT - 0.01, lon=LON, address="9 Harbour Rd", timezone="Europe/Kyiv",
            currency="EUR", price_per_hour=200,
        ),
    )  # fmt: skip
    staff = await tap(owner.user, shown, "⬅️ Back", lambda m: "• Taras: attendant" in m.text)
    shown = await tap(owner.user, staff, "➕ Invite a manager", lambda m: "t.me/" in m.text)
    link = re.search(r"start=(staff_[\w-]+)", shown.text)
    assert link, shown.text
    manager = e2e.tg.user(MANAGER, "Mira", language_code="uk")
    await manager.send_command("/start", link.group(1))
    listing = await manager.wait_for_message(lambda m: "Оберіть паркінг" in m.text)
    assert [text for text, _ in listing.buttons()] == [
        "📊 Зараз",
        "💶 Виручка",
        "📋 Бронювання",
        "⭐ Відгуки",
        "Riverside Garage · менеджер",
        "ℹ️ Що я вмію",
        "🏠 Меню",
    ]
    helped = await tap(manager, listing, "ℹ️ Що я вмію", lambda m: "• Паркінги" in m.text)
    assert helped.text == _plain("uk", "admin.help", hours=24)
    listing = await tap(manager, helped, "⬅️", lambda m: "Оберіть паркінг" in m.text)
    # Harbour Yard's console, forged from the list of the one car park they manage.
    forged_console = await manager.tap_raw(
        listing.message_id, f"{_intent(listing)}\x1dprem:{other.premise_id}"
    )
    await _answered(manager, forged_console)
    mine = await tap(manager, listing, "Riverside Garage", lambda m: "Ваша роль: менеджер" in m.text)
    assert {"💶 Ціни", "👥 Персонал"} <= {text for text, _ in mine.buttons()}
    # Harbour Yard's prices, and an invite to Harbour Yard, forged into their own console.
    forged_prices = await manager.tap_raw(
        mine.message_id, f"{_intent(mine)}\x1dsection:{other.premise_id}:prices"
    )
    await _answered(manager, forged_prices)
    theirs_staff = await tap(manager, mine, "👥 Персонал", lambda m: "Персонал: Riverside Garage" in m.text)
    forged_invite = await manager.tap_raw(
        theirs_staff.message_id, f"{_intent(theirs_staff)}\x1dinvite:{other.premise_id}:manager"
    )
    await _answered(manager, forged_invite)
    refused_uk = ("У вас немає доступу до цього.", True)
    assert [_refusal(manager, c) for c in (forged_console, forged_prices, forged_invite)] == [refused_uk] * 3

    # Revoked with a new price on the screen: their "save" button reaches the server, which
    # refuses it (no role there any more) and records it; the plan stays the owner's.
    mine = await tap(manager, theirs_staff, "⬅️ Назад", lambda m: "Ваша роль: менеджер" in m.text)
    prices_uk = await tap(manager, mine, "💶 Ціни", lambda m: "версія 2" in m.text)
    draft_uk = await tap(manager, prices_uk, "✏️ Змінити ціни", lambda m: "версії 3" in m.text)
    await tap(manager, draft_uk, "💶 За годину", lambda m: "базову ціну" in m.text)
    await manager.send_text("0.50")
    draft_uk = await manager.wait_for_message(lambda m: "0.50 EUR/год" in m.text)
    staff = await tap(owner.user, shown, "⬅️ Back", lambda m: "• Mira: manager" in m.text)
    confirm = await tap(owner.user, staff, "✖️ Mira", lambda m: "for Mira (manager)?" in m.text)
    shown = await tap(owner.user, confirm, "✅ Yes, revoke", lambda m: "• Mira" not in m.text)
    await eventually(
        lambda: (f"chat:{MANAGER}", "") not in e2e.tg.commands, what="/admin gone from their menu"
    )
    save_uk = await manager.tap(draft_uk, button(draft_uk, "💾 Зберегти як версію 3"))
    await _answered(manager, save_uk)
    assert _refusal(manager, save_uk) == refused_uk

    assert await _versions(e2e, premise_id) == [1, 2]

    # ------------------------------------------------------------ 5. the spot closes: the booking moves
    premise = await tap(owner.user, shown, "⬅️ Back", lambda m: "Your role: owner" in m.text)
    spots = await tap(owner.user, premise, "🅿️ Spots", lambda m: "Spots of Riverside Garage" in m.text)
    spot = await tap(owner.user, spots, "A1", lambda m: "Spot A1 at Riverside Garage" in m.text)
    await tap(owner.user, spot, "⛔ Close", lambda m: "Why is the spot closed?" in m.text)
    await owner.user.send_text("Repainting the lines")
    until = await owner.user.wait_for_message(lambda m: "Until when?" in m.text)
    on_it = await tap(
        owner.user, until, "♾ Until I reopen it", lambda m: "Bookings on closed spot A1" in m.text
    )
    assert on_it.text.startswith("⛔ Spot A1 is closed. 1 booking is on it: move it or cancel it.\n\n")
    assert "• #1 Marta, Mon 07 Dec 20:30–23:30 (✅ confirmed)" in on_it.text
    move = await owner.user.tap(on_it, button(on_it, "🔀 Move #1"))
    await _answered(owner.user, move)
    assert _refusal(owner.user, move) == ("Booking #1 is moved to spot A2. The driver is told.", True)
    await e2e.app.dispatcher.run()
    told = await driver.wait_for_message(lambda m: m.text.startswith("🔀"))
    assert told.text == (
        "🔀 Spot A1 at Riverside Garage is closed (Repainting the lines). Your booking #1 "
        "(Mon 07 Dec 20:30–23:30) is moved to spot A2; nothing else changes."
    )
    async with e2e.db.read() as s:
        moved = await s.get(Reservation, booking.id)
        assert moved is not None and (moved.spot_id, moved.price) == (a2, 575)

    # ------------------------------------------------------------ 6. all of it in the audit log
    async with e2e.db.read() as s:
        people = dict((await s.execute(select(User.id, User.name))).tuples().all())
        log = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    marks = {"ok": "✅", "refused": "⛔"}
    rows = [(people.get(e.actor_user_id or 0, "cli"), e.action, e.outcome.value, e.premise_id) for e in log]
    a, b = premise_id, other.premise_id
    assert rows == [
        ("Olena", "premises.create", "ok", None),
        ("Olena", "spot.add", "ok", a),
        ("Olena", "prices.set", "ok", a),
        ("Olena", "blocker.register", "ok", a),
        ("Olena", "blocker.test", "ok", a),
        ("Olena", "staff.invite", "ok", a),
        ("Taras", "staff.accept", "ok", a),
        ("Taras", "prices.view", "refused", a),  # the forged Prices button
        ("Olena", "premises.create", "ok", None),
        ("Olena", "staff.invite", "ok", a),
        ("Mira", "staff.accept", "ok", a),
        ("Mira", "console.open", "refused", b),
        ("Mira", "prices.view", "refused", b),
        ("Mira", "staff.invite", "refused", b),
        ("Olena", "staff.revoke", "ok", a),
        ("Mira", "prices.set", "refused", a),  # the save tapped after the revoke
        ("Mira", "prices.view", "refused", a),  # and the screen it would have shown again
        ("Olena", "spot.close", "ok", a),
        ("Olena", "spot.move_booking", "ok", a),
    ]
    # "Who, when, premise, what, before → after": the price change and the closing.
    assert log[2].before is not None and log[2].after is not None
    assert (log[2].before["version"], log[2].before["periods"]) == (1, [])
    assert (log[2].after["version"], log[2].after["first_hour"]) == (2, 300)
    assert log[2].after["periods"] == [
        {"days": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "07:00", "per_hour": 100}
    ]
    assert all(e.at == NOW for e in log)
    assert log[17].after is not None and log[17].after["closed_reason"] == "Repainting the lines"

    # And in the console, newest first.
    await owner.user.send_command("/admin")
    console = await owner.user.wait_for_message(lambda m: "Choose a car park" in m.text and bool(m.buttons()))
    audit = await tap(owner.user, console, "📜 Audit log: all car parks", lambda m: "19 entries" in m.text)
    seen = re.findall(r"([✅⛔]) (\w+): (.+?)(?: \(#\d+\))?\n", audit.text)
    # The page's eight newest entries: the table's last eight, newest first, as staff read them.
    assert seen == [
        (marks[outcome], who, parse_html(str(audit_action("en", action)))[0])
        for who, action, outcome, _ in reversed(rows[-8:])
    ]
    assert audit.text.endswith("Page 1 of 3")
    await eventually(lambda: owner.user.unanswered_callbacks() == [], what="every tap answered")
    assert attendant.unanswered_callbacks() == [] and manager.unanswered_callbacks() == []
