"""Billing follows the car and no-show release (issue 16 items 1 and 3), on SQLite and the real
PostgreSQL: the sweeps themselves raced, the refund's arithmetic under a rate plan, and how the
ingest keeps `blockers.car_gone_since` against repeated and stale reports. The whole path over
MQTT with the simulator is tests/e2e/test_presence.py."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock
from core.db import Database
from core.models import (
    Blocker,
    Notification,
    Payment,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
    WalletTxKind,
)
from core.pricing import RatePlan, price_stay
from core.services import booking, presence, wallet
from core.services import payments as pay_rules
from core.usecases.attendance import Answer, AttendanceUseCases
from hardware.ingest import BlockerWriter, RowUpdate
from jobs import sweeps
from tests.conftest import T0
from tests.factories import make_premise, make_user, wallet_refunds

RACERS = 6


@dataclass
class Booked:
    db: Database
    clock: ManualClock
    user_id: int
    reservation_id: int
    blocker_id: str

    async def reservation(self) -> Reservation:
        async with self.db.read() as s:
            r = await s.get(Reservation, self.reservation_id)
        assert r is not None
        return r

    async def refunds(self) -> list[int]:
        return await wallet_refunds(self.db, self.user_id)

    async def kinds(self) -> list[str]:
        async with self.db.read() as s:
            return list(
                await s.scalars(
                    select(Notification.kind)
                    .where(Notification.user_id == self.user_id)
                    .order_by(Notification.id)
                )
            )

    async def bay(self, *, car_present: bool, gone_since: datetime | None = None) -> None:
        """What the ingest would have written for the blocker (tested below on its own)."""
        async with self.db.transaction() as s:
            await s.execute(
                update(Blocker)
                .where(Blocker.id == self.blocker_id)
                .values(car_present=car_present, car_gone_since=gone_since)
            )


async def _booked(db: Database, clock: ManualClock, *, minutes: int = 120, arrive: bool = True) -> Booked:
    """A 2-hour booking from T0 (11:00 in Kyiv) at 2.50 EUR an hour, paid from the wallet; the
    driver lowered the blocker a minute after the start."""
    async with db.transaction() as s:
        user = await make_user(s)
        premise = await make_premise(s, price_per_hour=250)
        spot_id = await s.scalar(select(Spot.id).where(Spot.premise_id == premise.id))
        assert spot_id is not None
        s.add(Blocker(id=f"B{premise.id}", spot_id=spot_id, online=True, car_present=False))
        await wallet.credit(s, user.id, 5000, "EUR", kind=WalletTxKind.ADJUSTMENT, reference="t", now=T0)
        r = await booking.hold(
            s, user_id=user.id, premise_id=premise.id, starts_at=T0, minutes=minutes, now=T0, hold_minutes=10
        )
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=user.id, now=T0)
        if arrive:
            await booking.mark_arrived(s, r.id, user_id=user.id, now=T0 + timedelta(minutes=1))
        return Booked(db, clock, user.id, r.id, f"B{premise.id}")


# --- the refund's arithmetic ----------------------------------------------------------------


def test_the_refund_is_what_was_paid_less_the_used_time_in_whole_steps_under_the_plan() -> None:
    end = T0 + timedelta(hours=2)
    plain = RatePlan.plain(250, "EUR")
    used = price_stay(plain, T0, T0 + timedelta(minutes=30), "UTC").total
    # Left at 11:20: 30 minutes are charged (rounded up to a whole step), 90 come back.
    got = presence.unused_refund(
        paid=500, price_of_used=used, starts_at=T0, ends_at=end, used_until=T0 + timedelta(minutes=20)
    )
    assert got == presence.Refund(375, 90)
    # A first hour at 4.00: the used half hour costs 2.00, not a quarter of the 6.00 paid, so a
    # short stay never pays less than a booking of that length would have.
    first_hour = RatePlan(base_per_hour=200, currency="EUR", first_hour=400)
    paid = price_stay(first_hour, T0, end, "UTC").total
    used = price_stay(first_hour, T0, T0 + timedelta(minutes=30), "UTC").total
    assert (paid, used) == (600, 200)
    assert presence.unused_refund(
        paid=paid, price_of_used=used, starts_at=T0, ends_at=end, used_until=T0 + timedelta(minutes=16)
    ) == presence.Refund(400, 90)
    # Inside the last step nothing whole is unused; a leave before the start still pays a step.
    assert presence.unused_refund(
        paid=500, price_of_used=500, starts_at=T0, ends_at=end, used_until=end - timedelta(minutes=5)
    ) == presence.Refund(0, 0)
    early = presence.unused_refund(
        paid=500, price_of_used=63, starts_at=T0, ends_at=end, used_until=T0 - timedelta(minutes=3)
    )
    assert early == presence.Refund(437, 105)
    # A cap reached early can make the used part cost all of it: never negative.
    assert presence.unused_refund(
        paid=500, price_of_used=700, starts_at=T0, ends_at=end, used_until=T0 + timedelta(minutes=40)
    ) == presence.Refund(0, 75)


# --- billing follows the car ----------------------------------------------------------------


async def test_a_car_gone_for_the_grace_ends_the_booking_and_refunds_the_unused_steps_once(
    db: Database, clock: ManualClock
) -> None:
    b = await _booked(db, clock)
    await b.bay(car_present=True)
    clock.set(T0 + timedelta(minutes=24))
    await b.bay(car_present=False, gone_since=T0 + timedelta(minutes=20))
    assert await sweeps.complete_left(db, clock, 5) == 0  # 4 minutes: within the grace
    clock.set(T0 + timedelta(minutes=25))
    results = await asyncio.gather(*(sweeps.complete_left(db, clock, 5) for _ in range(RACERS)))
    assert sum(results) == 1
    r = await b.reservation()
    assert r.status == ReservationStatus.COMPLETED and not r.no_show
    assert r.left_at == T0 + timedelta(minutes=20) and r.ends_at == T0 + timedelta(minutes=25)
    assert await b.refunds() == [375]
    assert await b.kinds() == ["booking_confirmed", "booking_left"]
    async with db.read() as s:
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == r.id))
        assert payment is not None and payment.refunded_amount == 375
        note = await s.scalar(select(Notification).where(Notification.kind == "booking_left"))
        assert note is not None and note.payload["refund"] == 375 and note.payload["unused_minutes"] == 90
        assert await wallet.balance(s, b.user_id, "EUR") == 5000 - 500 + 375
    clock.advance(timedelta(minutes=10))
    assert await sweeps.complete_left(db, clock, 5) == 0  # settled: never again


async def test_a_car_back_within_the_grace_or_never_seen_after_arrival_changes_nothing(
    db: Database, clock: ManualClock
) -> None:
    b = await _booked(db, clock)
    await b.bay(car_present=True)  # it left for a moment and came back: the ingest cleared it
    clock.set(T0 + timedelta(minutes=40))
    assert await sweeps.complete_left(db, clock, 5) == 0
    # Empty since before the driver lowered the blocker: not a car that left.
    await b.bay(car_present=False, gone_since=T0 - timedelta(minutes=30))
    assert await sweeps.complete_left(db, clock, 5) == 0
    assert (await b.reservation()).status == ReservationStatus.ACTIVE
    assert await b.refunds() == []


async def test_a_premise_that_does_not_refund_unused_time_ends_the_booking_without_refund(
    db: Database, clock: ManualClock
) -> None:
    b = await _booked(db, clock)
    async with db.transaction() as s:
        await s.execute(update(Premise).values(refund_unused=False))
    await b.bay(car_present=False, gone_since=T0 + timedelta(minutes=20))
    clock.set(T0 + timedelta(minutes=30))
    assert await sweeps.complete_left(db, clock, 5) == 1
    assert (await b.reservation()).status == ReservationStatus.COMPLETED
    assert await b.refunds() == []
    async with db.read() as s:
        note = await s.scalar(select(Notification).where(Notification.kind == "booking_left"))
        assert note is not None and note.payload["refunds_off"] is True


# --- the ingest keeps car_gone_since ----------------------------------------------------------


async def test_car_gone_since_is_the_first_empty_report_and_repeats_or_stale_reports_never_move_it(
    db: Database,
) -> None:
    async with db.transaction() as s:
        s.add(Blocker(id="G1", online=True))

    def report(car: bool, ts: datetime, battery: int = 90) -> RowUpdate:
        # What hardware/link.py puts for a `state` message.
        return RowUpdate(car_present=car, battery=battery, state_ts=ts, gone_since=None if car else ts)

    async def gone_since(writer: BlockerWriter, *updates: RowUpdate) -> datetime | None:
        for u in updates:
            writer.put("G1", u)
        await writer.flush()
        async with db.read() as s:
            row = await s.get(Blocker, "G1")
        assert row is not None
        return row.car_gone_since

    t = [T0 + timedelta(minutes=m) for m in range(6)]
    first, second = BlockerWriter(db), BlockerWriter(db)  # two processes, each with its cache
    tasks = [asyncio.create_task(w.run()) for w in (first, second)]
    try:
        assert await gone_since(first, report(True, t[0])) is None
        assert await gone_since(first, report(False, t[1])) == t[1]
        assert await gone_since(first, report(False, t[2], battery=89)) == t[1]  # still empty
        assert await gone_since(first, report(False, t[1])) == t[1]  # the same report again
        # Another process that has not seen the row yet, a reconnect's replay included.
        assert await gone_since(second, report(False, t[3], battery=88)) == t[1]
        assert await gone_since(second, report(True, t[0])) == t[1]  # stale: dropped
        # Coalesced in one batch: back and gone again counts from the new leave.
        assert await gone_since(first, report(True, t[4]), report(False, t[5])) == t[5]
        assert await gone_since(first, report(True, t[5], battery=87)) is None
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- no-show release ------------------------------------------------------------------------


async def test_a_no_show_is_asked_once_then_released_once_and_the_rest_is_bookable(
    db: Database, clock: ManualClock
) -> None:
    b = await _booked(db, clock, arrive=False)
    clock.set(T0 + timedelta(minutes=19))
    assert await sweeps.release_no_shows(db, clock, 30) == 0
    assert await b.kinds() == ["booking_confirmed"]
    clock.set(T0 + timedelta(minutes=20))
    assert await sweeps.release_no_shows(db, clock, 0) == 0  # NO_SHOW_GRACE_MINUTES=0: never
    assert await b.kinds() == ["booking_confirmed"]
    await asyncio.gather(*(sweeps.release_no_shows(db, clock, 30) for _ in range(RACERS)))
    assert await b.kinds() == ["booking_confirmed", "no_show_check"]
    clock.set(T0 + timedelta(minutes=30))
    results = await asyncio.gather(*(sweeps.release_no_shows(db, clock, 30) for _ in range(RACERS)))
    assert sum(results) == 1
    r = await b.reservation()
    assert r.status == ReservationStatus.COMPLETED and r.no_show
    assert r.ends_at == T0 + timedelta(minutes=30)
    assert await b.kinds() == ["booking_confirmed", "no_show_check", "no_show_released"]
    assert await b.refunds() == []  # the premise does not refund no-shows (the default)
    # Another driver books the spot for the rest of the interval.
    async with db.transaction() as s:
        other = await make_user(s)
        spot_premise = await s.scalar(select(Spot.premise_id).where(Spot.id == r.spot_id))
        assert spot_premise is not None
        again = await booking.hold(
            s,
            user_id=other.id,
            premise_id=spot_premise,
            starts_at=clock.now(),
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
        assert again.spot_id == r.spot_id


async def test_keep_it_keeps_the_booking_and_a_car_on_the_bay_is_never_asked_about(
    db: Database, clock: ManualClock
) -> None:
    b = await _booked(db, clock, arrive=False)
    attendance = AttendanceUseCases(db, clock)
    clock.set(T0 + timedelta(minutes=20))
    await sweeps.release_no_shows(db, clock, 30)
    assert (await attendance.keep(user_id=b.user_id, reservation_id=b.reservation_id)).answer is Answer.KEPT
    clock.set(T0 + timedelta(minutes=90))
    assert await sweeps.release_no_shows(db, clock, 30) == 0
    assert (await b.reservation()).status == ReservationStatus.CONFIRMED
    assert await b.kinds() == ["booking_confirmed", "no_show_check"]  # no second question
    # A second booking whose bay has a car on it: nobody is asked.
    c = await _booked(db, clock, arrive=False)
    await c.bay(car_present=True)
    clock.set(T0 + timedelta(minutes=50))
    assert await sweeps.release_no_shows(db, clock, 30) == 0
    assert await c.kinds() == ["booking_confirmed"]


async def test_release_the_spot_frees_it_at_once_refunding_where_the_premise_says_so(
    db: Database, clock: ManualClock
) -> None:
    b = await _booked(db, clock, arrive=False)
    async with db.transaction() as s:
        await s.execute(update(Premise).values(refund_no_show=True))
    clock.set(T0 + timedelta(minutes=21))
    attendance = AttendanceUseCases(db, clock)
    stranger = AttendanceUseCases(db, clock)
    async with db.transaction() as s:
        other = (await make_user(s)).id
    with pytest.raises(Exception, match="reservation"):
        await stranger.release(user_id=other, reservation_id=b.reservation_id)
    answers = await asyncio.gather(
        *(attendance.release(user_id=b.user_id, reservation_id=b.reservation_id) for _ in range(3))
    )
    assert sorted(a.answer.value for a in answers) == ["gone", "gone", "released"]
    # Used 21 minutes → 30 charged: 90 minutes (3.75 EUR) come back.
    assert await b.refunds() == [375]
    r = await b.reservation()
    assert r.status == ReservationStatus.COMPLETED and r.no_show
