"""Receipts (issue 15) on SQLite and PostgreSQL: what a receipt PDF says (read back with pypdf,
in English and Ukrainian), that its totals are the payment's, refunds and top-ups, and that
receipt numbers of one operator have no gaps and no duplicates when issued concurrently."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot import receipts as pdf
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NotFound
from core.models import (
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Premise,
    RatePlanVersion,
    Receipt,
    WalletTxKind,
)
from core.services import booking, wallet
from core.usecases.booking import BookingUseCases, ExtendOutcome
from core.usecases.receipts import ReceiptDoc, ReceiptUseCases
from core.usecases.wallet import WalletUseCases
from tests.factories import make_premise, make_user

KYIV = ZoneInfo("Europe/Kyiv")
SETTINGS = Settings(
    _env_file=None,
    bot_token="1:x",
    operator_name="Parking Service LLC",
    operator_address="5 Service Lane, Kyiv",
    operator_vat_number="UA999",
)


def text_of(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def garage(
    db: Database, clock: ManualClock, *, spots: int = 1, vat_number: str = "UA 1234-5678"
) -> int:
    """A car park whose plan charges the first hour at 3.00 EUR and then 2.00 EUR an hour, VAT
    20 % included, run by "Kyiv Parking LLC"."""
    async with db.transaction() as s:
        premise = await make_premise(
            s, spots=spots, name="Central Garage", now=clock.now() - timedelta(days=1)
        )
        premise.operator_name = "Kyiv Parking LLC"
        premise.operator_address = "12 Khreshchatyk St, Kyiv 01001"
        premise.vat_number = vat_number
        premise.vat_rate_bp = 2000
        s.add(
            RatePlanVersion(
                premise_id=premise.id,
                version=1,
                valid_from=clock.now() - timedelta(days=1),
                base_per_hour=200,
                first_hour=300,
                currency="EUR",
                periods=[],
            )
        )
        return premise.id


async def driver(db: Database, name: str = "Olena Shevchenko") -> int:
    async with db.transaction() as s:
        return (await make_user(s, name=name)).id


async def card_booking(
    db: Database, clock: ManualClock, user_id: int, premise_id: int, plate: str | None
) -> int:
    """A 2-hour booking tomorrow 10:00 Kyiv time, paid with the saved Visa •••• 4242."""
    bookings = BookingUseCases(db, clock, SETTINGS)
    held = await bookings.hold(
        user_id=user_id,
        premise_id=premise_id,
        starts_at=clock.now().replace(hour=8) + timedelta(days=1),
        minutes=120,
        plate=plate,
    )
    async with db.transaction() as s:
        s.add(
            Payment(
                user_id=user_id,
                reservation_id=held.reservation_id,
                purpose=PaymentPurpose.BOOKING,
                method=PaymentMethodKind.CARD,
                amount=held.price,
                currency=held.currency,
                status=PaymentStatus.SUCCEEDED,
                card_brand="visa",
                card_last4="4242",
                created_at=clock.now(),
                updated_at=clock.now(),
                succeeded_at=clock.now(),
            )
        )
        await s.flush()
        await booking.confirm(s, held.reservation_id, clock.now())
    return held.reservation_id


async def test_a_stay_ended_early_keeps_the_receipt_of_what_was_paid_for(
    db: Database, clock: ManualClock
) -> None:
    """Ending early refunds the unused whole steps to the wallet (a refund receipt of its own):
    the payment's receipt, issued after the end, still prints the window bought and the plan's
    lines adding up to the payment, not the shortened stay as one line of 47 minutes."""
    premise_id = await garage(db, clock)
    user_id = await driver(db)
    reservation_id = await card_booking(db, clock, user_id, premise_id, None)
    clock.set(clock.now().replace(hour=8, minute=47, second=30) + timedelta(days=1))  # 10:47:30 Kyiv
    ended = await BookingUseCases(db, clock, SETTINGS).end_now(user_id=user_id, reservation_id=reservation_id)
    assert ended.ends_at.astimezone(KYIV).strftime("%H:%M") == "10:47"  # the booking ends when it did

    # Used until 10:47:30, so until 11:00 in whole steps: the first hour (3.00) is what the
    # stay cost; the unused hour (2.00) went back to the wallet, and its refund receipt says so.
    assert (ended.refund, ended.unused_minutes) == (200, 60)
    doc, refund = await ReceiptUseCases(db, clock, SETTINGS).for_booking(
        user_id=user_id, reservation_id=reservation_id
    )
    assert (refund.data["kind"], refund.data["amount"], refund.data["to_wallet"]) == ("refund", 200, 200)
    assert refund.data["original_number"] == doc.data["number"]
    assert [(line["kind"], line["minutes"], line["amount"]) for line in doc.data["lines"]] == [
        ("first_hour", 60, 300),
        ("base", 60, 200),
    ]
    text = text_of(pdf.render(doc, "en"))
    assert "Time: Sun 22 Nov 10:00–12:00 (Europe/Kyiv)" in text, text
    assert "5.00 EUR" in text


@pytest.mark.parametrize("lang", ["en", "uk"])
async def test_a_receipt_pdf_says_everything_a_business_needs(
    db: Database, clock: ManualClock, lang: str
) -> None:
    premise_id = await garage(db, clock)
    user_id = await driver(db)
    reservation_id = await card_booking(db, clock, user_id, premise_id, "аа 1234-вв")
    # Extended by 30 minutes from the wallet: a second payment, a second receipt.
    async with db.transaction() as s:
        await wallet.credit(
            s, user_id, 1000, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
        )
    extended = await BookingUseCases(db, clock, SETTINGS).extend(
        user_id=user_id, reservation_id=reservation_id, minutes=30
    )
    assert extended.outcome == ExtendOutcome.PAID_FROM_WALLET
    clock.advance(timedelta(minutes=5))

    docs = await ReceiptUseCases(db, clock, SETTINGS).for_booking(
        user_id=user_id, reservation_id=reservation_id
    )
    assert [(d.number, d.kind.value, d.amount) for d in docs] == [(1, "payment", 500), (2, "payment", 100)]
    booking_doc, extension_doc = docs
    # Totals: the lines add up to the payment, VAT 20 % of the VAT-inclusive 5.00 is 0.83.
    assert sum(line["amount"] for line in booking_doc.data["lines"]) == 500
    assert (booking_doc.vat_rate_bp, booking_doc.vat_amount) == (2000, 83)
    async with db.read() as s:
        paid = sorted(
            p.amount for p in await s.scalars(select(Payment).where(Payment.reservation_id == reservation_id))
        )
    assert sorted(d.amount for d in docs) == paid

    text = text_of(pdf.render(booking_doc, lang))
    expected = {
        "en": [
            "Receipt No. 000001",
            "Date: 21 Nov 2026 11:05",
            "VAT number: UA 1234-5678",
            "Booking #",
            "Spot: A1",
            "Vehicle: AA1234BB",
            "Time: Sun 22 Nov 10:00–12:00 (Europe/Kyiv)",
            "1st hour",
            "1 h × 2.00 EUR",
            "Total (VAT included)",
            "5.00 EUR",
            "of which VAT 20%",
            "0.83 EUR",
            "Amount without VAT",
            "4.17 EUR",
            "Paid: 21 Nov 2026 11:00, Visa card •••• 4242",
        ],
        "uk": [
            "Чек № 000001",
            "Дата: 21 лист 2026 11:05",
            "Номер платника ПДВ: UA 1234-5678",
            "Бронювання №",
            "Місце: A1",
            "Автомобіль: AA1234BB",
            "Час: Нд 22 лист 10:00–12:00 (Europe/Kyiv)",
            "1-ша година",
            "1 год × 2.00 EUR",
            "Разом (з ПДВ)",
            "5.00 EUR",
            "у тому числі ПДВ 20%",
            "0.83 EUR",
            "Сума без ПДВ",
            "4.17 EUR",
            "Сплачено: 21 лист 2026 11:00, картка Visa •••• 4242",
        ],
    }[lang]
    for field in [
        *expected,
        "Kyiv Parking LLC",
        "12 Khreshchatyk St, Kyiv 01001",
        "Olena Shevchenko",
        "Central Garage",
    ]:
        assert field in text, (field, text)
    assert "3.00 EUR 3.00 EUR" not in text  # the amount is in its column, not in the line's name too

    text = text_of(pdf.render(extension_doc, lang))
    for field in {
        "en": [
            "Receipt No. 000002",
            "Extension: 30 min",
            "1.00 EUR",
            "of which VAT 20%",
            "0.17 EUR",
            "wallet",
        ],
        "uk": [
            "Чек № 000002",
            "Продовження: 30 хв",
            "1.00 EUR",
            "у тому числі ПДВ 20%",
            "0.17 EUR",
            "гаманець",
        ],
    }[lang]:
        assert field in text, (field, text)


async def test_asking_again_gives_the_same_receipts_and_a_refund_gets_its_own(
    db: Database, clock: ManualClock
) -> None:
    premise_id = await garage(db, clock)
    user_id = await driver(db)
    async with db.transaction() as s:
        await wallet.credit(
            s, user_id, 2000, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
        )
    bookings = BookingUseCases(db, clock, SETTINGS)
    held = await bookings.hold(
        user_id=user_id, premise_id=premise_id, starts_at=clock.now() + timedelta(days=1), minutes=60
    )
    await WalletUseCases(db, clock, SETTINGS).pay_booking(reservation_id=held.reservation_id, user_id=user_id)
    receipts = ReceiptUseCases(db, clock, SETTINGS)
    first = await receipts.for_booking(user_id=user_id, reservation_id=held.reservation_id)
    again = await receipts.for_booking(user_id=user_id, reservation_id=held.reservation_id)
    assert [d.receipt_id for d in again] == [d.receipt_id for d in first] and [d.number for d in first] == [1]

    await bookings.cancel(user_id=user_id, reservation_id=held.reservation_id)
    docs = await receipts.for_booking(user_id=user_id, reservation_id=held.reservation_id)
    assert [(d.number, d.kind.value, d.amount, d.vat_amount) for d in docs] == [
        (1, "payment", 300, 50),
        (2, "refund", 300, 50),
    ]
    text = text_of(pdf.render(docs[1], "en"))
    for field in [
        "Refund receipt No. 000002",
        "Refund of receipt No. 000001",
        "Refunded (VAT included)",
        "−3.00 EUR",
        "to: wallet",
    ]:
        assert field in text, (field, text)
    assert "Vehicle:" not in text  # booked without a plate


async def test_a_wallet_top_up_has_a_receipt_of_the_service_operator(
    db: Database, clock: ManualClock
) -> None:
    user_id = await driver(db)
    async with db.transaction() as s:
        payment = Payment(
            user_id=user_id,
            purpose=PaymentPurpose.TOPUP,
            method=PaymentMethodKind.CARD,
            amount=2000,
            currency="EUR",
            status=PaymentStatus.SUCCEEDED,
            created_at=clock.now(),
            updated_at=clock.now(),
            succeeded_at=clock.now(),
        )
        s.add(payment)
        await s.flush()
        payment_id = payment.id
    receipts = ReceiptUseCases(db, clock, SETTINGS)
    assert [p.id for p in await receipts.topups(user_id=user_id)] == [payment_id]
    (doc,) = await receipts.for_payment(user_id=user_id, payment_id=payment_id)
    assert (doc.number, doc.operator_key, doc.amount, doc.vat_amount) == (1, "vat:UA999", 2000, 0)
    text = text_of(pdf.render(doc, "uk"))
    for field in [
        "Чек № 000001",
        "Parking Service LLC",
        "UA999",
        "Поповнення гаманця",
        "20.00 EUR",
        "передоплата",
    ]:
        assert field in text, (field, text)
    other = await driver(db, "Petro")
    with pytest.raises(NotFound):
        await receipts.for_payment(user_id=other, payment_id=payment_id)


@pytest.mark.slow
async def test_concurrent_receipts_never_share_a_number_nor_leave_a_gap(
    db: Database, clock: ManualClock
) -> None:
    """Eight bookings of one operator (two car parks with one VAT number) and a third car park
    without one, all asking for their receipts at once: each operator's numbers are 1..n."""
    first = await garage(db, clock, spots=4)
    second = await garage(db, clock, spots=4, vat_number="ua12345678")  # the same operator
    own = await garage(db, clock, spots=2, vat_number="")
    users = [await driver(db, f"Driver {n}") for n in range(10)]
    bookings = [
        await card_booking(db, clock, users[n], premise, None)
        for n, premise in enumerate([first] * 4 + [second] * 4 + [own] * 2)
    ]
    receipts = ReceiptUseCases(db, clock, SETTINGS)

    async def ask(n: int) -> list[ReceiptDoc]:
        return await receipts.for_booking(user_id=users[n], reservation_id=bookings[n])

    # Each booking asked for twice at once too: still one receipt per payment.
    results = await asyncio.gather(*(ask(n) for n in [*range(10), *range(10)]))
    assert all(len(r) == 1 for r in results)
    async with db.read() as s:
        rows = list(await s.scalars(select(Receipt)))
        premises = {p.id: p.vat_number for p in await s.scalars(select(Premise))}
    assert len(rows) == 10
    by_key: dict[str, list[int]] = {}
    for row in rows:
        by_key.setdefault(row.operator_key, []).append(row.number)
    assert sorted(by_key["vat:UA12345678"]) == list(range(1, 9))
    assert sorted(by_key[f"premise:{own}"]) == [1, 2]
    assert premises[first] != premises[second]  # spelled differently, one operator all the same


async def test_seed_demo_names_each_car_parks_operator(db: Database, clock: ManualClock) -> None:
    from core.demo import seed_demo

    async with db.transaction() as s:
        await seed_demo(s, lat=50.45, lon=30.52, currency="EUR", timezone="Europe/Kyiv", now=clock.now())
    async with db.read() as s:
        found = {(p.operator_name, p.vat_number, p.vat_rate_bp) for p in await s.scalars(select(Premise))}
    assert found == {
        ("Demo City Parking LLC", "UA400500600700", 2000),
        ("Riverside Mobility (sole trader)", "", 0),
    }
