""" "End parking now" (the driver's, the staff's in the console) refunds the unused whole
15-minute steps exactly as a car that drives off does (presence.refund_unused, the premise's
`refund_unused`): the driver who taps the official button is never worse off. On SQLite and
PostgreSQL; the race with the car-left sweep on PostgreSQL, the use cases themselves called at
the same moment."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import DomainError
from core.models import (
    Blocker,
    Notification,
    Payment,
    Reservation,
    ReservationStatus,
    Spot,
    WalletTxKind,
)
from core.pricing import RatePlan
from core.services import booking, presence, wallet
from core.services import payments as pay_rules
from core.usecases.admin_bookings import BookingAdminUseCases
from core.usecases.booking import BookingUseCases
from core.usecases.pricing import PricingUseCases
from tests.conftest import T0
from tests.factories import make_premise, make_user, wallet_refunds

SETTINGS = Settings(_env_file=None, bot_token="1:x", hold_minutes=10, early_arrival_minutes=15)
# The plan of test_presence's arithmetic: a first hour at 4.00, then 2.00 an hour. Two hours
# cost 6.00; a stay used for 16 minutes costs its half hour at the first-hour rate, 2.00.
FIRST_HOUR = RatePlan(base_per_hour=200, currency="EUR", first_hour=400)
FUNDS = 5000


@dataclass
class Stay:
    db: Database
    clock: ManualClock
    user_id: int
    owner_id: int
    reservation_id: int
    blocker_id: str

    async def refunds(self) -> list[int]:
        return await wallet_refunds(self.db, self.user_id)

    async def state(self) -> tuple[Reservation, Payment, int, list[Notification]]:
        async with self.db.read() as s:
            r = await s.get(Reservation, self.reservation_id)
            payment = await s.scalar(select(Payment).where(Payment.reservation_id == self.reservation_id))
            balance = await wallet.balance(s, self.user_id, "EUR")
            notes = list(
                await s.scalars(
                    select(Notification)
                    .where(Notification.user_id == self.user_id, Notification.kind != "booking_confirmed")
                    .order_by(Notification.id)
                )
            )
        assert r is not None and payment is not None
        return r, payment, balance, notes


async def _stay(
    db: Database,
    clock: ManualClock,
    *,
    refund_unused: bool = True,
    arrive: bool = True,
    refund_no_show: bool = False,
) -> Stay:
    """A 2-hour booking from T0 under FIRST_HOUR (6.00), paid from the wallet; the driver
    lowered the blocker a minute after the start and is parked."""
    clock.set(T0 - timedelta(hours=1))
    async with db.transaction() as s:
        user = await make_user(s)
        owner = await make_user(s, name="Owner", is_admin=True)
        premise = await make_premise(s, price_per_hour=200)
        premise.refund_unused, premise.refund_no_show = refund_unused, refund_no_show
        spot_id = await s.scalar(select(Spot.id).where(Spot.premise_id == premise.id))
        assert spot_id is not None
        s.add(Blocker(id=f"B{premise.id}", spot_id=spot_id, online=True, car_present=True))
        await wallet.credit(s, user.id, FUNDS, "EUR", kind=WalletTxKind.ADJUSTMENT, reference="t", now=T0)
        ids = user.id, owner.id, premise.id
    await PricingUseCases(db, clock).set_plan(ids[2], FIRST_HOUR)
    async with db.transaction() as s:
        r = await booking.hold(
            s, user_id=ids[0], premise_id=ids[2], starts_at=T0, minutes=120, now=clock.now(), hold_minutes=10
        )
        assert r.price == 600
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=ids[0], now=clock.now())
        if arrive:
            await booking.mark_arrived(s, r.id, user_id=ids[0], now=T0 + timedelta(minutes=1))
        return Stay(db, clock, ids[0], ids[1], r.id, f"B{ids[2]}")


async def _car_gone(stay: Stay, since: timedelta) -> None:
    async with stay.db.transaction() as s:
        await s.execute(
            update(Blocker)
            .where(Blocker.id == stay.blocker_id)
            .values(car_present=False, car_gone_since=T0 + since)
        )


async def test_end_now_refunds_the_unused_whole_steps_under_the_bookings_plan(
    db: Database, clock: ManualClock
) -> None:
    stay = await _stay(db, clock)
    clock.set(T0 + timedelta(minutes=16))
    ended = await BookingUseCases(db, clock, SETTINGS).end_now(
        user_id=stay.user_id, reservation_id=stay.reservation_id
    )
    # Used until 11:16, charged until 11:30 at the first-hour rate (2.00): 4.00 for 90 minutes back.
    assert (ended.refund, ended.unused_minutes, ended.currency, ended.refunds_on) == (400, 90, "EUR", True)
    r, payment, balance, notes = await stay.state()
    assert r.status is ReservationStatus.COMPLETED and r.ends_at == T0 + timedelta(minutes=16)
    assert payment.refunded_amount == 400 and balance == FUNDS - 600 + 400
    assert await stay.refunds() == [400]
    (note,) = notes
    assert note.kind == "booking_completed"
    assert (note.payload["refund"], note.payload["unused_minutes"], note.payload["refunds_off"]) == (
        400,
        90,
        False,
    )
    # The car then drives off: the sweep finds the booking completed, nothing refunded twice.
    await _car_gone(stay, timedelta(minutes=17))
    clock.set(T0 + timedelta(minutes=30))
    async with db.transaction() as s:
        assert (
            await presence.complete_left(
                s, stay.reservation_id, stay.user_id, clock.now(), timedelta(minutes=5)
            )
            is None
        )
    assert await stay.refunds() == [400]


async def test_end_now_inside_the_last_step_refunds_nothing_and_says_so(
    db: Database, clock: ManualClock
) -> None:
    stay = await _stay(db, clock)
    clock.set(T0 + timedelta(minutes=110))
    ended = await BookingUseCases(db, clock, SETTINGS).end_now(
        user_id=stay.user_id, reservation_id=stay.reservation_id
    )
    assert (ended.refund, ended.unused_minutes, ended.refunds_on) == (0, 0, True)
    assert await stay.refunds() == []
    *_, notes = await stay.state()
    assert (notes[0].payload["refund"], notes[0].payload["refunds_off"]) == (0, False)


async def test_a_car_park_without_refunds_of_unused_time_refunds_nothing_on_end_now(
    db: Database, clock: ManualClock
) -> None:
    stay = await _stay(db, clock, refund_unused=False)
    clock.set(T0 + timedelta(minutes=16))
    ended = await BookingUseCases(db, clock, SETTINGS).end_now(
        user_id=stay.user_id, reservation_id=stay.reservation_id
    )
    assert (ended.refund, ended.refunds_on) == (0, False)
    r, payment, balance, notes = await stay.state()
    assert r.status is ReservationStatus.COMPLETED
    assert payment.refunded_amount == 0 and balance == FUNDS - 600
    assert await stay.refunds() == []
    assert notes[0].payload["refunds_off"] is True
    details = await BookingUseCases(db, clock, SETTINGS).details(
        user_id=stay.user_id, reservation_id=stay.reservation_id
    )
    assert details.end_refunds is False


async def test_the_staffs_end_now_refunds_as_the_drivers_does(db: Database, clock: ManualClock) -> None:
    stay = await _stay(db, clock)
    details = await BookingUseCases(db, clock, SETTINGS).details(
        user_id=stay.user_id, reservation_id=stay.reservation_id
    )
    assert details.end_refunds is True  # the confirmation promises the refund
    clock.set(T0 + timedelta(minutes=16))
    changed = await BookingAdminUseCases(db, clock, SETTINGS).end_now(
        stay.owner_id, stay.reservation_id, "driver left"
    )
    assert (changed.status, changed.refunded_to_wallet) == (ReservationStatus.COMPLETED, 400)
    _r, payment, balance, notes = await stay.state()
    assert payment.refunded_amount == 400 and balance == FUNDS - 600 + 400
    (note,) = notes
    assert note.payload["by_staff"] is True and note.payload["refund"] == 400


@pytest.mark.parametrize("refund_no_show", [False, True])
async def test_ending_a_booking_nobody_arrived_for_follows_the_no_show_setting(
    db: Database, clock: ManualClock, refund_no_show: bool
) -> None:
    """Nobody lowered the blocker: the end is a no-show, refunded as "Release the spot" is
    (`refund_no_show`, off by default), so "End now" is no way around that setting."""
    stay = await _stay(db, clock, arrive=False, refund_no_show=refund_no_show)
    uc = BookingUseCases(db, clock, SETTINGS)
    clock.set(T0 + timedelta(minutes=16))
    details = await uc.details(user_id=stay.user_id, reservation_id=stay.reservation_id)
    assert details.end_refunds is refund_no_show
    ended = await uc.end_now(user_id=stay.user_id, reservation_id=stay.reservation_id)
    assert (ended.refund, ended.refunds_on) == ((400, True) if refund_no_show else (0, False))
    r, _payment, _balance, notes = await stay.state()
    assert r.no_show and notes[0].payload["no_show"] is True
    assert await stay.refunds() == ([400] if refund_no_show else [])


# Row locks are PostgreSQL's: SQLite serialises every writer (BEGIN IMMEDIATE).
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
@pytest.mark.parametrize("round_", range(3))
async def test_end_now_by_the_driver_and_the_staff_and_the_car_left_sweep_at_once_settle_once(
    db: Database, clock: ManualClock, round_: int
) -> None:
    stay = await _stay(db, clock)
    # The car left at 11:16, the grace is over at 11:21: the sweep and the taps all may settle it.
    await _car_gone(stay, timedelta(minutes=16))
    clock.set(T0 + timedelta(minutes=22))
    driver = BookingUseCases(db, clock, SETTINGS)
    staff = BookingAdminUseCases(db, clock, SETTINGS)

    async def by_driver() -> bool:
        try:
            await driver.end_now(user_id=stay.user_id, reservation_id=stay.reservation_id)
        except DomainError:
            return False
        return True

    async def by_staff() -> bool:
        try:
            await staff.end_now(stay.owner_id, stay.reservation_id, "car gone")
        except DomainError:
            return False
        return True

    async def by_sweep() -> bool:
        async with db.transaction() as s:
            left = await presence.complete_left(
                s, stay.reservation_id, stay.user_id, clock.now(), timedelta(minutes=5)
            )
        return left is not None

    racers = [by_driver, by_staff, by_sweep] * 2
    racers = racers[round_:] + racers[:round_]
    results = await asyncio.gather(*(race() for race in racers))
    assert sum(results) == 1, results
    r, payment, balance, notes = await stay.state()
    assert r.status is ReservationStatus.COMPLETED
    # Whichever won: the used time is 11:00-11:30 (2.00), 4.00 for 90 minutes back, once.
    assert await stay.refunds() == [400]
    assert payment.refunded_amount == 400 and balance == FUNDS - 600 + 400
    assert [n.kind for n in notes] in (["booking_completed"], ["booking_left"])
