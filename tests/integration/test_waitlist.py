"""The waitlist on SQLite and on PostgreSQL (issue 16): two waiting drivers and one freed spot
get exactly one offer at a time, in the order they asked; the offer lapses to the next driver,
"Hold it" holds through the normal hold, and concurrent freeings never offer one spot twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NoSpotFree, OfferLapsed
from core.models import (
    Notification,
    Priority,
    Reservation,
    ReservationStatus,
    Spot,
    WaitlistEntry,
    WaitlistStatus,
    WalletTxKind,
)
from core.services import booking, waitlist, wallet
from core.services import payments as pay_rules
from core.usecases.booking import BookingUseCases
from core.usecases.spots import SpotUseCases
from core.usecases.waitlist import TakeOutcome, WaitlistUseCases
from tests.factories import make_premise, make_user

H = timedelta(hours=1)


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, bot_token="1:x", hold_minutes=10, early_arrival_minutes=15)


async def _full_car_park(
    db: Database, clock: ManualClock, settings: Settings, start: timedelta = 3 * H
) -> tuple[int, int, list[int]]:
    """One spot, booked (unpaid hold) by a first driver for two hours from `start` on; two more
    drivers."""
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1, now=clock.now())
        owner, first, second = [(await make_user(s)).id for _ in range(3)]
    held = await BookingUseCases(db, clock, settings).hold(
        user_id=owner, premise_id=premise.id, starts_at=clock.now() + start, minutes=120
    )
    return premise.id, held.reservation_id, [owner, first, second]


async def _offers(db: Database) -> list[tuple[int, dict[str, object]]]:
    async with db.read() as s:
        rows = await s.execute(
            select(Notification.user_id, Notification.payload)
            .where(Notification.kind == "waitlist_offer")
            .order_by(Notification.id)
        )
        return [(uid, payload) for uid, payload in rows.tuples()]


async def _notes(db: Database, kind: str) -> list[tuple[int, dict[str, object]]]:
    async with db.read() as s:
        rows = await s.execute(
            select(Notification.user_id, Notification.payload)
            .where(Notification.kind == kind)
            .order_by(Notification.id)
        )
        return [(uid, payload) for uid, payload in rows.tuples()]


async def _status(db: Database, wish_id: int) -> WaitlistStatus:
    async with db.read() as s:
        return (await s.get_one(WaitlistEntry, wish_id)).status


async def test_one_freed_spot_is_offered_to_one_driver_at_a_time_in_order(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    premise_id, held_id, (owner, first, second) = await _full_car_park(db, clock, settings)
    wl = WaitlistUseCases(db, clock, settings)
    bookings = BookingUseCases(db, clock, settings)
    with pytest.raises(NoSpotFree):
        await bookings.hold(user_id=first, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=60)
    a = await wl.join(user_id=first, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=60)
    clock.advance(timedelta(seconds=1))
    b = await wl.join(user_id=second, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=60)
    assert a.expires_at == a.starts_at  # a wish stands until its start
    assert await _offers(db) == []

    await bookings.release_hold(user_id=owner, reservation_id=held_id)  # the spot frees
    offers = await _offers(db)
    assert [uid for uid, _ in offers] == [first]  # the first to ask, and only them
    assert offers[0][1]["wish_id"] == a.id
    assert await _status(db, a.id) == WaitlistStatus.OFFERED
    assert await _status(db, b.id) == WaitlistStatus.WAITING
    assert await wl.sweep() == 0  # nothing more to offer while the offer stands

    clock.advance(timedelta(minutes=10))  # HOLD_MINUTES without a tap: the next driver
    assert await wl.sweep() == 1
    assert [uid for uid, _ in await _offers(db)] == [first, second]
    assert await _status(db, a.id) == WaitlistStatus.EXPIRED
    # The driver who let it lapse is told once, about the stay offered, and may wait again.
    offered = offers[0][1]
    assert await _notes(db, "waitlist_offer_lapsed") == [
        (
            first,
            {
                "wish_id": a.id,
                "premise_id": premise_id,
                "starts_at": offered["starts_at"],
                "ends_at": offered["ends_at"],
                "minutes": 10,
                "again": True,
            },
        )
    ]
    assert await wl.sweep() == 0
    assert len(await _notes(db, "waitlist_offer_lapsed")) == 1
    with pytest.raises(OfferLapsed):
        await wl.take(user_id=first, wish_id=a.id)

    taken = await wl.take(user_id=second, wish_id=b.id)
    assert taken.outcome is TakeOutcome.HELD and taken.reservation_id is not None
    async with db.read() as s:
        r = await s.get_one(Reservation, taken.reservation_id)
    assert (r.user_id, r.status) == (second, ReservationStatus.PENDING_PAYMENT)
    assert r.hold_expires_at == clock.now() + timedelta(minutes=10)  # the normal hold
    assert await _status(db, b.id) == WaitlistStatus.TAKEN
    assert await wl.sweep() == 0


async def test_a_tap_after_somebody_else_booked_keeps_the_wish_in_its_place(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    premise_id, held_id, (owner, first, _second) = await _full_car_park(db, clock, settings)
    wl = WaitlistUseCases(db, clock, settings)
    wish = await wl.join(user_id=first, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=60)
    bookings = BookingUseCases(db, clock, settings)
    await bookings.release_hold(user_id=owner, reservation_id=held_id)
    await bookings.hold(user_id=owner, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=120)
    gone = await wl.take(user_id=first, wish_id=wish.id)
    assert gone.outcome is TakeOutcome.GONE
    assert await _status(db, wish.id) == WaitlistStatus.WAITING
    assert [w.id for w in await wl.mine(first)] == [wish.id]
    await wl.cancel(user_id=first, wish_id=wish.id)
    assert await wl.mine(first) == []


async def test_expired_wishes_are_dropped_and_never_offered(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    premise_id, _held, (_owner, first, _second) = await _full_car_park(db, clock, settings, start=H * 0)
    wl = WaitlistUseCases(db, clock, settings)
    soon = await wl.join(user_id=first, premise_id=premise_id, starts_at=clock.now(), minutes=60)
    assert soon.expires_at == clock.now() + H  # a "park now" wish waits an hour
    wish = await wl.join(user_id=first, premise_id=premise_id, starts_at=clock.now() + H, minutes=60)
    assert wish.expires_at == wish.starts_at
    clock.advance(3 * H)
    await wl.sweep()
    assert await _status(db, wish.id) == WaitlistStatus.EXPIRED
    assert await _status(db, soon.id) == WaitlistStatus.EXPIRED
    async with db.transaction() as s:
        await booking.expire_holds(s, clock.now())
    assert await _offers(db) == []
    # Each wish that ended unanswered is told once (after drivers' transactional messages).
    ended = await _notes(db, "waitlist_wish_ended")
    assert sorted((uid, p["wish_id"]) for uid, p in ended) == [(first, soon.id), (first, wish.id)]
    assert {p["starts_at"] for _, p in ended} == {soon.starts_at.isoformat(), wish.starts_at.isoformat()}
    await wl.sweep()
    assert len(await _notes(db, "waitlist_wish_ended")) == 2
    async with db.read() as s:
        priorities = set(
            await s.scalars(select(Notification.priority).where(Notification.kind == "waitlist_wish_ended"))
        )
    assert priorities == {Priority.BULK}


async def test_concurrent_freeings_offer_the_one_spot_once(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    """Several processes noticing freed capacity at the same car park at once (the function
    raced, not the chat: DESIGN.md §10) make one offer, to the first driver."""
    premise_id, _held, (_owner, first, second) = await _full_car_park(db, clock, settings)
    wl = WaitlistUseCases(db, clock, settings)
    a = await wl.join(user_id=first, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=60)
    clock.advance(timedelta(seconds=1))
    await wl.join(user_id=second, premise_id=premise_id, starts_at=clock.now() + 3 * H, minutes=60)
    # The hold lapses (nobody is told yet: no sweep ran); then six freeings race.
    clock.advance(timedelta(minutes=10))

    async def notice() -> list[int]:
        async with db.transaction() as s:
            return await waitlist.capacity_freed(s, premise_id, None, None, clock.now())

    results = await asyncio.gather(*(notice() for _ in range(6)))
    swept = await wl.sweep()
    assert [wid for r in results for wid in r] == [a.id] and swept == 0
    assert [uid for uid, _ in await _offers(db)] == [first]


async def test_a_cancelled_paid_booking_and_a_reopened_spot_each_make_an_offer(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1, now=clock.now())
        owner, waiting = (await make_user(s)).id, (await make_user(s)).id
        admin = (await make_user(s, is_admin=True)).id
        spot_id = (await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id))).one()
    starts = clock.now() + 3 * H
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=owner,
            premise_id=premise.id,
            starts_at=starts,
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
        await wallet.credit(
            s, owner, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
        )
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=owner, now=clock.now())
    wl = WaitlistUseCases(db, clock, settings)
    wish = await wl.join(user_id=waiting, premise_id=premise.id, starts_at=starts, minutes=60)
    await BookingUseCases(db, clock, settings).cancel(user_id=owner, reservation_id=r.id)
    assert [uid for uid, _ in await _offers(db)] == [waiting]
    await wl.cancel(user_id=waiting, wish_id=wish.id)

    # The spot closed, a second wish waits; reopening it is capacity freed.
    spots = SpotUseCases(db, clock, settings)
    await spots.close_spot(admin, premise.id, spot_id, "painting", None)
    later = await wl.join(user_id=waiting, premise_id=premise.id, starts_at=starts + H, minutes=60)
    assert await _status(db, later.id) == WaitlistStatus.WAITING
    await spots.reopen_spot(admin, premise.id, spot_id)
    assert await _status(db, later.id) == WaitlistStatus.OFFERED
    assert [uid for uid, _ in await _offers(db)] == [waiting, waiting]
