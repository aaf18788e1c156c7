"""ArrivalUseCases.on_ack_conflict (what the link reports when a command got two different
acks) on both databases, including a contradiction that arrives before `lower()` has written
the arrival."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from core.blockers import AckConflict, CommandStatus
from core.clock import ManualClock
from core.db import Database
from core.models import Notification, Reservation, ReservationStatus
from core.services import booking
from core.usecases.arrival import ArrivalUseCases
from tests.factories import make_premise, make_user
from tests.fakes.blockers import FakeBlockers


async def _confirmed_booking(db: Database, clock: ManualClock) -> tuple[int, int]:
    async with db.transaction() as s:
        await make_user(s, telegram_id=900, name="Admin", is_admin=True)
        driver = await make_user(s, telegram_id=901)
        premise = await make_premise(s, spots=1)
        r = await booking.hold(
            s,
            user_id=driver.id,
            premise_id=premise.id,
            starts_at=clock.now() + timedelta(minutes=5),
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, r.id, clock.now())
        return r.id, driver.id


def _conflict(reservation_id: int) -> AckConflict:
    return AckConflict(
        blocker_id="B1",
        command_id="6f9a3c1e-0000-4000-8000-000000000001",
        action="lower",
        reservation_id=reservation_id,
        first=CommandStatus.OK,
        second=CommandStatus.JAMMED,
    )


async def _kinds(db: Database) -> list[str]:
    async with db.read() as s:
        return sorted(await s.scalars(select(Notification.kind)))


async def test_a_believed_lowering_is_undone_and_told_once(db: Database, clock: ManualClock) -> None:
    reservation_id, driver_id = await _confirmed_booking(db, clock)
    async with db.transaction() as s:
        await booking.mark_arrived(s, reservation_id, user_id=driver_id, now=clock.now())
    blockers = FakeBlockers()
    arrival = ArrivalUseCases(db, blockers, clock, early_minutes=15)
    before = await _kinds(db)
    for _ in range(2):  # the link reports once; a repeat must not tell anybody twice
        await arrival.on_ack_conflict(_conflict(reservation_id), settle=0.5)
    async with db.read() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None and r.status == ReservationStatus.CONFIRMED and r.arrived_at is None
    added = list(await _kinds(db))
    for kind in before:
        added.remove(kind)
    assert sorted(added) == ["admin_blocker_ack_conflict", "lower_failed_after_all"]
    assert blockers.sent == []  # the conflict handling never sends commands


async def test_a_contradiction_before_the_arrival_is_written_still_undoes_it(
    db: Database, clock: ManualClock
) -> None:
    reservation_id, driver_id = await _confirmed_booking(db, clock)
    blockers = FakeBlockers()
    arrival = ArrivalUseCases(db, blockers, clock, early_minutes=15)

    async def lower_writes_late() -> None:
        await asyncio.sleep(0.3)
        async with db.transaction() as s:
            await booking.mark_arrived(s, reservation_id, user_id=driver_id, now=clock.now())

    await asyncio.gather(arrival.on_ack_conflict(_conflict(reservation_id), settle=2.0), lower_writes_late())
    async with db.read() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None and r.status == ReservationStatus.CONFIRMED and r.arrived_at is None
    assert blockers.sent == []
