"""The console's Now and Revenue screens as staff see them: the counts, arrivals, departures and
overstays with booking numbers and a Refresh that never errs; the revenue of a period per
currency, the chart (a PNG) and the CSV; attendants have Now but no Revenue, and their forged
Revenue button is refused and audited."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy import select

from bot.context import Services
from core.clock import ManualClock
from core.models import AuditEntry, AuditOutcome, StaffRole
from tests.bot.dialog_support import Driver
from tests.console_scenes import book, cancel, card_refunded, now_scene
from tests.factories import make_premise, make_user

OWNER, MANAGER, ATTENDANT = 9101, 9102, 9104


async def _setup(services: Services, clock: ManualClock, spots: int = 12) -> tuple[int, int, int]:
    """Alpha Garage (EUR) with a manager and an attendant, Beta Yard (UAH), a driver."""
    async with services.db.transaction() as s:
        alpha = (await make_premise(s, name="Alpha Garage", spots=spots, now=clock.now())).id
        beta = (await make_premise(s, name="Beta Yard", spots=2, currency="UAH", price_per_hour=5000)).id
        driver = (await make_user(s, name="Olena")).id
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    for telegram_id, role in ((MANAGER, StaffRole.MANAGER), (ATTENDANT, StaffRole.ATTENDANT)):
        user = (
            await services.users.telegram_caller(telegram_id, name=f"U{telegram_id}", language="en")
        ).user_id
        invite = await services.admin.invite(owner, alpha, role)
        await services.admin.accept_invite(user, invite.token)
    return alpha, beta, driver


def png_size(data: bytes) -> tuple[int, int]:
    """The PNG's width and height, after checking its signature and its IHDR chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    body, crc = data[16:29], struct.unpack(">I", data[29:33])[0]
    assert zlib.crc32(b"IHDR" + body) == crc
    width, height = struct.unpack(">II", body[:8])
    return width, height


async def test_now_for_an_attendant_with_refresh(services: Services, clock: ManualClock) -> None:
    alpha, _beta, driver = await _setup(services, clock)
    scene = await now_scene(services.db, clock, alpha, driver)
    staff = Driver(services, ATTENDANT)
    await staff.send("/admin")
    assert staff.layout == [
        ["📊 Now"],
        ["📋 Bookings"],
        ["Alpha Garage · attendant"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    await staff.tap("📊 Now")
    board = (
        "📊 <b>Now: Alpha Garage</b> · updated 11:00:00\n"
        "12 spots: 🟢 4 free · 🟡 1 held · 🔵 2 booked · 🚗 3 car in · ⛔ 1 closed · ⚠️ 1 blocker down\n\n"
        "🅿️ <b>Next arrivals</b>\n"
        f"• #{scene.late} 10:50 A3, Olena (late)\n"
        f"• #{scene.later} 13:00 A4, Olena\n\n"
        "🚙 <b>Next departures</b>\n"
        f"• #{scene.parked} 12:45 A2, Olena\n\n"
        "⏰ <b>Overstays</b>\n"
        f"• #{scene.overstay} A1, Olena: ended 10:15\n"
        "• A7: a car, no booking"
    )
    assert staff.text == board
    assert staff.layout == [
        ["🔄 Refresh"],
        [f"🅿️ #{scene.late} A3 10:50", f"🅿️ #{scene.later} A4 13:00"],
        [f"🚙 #{scene.parked} A2 12:45", f"⏰ #{scene.overstay} A1 10:15"],
        ["⬅️ Back"],
    ]
    # A booking's button opens it in the Bookings section; Back there returns to Now.
    await staff.tap(f"🅿️ #{scene.late} A3 10:50")
    assert staff.text.startswith(f"📋 <b>Booking #{scene.late}</b> · ")
    await staff.tap("⬅️ Back")
    assert staff.text == board
    # Nothing changed: the tap is answered, the screen stays, no error.
    await staff.tap("🔄 Refresh")
    assert staff.text == board
    # A car leaves and five seconds pass: the counts and the time move.
    clock.advance(timedelta(seconds=5))
    await cancel(services.db, clock, driver, scene.tomorrow)
    await staff.tap("🔄 Refresh")
    assert staff.text.startswith("📊 <b>Now: Alpha Garage</b> · updated 11:00:05\n12 spots: 🟢 4 free")
    await staff.tap("⬅️ Back")
    assert staff.text == "🛠 <b>Operator console</b>\nChoose a car park:"

    # Their forged Revenue button: refused on the server, and audited.
    forged = next(b for row in staff.screen.reply_markup.inline_keyboard for b in row)  # type: ignore[union-attr]
    intent = (forged.callback_data or "").partition("\x1d")[0]
    await staff.tap_outside_dialogs(f"{intent}\x1drevenue")
    assert staff.bot.alerts()[-1] == "You do not have access to this."
    async with services.db.read() as s:
        refused = list(await s.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED)))
    assert [(e.action, e.premise_id) for e in refused] == [("revenue.view", alpha)]


async def test_now_for_an_owner_spans_every_car_park(services: Services, clock: ManualClock) -> None:
    alpha, _beta, driver = await _setup(services, clock)
    await now_scene(services.db, clock, alpha, driver)
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    assert owner.layout[0] == ["📊 Now", "💶 Revenue"]
    await owner.tap("📊 Now")
    assert owner.text.startswith(
        "📊 <b>Now: all car parks</b> · updated 11:00:00\n"
        "14 spots: 🟢 6 free · 🟡 1 held · 🔵 2 booked · 🚗 3 car in · ⛔ 1 closed · ⚠️ 1 blocker down\n"
        "• <b>Alpha Garage</b>: 12 spots: 🟢 4 free · 🟡 1 held · 🔵 2 booked · 🚗 3 car in · ⛔ 1 closed · "
        "⚠️ 1 blocker down\n"
        "• <b>Beta Yard</b>: 2 spots: 🟢 2 free · 🟡 0 held · 🔵 0 booked · 🚗 0 car in · ⛔ 0 closed · "
        "⚠️ 0 blockers down\n\n"
        "🅿️ <b>Next arrivals</b>\n"
    )
    assert " 10:50 A3 · Alpha Garage, Olena (late)" in owner.text
    assert owner.layout[0] == ["🔄 Refresh"] and owner.layout[-3:] == [
        ["📊 Alpha Garage"], ["📊 Beta Yard"], ["⬅️ Back"]
    ]  # fmt: skip
    await owner.tap("📊 Beta Yard")
    assert owner.text.startswith("📊 <b>Now: Beta Yard</b> · updated 11:00:00\n2 spots: 🟢 2 free")
    await owner.tap("⬅️ Back")
    assert owner.text.startswith("📊 <b>Now: all car parks</b>")


async def test_revenue_for_a_manager_and_the_owner(services: Services, clock: ManualClock) -> None:
    alpha, beta, driver = await _setup(services, clock, spots=3)
    t0 = clock.now()  # Sat 21 Nov, 11:00 in Kyiv
    clock.set(t0 - timedelta(days=1))
    refunded = await book(services.db, clock, driver, alpha, t0 + timedelta(hours=3), 120, "card")
    clock.set(t0)
    await book(services.db, clock, driver, alpha, t0 + timedelta(minutes=30), 60)
    await book(services.db, clock, driver, beta, t0 + timedelta(hours=1), 120)
    clock.set(t0 + timedelta(hours=1))
    owed = await cancel(services.db, clock, driver, refunded)
    await card_refunded(services.db, clock, owed[0])

    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    assert manager.layout[0] == ["📊 Now", "💶 Revenue"]
    await manager.tap("💶 Revenue")  # their one car park: straight to the periods
    assert manager.text == "💶 <b>Revenue: Alpha Garage</b>\nWhich period?"
    assert manager.layout == [
        ["Today"], ["Yesterday"], ["This week"], ["This month"], ["Custom range"], ["⬅️ Back"]
    ]  # fmt: skip
    await manager.tap("Today")
    assert manager.text == (
        "💶 <b>Revenue: Alpha Garage</b>\n"
        "Today: Sat 21 Nov (Europe/Kyiv)\n"
        "<b>-2.00 EUR net</b> = 2.00 EUR gross − 4.00 EUR refunds\n"
        "💳 card 0.00 EUR − 4.00 EUR · 👛 wallet 2.00 EUR − 0.00 EUR\n"
        "1 payment, 1 refund\n"
        "🅿️ 1 booking · average stay 1 h · occupancy 1.4%"
    )
    assert manager.layout == [["📈 Chart", "📄 CSV"], ["🗓 Another period"], ["⬅️ Back"]]

    # A custom range on the calendar: Friday and Saturday.
    await manager.tap("🗓 Another period")
    await manager.tap("Custom range")
    assert manager.text == "🗓 Custom range: tap its first day."
    await manager.tap("20")
    assert manager.text == "🗓 From Fri 20 Nov: tap the last day."
    await manager.tap("21")
    assert manager.text.startswith(
        "💶 <b>Revenue: Alpha Garage</b>\nCustom range: Fri 20 Nov – Sat 21 Nov (Europe/Kyiv)\n"
        "<b>2.00 EUR net</b> = 6.00 EUR gross − 4.00 EUR refunds\n"
    )

    # The chart: a PNG photo, the report again below it.
    await manager.tap("📈 Chart")
    photos = [c for c in manager.bot.calls if isinstance(c, SendPhoto)]
    assert len(photos) == 1 and photos[0].caption == "📈 Revenue and occupancy, Fri 20 Nov – Sat 21 Nov"
    assert isinstance(photos[0].photo, BufferedInputFile)
    png = photos[0].photo.data
    assert png_size(png) == (990, 550)
    assert manager.text.startswith("💶 <b>Revenue: Alpha Garage</b>\nCustom range:")

    # The CSV: one row a payment or refund, adding up to the net.
    await manager.tap("📄 CSV")
    documents = [c for c in manager.bot.calls if isinstance(c, SendDocument)]
    assert len(documents) == 1 and isinstance(documents[0].document, BufferedInputFile)
    assert documents[0].document.filename == f"revenue-{alpha}-20261120-20261121.csv"
    lines = documents[0].document.data.decode().splitlines()
    assert lines[0] == (
        "type,time,timezone,payment_id,booking_id,premise_id,premise,purpose,method,currency,amount_minor,"
        "amount,status"
    )
    assert [line.split(",")[0] + " " + line.split(",")[-3] for line in lines[1:]] == [
        "payment 400",
        "payment 200",
        "refund -400",
    ]

    # The owner: every car park, each currency apart.
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    await owner.tap("💶 Revenue")
    assert owner.layout == [["🏢 All car parks"], ["Alpha Garage"], ["Beta Yard"], ["⬅️ Back"]]
    await owner.tap("🏢 All car parks")
    await owner.tap("This month")
    assert owner.text == (
        "💶 <b>Revenue: all car parks</b>\n"
        "This month: Sun 01 Nov – Sat 21 Nov (Europe/Kyiv)\n"
        "<b>2.00 EUR net</b> = 6.00 EUR gross − 4.00 EUR refunds\n"
        "💳 card 4.00 EUR − 4.00 EUR · 👛 wallet 2.00 EUR − 0.00 EUR\n"
        "2 payments, 1 refund\n"
        "<b>100.00 UAH net</b> = 100.00 UAH gross − 0.00 UAH refunds\n"
        "👛 wallet 100.00 UAH − 0.00 UAH\n"
        "1 payment, 0 refunds\n"
        "🅿️ 2 bookings · average stay 1 h 30 min · occupancy 0.1%\n"
        "<b>By car park</b>\n"
        "• Alpha Garage: 2.00 EUR · 1 booking · occupancy 0.1%\n"
        "• Beta Yard: 100.00 UAH · 1 booking · occupancy 0.2%"
    )
    await owner.tap("📈 Chart")
    photo = next(c for c in owner.bot.calls if isinstance(c, SendPhoto)).photo
    assert isinstance(photo, BufferedInputFile)
    assert png_size(photo.data)[1] > 550  # two panels: EUR and UAH


async def test_a_forged_booking_button_on_now_is_refused(services: Services, clock: ManualClock) -> None:
    alpha, beta, driver = await _setup(services, clock)
    theirs = await book(services.db, clock, driver, alpha, clock.now() + timedelta(hours=1), 60)
    elsewhere = await book(services.db, clock, driver, beta, clock.now() + timedelta(hours=1), 60)
    staff = Driver(services, ATTENDANT)
    await staff.send("/admin")
    await staff.tap("📊 Now")
    assert staff.layout[1] == [f"🅿️ #{theirs} A1 12:00"]
    board = staff.text
    refresh = next(b for row in staff.screen.reply_markup.inline_keyboard for b in row)  # type: ignore[union-attr]
    intent = (refresh.callback_data or "").partition("\x1d")[0]
    # Beta Yard's booking, which this attendant has no role at: refused, the board stays.
    await staff.tap_outside_dialogs(f"{intent}\x1dnow_booking:{elsewhere}")
    assert staff.bot.alerts()[-1] == "This item no longer exists."  # not revealed as elsewhere
    assert staff.text == board
