"""Vehicles in the booking flow, the booking's "🧾 Receipt" and the console's "🧾 Operator & VAT"
section (issue 15), as the driver and the operator see them. The clock is Saturday 21 November
2026, 11:00 in Kyiv."""

from __future__ import annotations

import io

from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from pypdf import PdfReader
from sqlalchemy import select

from bot.context import Services
from core.models import AuditEntry, Premise, Reservation, Vehicle
from tests.bot.dialog_support import Driver
from tests.bot.screens import HERE, add_premise, add_user, fund, user_id_of

OWNER = 4242


async def _quote(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))
    await driver.tap("2 h · 5.00 EUR")


async def _plates(services: Services, user_id: int) -> list[tuple[str, bool]]:
    async with services.db.read() as s:
        rows = await s.scalars(select(Vehicle).where(Vehicle.user_id == user_id).order_by(Vehicle.id))
        return [(v.plate, v.is_default) for v in rows]


async def _booked_plates(services: Services) -> list[str | None]:
    async with services.db.read() as s:
        return list(await s.scalars(select(Reservation.plate).order_by(Reservation.id)))


async def test_a_plate_typed_in_cyrillic_is_booked_shown_and_offered_next_time(
    driver: Driver, services: Services
) -> None:
    await add_premise(services, "Central Garage", north_m=222, price=250)
    user_id = await add_user(services)
    await _quote(driver)
    assert driver.layout == [
        ["✅ Hold the spot (5.00 EUR)"],
        ["🚗 Add a number plate (optional)"],
        ["⬅️ Back"],
    ]
    await driver.tap("🚗 Add a number plate (optional)")
    assert driver.text.startswith("Which vehicle is it?")
    assert driver.layout == [["🚫 No plate"], ["➕ Add a plate"], ["⬅️ Back"]]
    await driver.tap("➕ Add a plate")
    await driver.send("A!")
    assert driver.text.startswith("That does not look like a number plate")
    await driver.send("аа 1234-вв")  # Cyrillic look-alikes, a space and a dash
    assert driver.text.endswith("\n🚗 AA1234BB")
    assert driver.layout == [["✅ Hold the spot (5.00 EUR)"], ["🚗 AA1234BB · change"], ["⬅️ Back"]]
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    assert await _booked_plates(services) == ["AA1234BB"]
    assert await _plates(services, user_id) == [("AA1234BB", True)]

    # The next booking offers the default; the same plate typed in Latin is the same vehicle,
    # another plate is added, and "No plate" books without one.
    await _quote(driver)
    assert driver.layout[1] == ["🚗 AA1234BB · change"]
    await driver.tap("🚗 AA1234BB · change")
    assert driver.layout == [
        ["✅ AA1234BB", "🗑 Forget AA1234BB"],
        ["🚫 No plate"],
        ["➕ Add a plate"],
        ["⬅️ Back"],
    ]
    await driver.tap("➕ Add a plate")
    await driver.send("AA 1234 BB")
    assert await _plates(services, user_id) == [("AA1234BB", True)]
    await driver.tap("🚗 AA1234BB · change")
    await driver.tap("➕ Add a plate")
    await driver.send("ka-0001-ak")
    assert driver.layout[1] == ["🚗 KA0001AK · change"]
    await driver.tap("🚗 KA0001AK · change")
    assert driver.layout[:3] == [  # the default first
        ["AA1234BB", "🗑 Forget AA1234BB"],
        ["✅ KA0001AK", "🗑 Forget KA0001AK"],
        ["🚫 No plate"],
    ]
    # Forgetting the plate chosen: the quote falls back to the default, the other plate.
    await driver.tap("🗑 Forget KA0001AK")
    assert driver.bot.callback_answers()[-1].text == "KA0001AK is forgotten."
    assert driver.layout[:2] == [["AA1234BB", "🗑 Forget AA1234BB"], ["🚫 No plate"]]
    await driver.tap("⬅️ Back")
    assert driver.layout[1] == ["🚗 AA1234BB · change"]
    await driver.tap("🚗 AA1234BB · change")
    await driver.tap("🚫 No plate")
    assert driver.layout == [["✅ Hold the spot (5.00 EUR)"], ["🚗 No plate · choose one"], ["⬅️ Back"]]
    assert "🚗" not in driver.text
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    assert await _booked_plates(services) == ["AA1234BB", None]


async def test_the_booking_shows_its_plate_and_sends_its_receipt_as_a_pdf(
    driver: Driver, services: Services
) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    async with services.db.transaction() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        premise.operator_name, premise.vat_number, premise.vat_rate_bp = "Kyiv Parking LLC", "UA123", 2000
    await add_user(services)
    await fund(services, await user_id_of(services), 1000)
    await _quote(driver)
    await driver.tap("🚗 Add a number plate (optional)")
    await driver.tap("➕ Add a plate")
    await driver.send("AA1234BB")
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    await driver.tap("👛 Wallet (10.00 EUR)")
    await driver.send("/bookings")
    await driver.tap(driver.label_starting("Sat 21 Nov 11:00"))
    assert "🕒 Sat 21 Nov 11:00–13:00\n🚗 AA1234BB\n💶 5.00 EUR" in driver.text
    assert ["🧾 Receipt"] in driver.layout
    await driver.tap("🧾 Receipt")
    documents = [c for c in driver.bot.calls if isinstance(c, SendDocument)]
    assert len(documents) == 1
    sent = documents[0]
    assert sent.caption == "🧾 Receipt No. 000001 · 5.00 EUR"
    assert isinstance(sent.document, BufferedInputFile)
    content = sent.document.data
    assert sent.document.filename == "receipt-000001.pdf"
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    for field in (
        "Receipt No. 000001",
        "Kyiv Parking LLC",
        "VAT number: UA123",
        "Vehicle: AA1234BB",
        "0.83 EUR",
    ):
        assert field in text
    # The booking's screen comes again below the document; a second tap sends the same number.
    assert driver.text.startswith("<b>Booking #")
    await driver.tap("🧾 Receipt")
    documents = [c for c in driver.bot.calls if isinstance(c, SendDocument)]
    assert [d.caption for d in documents] == ["🧾 Receipt No. 000001 · 5.00 EUR"] * 2


async def test_an_unpaid_hold_has_no_receipt_button(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222, price=250)
    await add_user(services)
    await _quote(driver)
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    await driver.send("/bookings")
    await driver.tap(driver.label_starting("Sat 21 Nov 11:00"))
    assert ["🧾 Receipt"] not in driver.layout


async def test_the_owner_sets_the_operator_and_vat_and_it_is_audited(services: Services) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    await services.admin.add_owner(OWNER)
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    await owner.tap("Central Garage · owner")
    await owner.tap("🧾 Operator & VAT")
    assert owner.text == (
        "🧾 <b>Operator and VAT</b> · Central Garage\nWho sells the parking here, as its receipts say:\n\n"
        "Legal name: —\nAddress: —\nVAT number: —\nVAT included in prices: 0 %\n\n"
        "Car parks with the same VAT number share one receipt numbering."
    )
    assert owner.layout == [
        ["✏️ Legal name", "✏️ Address"],
        ["✏️ VAT number", "✏️ VAT rate"],
        ["⬅️ Back"],
    ]
    await owner.tap("✏️ VAT rate")
    assert owner.text == (
        "✏️ VAT rate: now <code>0 %</code>\n"
        "Type the VAT rate the prices include, in per cent: e.g. 20, 7.5 or 0."
    )
    await owner.send("sixty")
    assert owner.text.startswith("⚠️ That cannot be stored here")
    await owner.send("7,5")
    assert "VAT included in prices: 7.5 %" in owner.text
    await owner.tap("✏️ Legal name")
    await owner.send("  Kyiv   Parking LLC ")
    await owner.tap("✏️ VAT number")
    await owner.send("ua 1234")
    assert "Legal name: Kyiv Parking LLC\nAddress: —\nVAT number: UA 1234\n" in owner.text
    async with services.db.read() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        assert (premise.operator_name, premise.vat_number, premise.vat_rate_bp) == (
            "Kyiv Parking LLC",
            "UA 1234",
            750,
        )
        audit = [
            (a.action, a.outcome.value, a.after)
            for a in await s.scalars(select(AuditEntry).where(AuditEntry.action.like("operator.edit.%")))
        ]
    assert audit == [
        ("operator.edit.vat_rate", "refused", None),
        ("operator.edit.vat_rate", "ok", {"premise_id": premise_id, "vat_rate_bp": 750}),
        (
            "operator.edit.operator_name",
            "ok",
            {"premise_id": premise_id, "operator_name": "Kyiv Parking LLC"},
        ),
        ("operator.edit.vat_number", "ok", {"premise_id": premise_id, "vat_number": "UA 1234"}),
    ]
    await owner.tap("⬅️ Back")
    assert owner.text == "🅿️ <b>Central Garage</b> · code <code>1042</code>\nYour role: owner"


def test_the_operators_booking_lines_show_the_plate() -> None:
    from datetime import UTC, datetime

    from bot import format as fmt
    from core.models import ReservationStatus
    from core.usecases.spots import AffectedBooking

    start = datetime(2026, 11, 22, 8, tzinfo=UTC)
    lines = fmt.booking_lines(
        "en",
        [
            AffectedBooking(
                7, "Olena", start, start.replace(hour=10), ReservationStatus.CONFIRMED, "AA1234BB"
            ),
            AffectedBooking(8, "Petro", start, start.replace(hour=9), ReservationStatus.CONFIRMED),
        ],
        "Europe/Kyiv",
    )
    assert lines == (
        "\n• #7 Olena · 🚗 AA1234BB, Sun 22 Nov 10:00–12:00 (✅ confirmed)"
        "\n• #8 Petro, Sun 22 Nov 10:00–11:00 (✅ confirmed)"
    )


async def test_a_wallet_top_up_receipt_from_the_history(driver: Driver, services: Services) -> None:
    from core.models import Payment, PaymentMethodKind, PaymentPurpose, PaymentStatus

    user_id = await add_user(services)
    async with services.db.transaction() as s:
        now = services.clock.now()
        s.add(
            Payment(
                user_id=user_id,
                purpose=PaymentPurpose.TOPUP,
                method=PaymentMethodKind.CARD,
                amount=2000,
                currency="EUR",
                status=PaymentStatus.SUCCEEDED,
                created_at=now,
                updated_at=now,
                succeeded_at=now,
            )
        )
    await driver.send("/wallet")
    await driver.tap("🧾 History")
    await driver.tap("🧾 Top-up receipts")
    assert driver.text == "🧾 Your latest wallet top-ups: tap one for its receipt (PDF)."
    assert driver.layout == [["🧾 21 Nov 11:00 · 20.00 EUR"], ["⬅️ Back"]]
    await driver.tap("🧾 21 Nov 11:00 · 20.00 EUR")
    (sent,) = [c for c in driver.bot.calls if isinstance(c, SendDocument)]
    assert sent.caption == "🧾 Receipt No. 000001 · 20.00 EUR"
    assert isinstance(sent.document, BufferedInputFile)
    text = PdfReader(io.BytesIO(sent.document.data)).pages[0].extract_text()
    assert "Wallet top-up" in text and "No VAT on a top-up" in text
    assert driver.layout == [["🧾 21 Nov 11:00 · 20.00 EUR"], ["⬅️ Back"]]  # the list again, below
