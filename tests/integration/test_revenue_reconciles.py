"""Done when (issue 13): revenue reconciles. Hundreds of random bookings, cancellations with
refunds (wallet at once, card when Stripe has done it) and paid extensions over a month, on
SQLite and PostgreSQL; then for the month, for each week and for each car park: gross − refunds
= net, per currency; the CSV's rows add up to it; the payments table and the wallet ledger
read the plain way say the same; the days and the car parks add up to the whole."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import DomainError
from core.models import (
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    Reservation,
    ReservationStatus,
    WalletTransaction,
    WalletTxKind,
)
from core.payments import ProviderPayment
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.revenue import TOOK_MONEY, Period, RevenueUseCases
from tests.factories import make_premise, make_user

SETTINGS = Settings(_env_file=None, bot_token="1:x", timezone="Europe/Kyiv")
START = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # 1 Nov, midnight in Kyiv
STEPS = 300
BATCH = 10


async def _act(s: AsyncSession, now: datetime, rng: random.Random, world: _World) -> str:
    """One random thing a driver or Stripe does at `now`, through the real services."""
    action = rng.random()
    upcoming = [(rid, d) for rid, d, starts, _ends in world.bookings if starts > now]
    running = [(rid, d) for rid, d, _starts, ends in world.bookings if ends > now]
    if action < 0.55 or not world.bookings:
        driver = rng.choice(world.drivers)
        start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 * rng.randint(1, 150))
        r = await booking.hold(
            s, user_id=driver, premise_id=rng.choice(world.premises), starts_at=start,
            minutes=15 * rng.randint(2, 16), now=now, hold_minutes=10,
        )  # fmt: skip
        if rng.random() < 0.5:
            await wallet.credit(
                s, driver, r.price, r.currency, kind=WalletTxKind.DEPOSIT, reference="t", now=now
            )
            await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=driver, now=now)
        else:
            card = await pay_rules.new_card_payment(
                s, user_id=driver, purpose=PaymentPurpose.BOOKING, amount=r.price, currency=r.currency,
                now=now, reservation_id=r.id,
            )  # fmt: skip
            paid = ProviderPayment(r.price, r.currency, True, f"pi_{card.id}")
            await pay_rules.settle_payment(s, card.id, paid, now)
        world.bookings.append((r.id, driver, r.starts_at, r.ends_at))
        return "booked"
    if action < 0.75 and upcoming:
        rid, driver = rng.choice(upcoming)
        result = await booking.cancel(s, rid, user_id=driver, now=now)
        world.owed += [p.id for p in result.card_refunds]
        world.bookings = [b for b in world.bookings if b[0] != rid]
        return "cancelled"
    if action < 0.9 and running:
        rid, driver = rng.choice(running)
        ext = await booking.request_extension(s, rid, user_id=driver, minutes=15 * rng.randint(1, 4), now=now)
        await wallet.credit(
            s, driver, ext.price, ext.currency, kind=WalletTxKind.DEPOSIT, reference="t", now=now
        )
        await pay_rules.pay_extension_with_wallet(s, extension_id=ext.id, user_id=driver, now=now)
        world.bookings = [
            (b[0], b[1], b[2], ext.new_ends_at if b[0] == rid else b[3]) for b in world.bookings
        ]
        return "extended"
    if world.owed:
        payment = world.owed.pop(rng.randrange(len(world.owed)))
        await pay_rules.record_refund(s, payment, refund_id=f"re_{payment}", error=None, now=now)
        return "card_refunded"
    return "nothing"


@dataclass
class _World:
    premises: list[int]
    drivers: list[int]
    bookings: list[tuple[int, int, datetime, datetime]] = field(default_factory=list)
    owed: list[int] = field(default_factory=list)  # card payments owed back


async def _month_of_activity(db: Database, rng: random.Random) -> tuple[int, Counter[str]]:
    """STEPS random actions, a quarter hour to 2.5 hours apart, BATCH to a transaction (each in
    a savepoint: what the rules refuse leaves nothing behind)."""
    async with db.transaction() as s:
        eur = (await make_premise(s, name="Alpha", spots=6, price_per_hour=250)).id
        uah = (await make_premise(s, name="Beta", spots=4, price_per_hour=4000, currency="UAH")).id
        owner = (await make_user(s, name="Owner", is_admin=True)).id
        drivers = [(await make_user(s, name=f"D{n}")).id for n in range(8)]
    world = _World([eur, uah], drivers)
    done: Counter[str] = Counter()
    now = START + timedelta(minutes=30)
    for _ in range(STEPS // BATCH):
        async with db.transaction() as s:
            for _ in range(BATCH):
                now += timedelta(minutes=15 * rng.randint(1, 10))
                kept = list(world.bookings), list(world.owed)
                try:
                    async with s.begin_nested():
                        done[await _act(s, now, rng, world)] += 1
                except DomainError:
                    world.bookings, world.owed = kept
                    done["refused"] += 1  # no spot free, over 24 h: the rules said no
    return owner, done


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


async def test_revenue_reconciles_with_the_csv_and_the_ledgers(db: Database) -> None:
    owner, done = await _month_of_activity(db, random.Random(13))
    assert done["booked"] >= 150 and done["cancelled"] >= 40 and done["extended"] >= 30, done
    clock = ManualClock(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))  # everything settled
    uc = RevenueUseCases(db, clock, SETTINGS)
    november = (date(2026, 11, 1), date(2026, 11, 30))
    month = await uc.revenue(owner, None, Period.CUSTOM, *november)
    start, end = month.starts_at, month.ends_at
    assert (start, end) == (START, datetime(2026, 11, 30, 22, 0, tzinfo=UTC))

    # The payments table and the wallet ledger, read the plain way.
    async with db.read() as s:
        payments = list(await s.scalars(select(Payment)))
        ledger = list(await s.scalars(select(WalletTransaction)))
        bookings = list(await s.scalars(select(Reservation)))
    took = [p for p in payments if p.purpose is not PaymentPurpose.TOPUP and p.status in TOOK_MONEY]
    gross, refunds, wallet_gross, wallet_refunds = (
        Counter[str](),
        Counter[str](),
        Counter[str](),
        Counter[str](),
    )
    for p in took:
        assert p.succeeded_at is not None
        if start <= p.succeeded_at < end:
            gross[p.currency] += p.amount
            if p.method is PaymentMethodKind.WALLET:
                wallet_gross[p.currency] += p.amount
        if p.refunded_at is not None and start <= p.refunded_at < end:
            refunds[p.currency] += p.refunded_amount
            if p.method is PaymentMethodKind.WALLET:
                wallet_refunds[p.currency] += p.refunded_amount
    wallet_ids = {f"payment:{p.id}" for p in took if p.method is PaymentMethodKind.WALLET}
    ledger_paid, ledger_back = Counter[str](), Counter[str]()
    for tx in ledger:
        if tx.reference in wallet_ids and start <= tx.created_at < end:
            if tx.kind is WalletTxKind.PAYMENT:
                ledger_paid[tx.currency] -= tx.amount
            elif tx.kind is WalletTxKind.REFUND:
                ledger_back[tx.currency] += tx.amount
    assert (ledger_paid, ledger_back) == (wallet_gross, wallet_refunds)
    assert set(gross) == {"EUR", "UAH"} and refunds["EUR"] > 0 and refunds["UAH"] > 0

    # The month: per currency, gross − refunds = net = the CSV's rows, and it is the ledger.
    report, content = await uc.revenue_csv(owner, None, Period.CUSTOM, *november)
    rows = _csv(content)
    assert len(rows) == sum(c.payments + c.refund_count for c in report.currencies)
    for totals in report.currencies:
        c = totals.currency
        mine = [r for r in rows if r["currency"] == c]
        assert totals.gross - totals.refunds == totals.net
        assert sum(int(r["amount_minor"]) for r in mine) == totals.net
        assert sum(int(r["amount_minor"]) for r in mine if r["type"] == "payment") == totals.gross == gross[c]
        assert (
            -sum(int(r["amount_minor"]) for r in mine if r["type"] == "refund")
            == totals.refunds
            == refunds[c]
        )
        assert sum(m.gross for m in totals.by_method.values()) == totals.gross
        assert totals.by_method["wallet"].gross == wallet_gross[c]
        # The days and the car parks add up to the month.
        assert sum(d.net(c) for d in report.days) == totals.net
        assert sum(p.money[c].net for p in report.premises if c in p.money) == totals.net
    # Decimal and minor amounts agree, row by row.
    for r in rows:
        assert round(float(r["amount"]) * 100) == int(r["amount_minor"])

    # Each week on its own, and each car park on its own, add up to the month too.
    weekly: Counter[str] = Counter()
    first = november[0]
    while first <= november[1]:
        last = min(first + timedelta(days=6), november[1])
        for totals in (await uc.revenue(owner, None, Period.CUSTOM, first, last)).currencies:
            weekly[totals.currency] += totals.net
        first = last + timedelta(days=1)
    assert weekly == Counter({c.currency: c.net for c in report.currencies})
    for premise in report.premises:
        alone = await uc.revenue(owner, premise.premise_id, Period.CUSTOM, *november)
        assert {c.currency: c.net for c in alone.currencies} == {c: m.net for c, m in premise.money.items()}
        assert alone.bookings == premise.bookings

    # Bookings and booked time from the bookings themselves.
    booked = [
        b
        for b in bookings
        if b.status in (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE, ReservationStatus.COMPLETED)
    ]
    assert report.bookings == sum(1 for b in booked if start <= b.starts_at < end)
    booked_minutes = sum(
        (min(b.ends_at, end) - max(b.starts_at, start)).total_seconds() / 60
        for b in booked
        if b.starts_at < end
    )
    assert abs(sum(d.booked_minutes for d in report.days) - booked_minutes) <= len(report.days)
    assert 0 < (report.occupancy or 0) < 1
