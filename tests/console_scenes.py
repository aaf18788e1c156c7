"""Car parks in a known state for the console's Now and Revenue tests (use cases, screens and
end to end), made through the real booking and payment services with a moving clock, and the
reference figures those screens must match, computed here the plain way from the rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.clock import ManualClock
from core.db import Database
from core.models import (
    Blocker,
    BlockerState,
    Payment,
    PaymentPurpose,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
    WalletTxKind,
)
from core.payments import ProviderPayment
from core.services import booking, wallet
from core.services import payments as pay_rules


async def add_blockers(db: Database, premise_id: int) -> None:
    """An online, raised, charged blocker on every spot of the premise that has none."""
    async with db.transaction() as s:
        spots = await s.execute(
            select(Spot.id, Spot.label).where(Spot.premise_id == premise_id).order_by(Spot.id)
        )
        bound = set(await s.scalars(select(Blocker.spot_id).where(Blocker.spot_id.is_not(None))))
        for spot_id, label in spots.tuples():
            if spot_id not in bound:
                s.add(
                    Blocker(
                        id=f"P{premise_id}-{label}",
                        spot_id=spot_id,
                        online=True,
                        state=BlockerState.RAISED,
                        battery=90,
                        car_present=False,
                    )
                )


async def hold(
    db: Database, clock: ManualClock, user_id: int, premise_id: int, starts_at: datetime, minutes: int
) -> int:
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=premise_id,
            starts_at=starts_at,
            minutes=minutes,
            now=clock.now(),
            hold_minutes=10,
        )
        return r.id


async def pay_wallet(db: Database, clock: ManualClock, user_id: int, reservation_id: int) -> int:
    """Funds the driver's wallet with the price and pays from it: the payment's id."""
    async with db.transaction() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None
        await wallet.credit(
            s, user_id, r.price, r.currency, kind=WalletTxKind.DEPOSIT, reference="test", now=clock.now()
        )
        payment = await pay_rules.pay_booking_with_wallet(
            s, reservation_id=reservation_id, user_id=user_id, now=clock.now()
        )
        return payment.id


async def pay_card(db: Database, clock: ManualClock, user_id: int, reservation_id: int) -> int:
    """A card payment the provider reports paid (as its webhook would): the payment's id."""
    async with db.transaction() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None
        payment = await pay_rules.new_card_payment(
            s,
            user_id=user_id,
            purpose=PaymentPurpose.BOOKING,
            amount=r.price,
            currency=r.currency,
            now=clock.now(),
            reservation_id=reservation_id,
        )
        reported = ProviderPayment(r.price, r.currency, True, f"pi_{payment.id}")
        await pay_rules.settle_payment(s, payment.id, reported, clock.now())
        return payment.id


async def book(
    db: Database,
    clock: ManualClock,
    user_id: int,
    premise_id: int,
    starts_at: datetime,
    minutes: int,
    method: str = "wallet",
) -> int:
    rid = await hold(db, clock, user_id, premise_id, starts_at, minutes)
    await (pay_wallet if method == "wallet" else pay_card)(db, clock, user_id, rid)
    return rid


async def extend_wallet(
    db: Database, clock: ManualClock, user_id: int, reservation_id: int, minutes: int
) -> int:
    """An extension paid from the wallet: the payment's id."""
    async with db.transaction() as s:
        ext = await booking.request_extension(
            s, reservation_id, user_id=user_id, minutes=minutes, now=clock.now()
        )
        await wallet.credit(
            s, user_id, ext.price, ext.currency, kind=WalletTxKind.DEPOSIT, reference="test", now=clock.now()
        )
        payment = await pay_rules.pay_extension_with_wallet(
            s, extension_id=ext.id, user_id=user_id, now=clock.now()
        )
        return payment.id


async def cancel(db: Database, clock: ManualClock, user_id: int, reservation_id: int) -> list[int]:
    """Cancels with a full refund: the card payments now owed back (refund_pending)."""
    async with db.transaction() as s:
        result = await booking.cancel(s, reservation_id, user_id=user_id, now=clock.now())
        return [p.id for p in result.card_refunds]


async def card_refunded(db: Database, clock: ManualClock, payment_id: int) -> None:
    """Stripe did the refund (what the payments adapter records)."""
    async with db.transaction() as s:
        await pay_rules.record_refund(
            s, payment_id, refund_id=f"re_{payment_id}", error=None, now=clock.now()
        )


async def arrive(
    db: Database, clock: ManualClock, user_id: int, reservation_id: int, *, car: bool = True
) -> None:
    """The blocker went down for the driver; the car is reported on the spot."""
    async with db.transaction() as s:
        r = await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())
        if car:
            await s.execute(update(Blocker).where(Blocker.spot_id == r.spot_id).values(car_present=True))


@dataclass(frozen=True, slots=True)
class NowScene:
    overstay: int  # active, its end passed, car still there
    parked: int  # active now, car there
    later: int  # paid, starts later today
    late: int  # paid, started 10 minutes ago, no car yet
    held: int  # an unpaid hold for later today
    tomorrow: int  # paid, tomorrow
    intruder_spot: str  # a car on a spot nobody booked


async def now_scene(db: Database, clock: ManualClock, premise_id: int, user_id: int) -> NowScene:
    """A car park of 12 spots (A1-A12) at clock.now() (T0): A1 a car past its booking's end,
    A2 a car in its booking, A3 a paid booking 10 minutes late, A4 a paid booking later today,
    A5 an unpaid hold for later today, A6 a booking tomorrow, A7 a car nobody booked, A11's
    blocker offline, A12 closed. The clock is back at T0 afterwards."""
    t0 = clock.now()
    await add_blockers(db, premise_id)
    clock.set(t0 - timedelta(hours=3))
    overstay = await book(db, clock, user_id, premise_id, t0 - timedelta(hours=2, minutes=45), 120)
    clock.set(t0 - timedelta(hours=2, minutes=40))
    await arrive(db, clock, user_id, overstay, car=False)
    clock.set(t0 - timedelta(minutes=20))
    parked = await book(db, clock, user_id, premise_id, t0 - timedelta(minutes=15), 120, "card")
    late = await book(db, clock, user_id, premise_id, t0 - timedelta(minutes=10), 60)
    clock.set(t0 - timedelta(minutes=5))
    await arrive(db, clock, user_id, parked, car=False)
    clock.set(t0)
    later = await book(db, clock, user_id, premise_id, t0 + timedelta(hours=2), 60)
    held = await hold(db, clock, user_id, premise_id, t0 + timedelta(hours=3), 60)
    tomorrow = await book(db, clock, user_id, premise_id, t0 + timedelta(hours=26), 60)
    async with db.transaction() as s:
        spots = {
            spot.label: spot for spot in await s.scalars(select(Spot).where(Spot.premise_id == premise_id))
        }
        assert len(spots) == 12, "the scene is for a car park of 12 spots"
        # The booking rules gave them the first free spots (A1-A3); each gets its own spot
        # here, by way of spots nobody uses, so no two holds of one spot ever overlap.
        order = (overstay, parked, late, later, held, tomorrow)
        for n, rid in enumerate(order):
            await s.execute(
                update(Reservation).where(Reservation.id == rid).values(spot_id=spots[f"A{n + 6}"].id)
            )
        for n, rid in enumerate(order):
            await s.execute(
                update(Reservation).where(Reservation.id == rid).values(spot_id=spots[f"A{n + 1}"].id)
            )
        cars = [spots[label].id for label in ("A1", "A2", "A7")]
        await s.execute(update(Blocker).where(Blocker.spot_id.in_(cars)).values(car_present=True))
        await s.execute(update(Blocker).where(Blocker.spot_id == spots["A11"].id).values(online=False))
        spots["A12"].is_active, spots["A12"].closed_reason = False, "Painting"
    return NowScene(overstay, parked, later, late, held, tomorrow, "A7")


async def expected_counts(
    db: Database, premise_id: int, now: datetime, today_ends: datetime
) -> dict[str, int]:
    """The Now screen's counts the plain way: every spot and booking read, judged in Python."""
    async with db.read() as s:
        spots = list(await s.scalars(select(Spot).where(Spot.premise_id == premise_id)))
        blockers = {b.spot_id: b for b in await s.scalars(select(Blocker))}
        bookings = list(await s.scalars(select(Reservation)))
    counts = dict.fromkeys(("free", "held", "booked", "occupied", "closed", "unhealthy"), 0)
    for spot in spots:
        blocker = blockers.get(spot.id)
        mine = [r for r in bookings if r.spot_id == spot.id and r.ends_at > now and r.starts_at < today_ends]
        if not spot.is_active and (spot.closed_until is None or spot.closed_until > now):
            state = "closed"
        elif blocker is not None and (
            not blocker.online or blocker.state is BlockerState.FAULT or (blocker.battery or 100) < 15
        ):
            state = "unhealthy"
        elif blocker is not None and blocker.car_present:
            state = "occupied"
        elif any(r.status in (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE) for r in mine):
            state = "booked"
        elif any(
            r.status is ReservationStatus.PENDING_PAYMENT and r.hold_expires_at and r.hold_expires_at > now
            for r in mine
        ):
            state = "held"
        else:
            state = "free"
        counts[state] += 1
    return counts


async def premise_currency(db: Database, premise_id: int) -> str:
    async with db.read() as s:
        currency = await s.scalar(select(Premise.currency).where(Premise.id == premise_id))
        assert currency is not None
        return currency


async def payments_of(db: Database) -> list[Payment]:
    async with db.read() as s:
        return list(await s.scalars(select(Payment).order_by(Payment.id)))
