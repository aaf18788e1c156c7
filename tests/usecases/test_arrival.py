"""Arrival use cases with the in-process fake blocker port: the lowering window decides, the
device is asked only inside it, and only its success starts the stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import Blocker, BlockerState, Notification, ReservationStatus
from core.services import booking
from core.usecases.arrival import ArrivalUseCases, LowerRefused
from core.usecases.booking import BookingUseCases
from tests.fakes.blockers import FakeBlockers
from tests.usecases.support import BLOCKER, blocker_state, paid_from_wallet, place, reservation


def _arrival(db: Database, clock: ManualClock, blockers: FakeBlockers) -> ArrivalUseCases:
    return ArrivalUseCases(db, blockers, clock, early_minutes=15, ack_timeout=1)


async def test_lowering_before_the_window_is_refused_and_sends_nothing(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    starts = clock.now() + timedelta(hours=1)
    rid = await paid_from_wallet(db, clock, p, starts, 60)
    blockers = FakeBlockers()
    arrival = await _arrival(db, clock, blockers).lower(rid, p.user_id)
    assert arrival.refused is LowerRefused.TOO_EARLY and arrival.opens_at == starts - timedelta(minutes=15)
    assert arrival.timezone == "Europe/Kyiv" and arrival.retryable
    assert blockers.sent == []
    assert (await reservation(db, rid)).status == ReservationStatus.CONFIRMED


async def test_an_unpaid_hold_and_an_ended_booking_are_refused(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    p = await place(db, clock)
    bookings = BookingUseCases(db, clock, settings)
    held = await bookings.hold(user_id=p.user_id, premise_id=p.premise_id, starts_at=clock.now(), minutes=60)
    blockers = FakeBlockers()
    uc = _arrival(db, clock, blockers)
    assert (await uc.lower(held.reservation_id, p.user_id)).refused is LowerRefused.WRONG_STATE
    await bookings.release_hold(user_id=p.user_id, reservation_id=held.reservation_id)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(hours=2), 60)
    clock.advance(timedelta(hours=3))
    refused = await uc.lower(rid, p.user_id)
    assert refused.refused is LowerRefused.ENDED and not refused.retryable
    assert blockers.sent == []


async def test_lowering_inside_the_window_commands_the_blocker_and_starts_the_stay(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(minutes=10), 60)
    blockers = FakeBlockers()
    progress: list[str] = []

    async def started() -> None:
        progress.append("lowering…")

    arrival = await _arrival(db, clock, blockers).lower(rid, p.user_id, started=started)
    assert arrival.ok and not arrival.retryable
    assert progress == ["lowering…"]
    assert blockers.sent == [(BLOCKER, "lower", rid)]
    r = await reservation(db, rid)
    assert r.status == ReservationStatus.ACTIVE and r.arrived_at == clock.now()
    assert await blocker_state(db) == BlockerState.LOWERED
    # A tap once parked sends nothing more.
    again = await _arrival(db, clock, blockers).lower(rid, p.user_id)
    assert again.refused is LowerRefused.ALREADY_DOWN and again.repeated
    assert len(blockers.sent) == 1


async def test_a_failed_command_leaves_the_booking_confirmed_and_tells_the_admins(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    blockers = FakeBlockers(CommandStatus.JAMMED)
    uc = _arrival(db, clock, blockers)
    arrival = await uc.lower(rid, p.user_id)
    assert arrival.result is not None and arrival.result.status is CommandStatus.JAMMED
    assert not arrival.ok and arrival.retryable
    r = await reservation(db, rid)
    assert r.status == ReservationStatus.CONFIRMED and r.arrived_at is None
    assert await blocker_state(db) == BlockerState.RAISED
    async with db.read() as s:
        kinds = list(await s.scalars(select(Notification.kind).where(Notification.kind.like("admin_%"))))
    # The admins' alert is the incident's, with its buttons (core/services/incidents.py).
    assert kinds == ["admin_incident"]
    # The claim ended with the answer: trying again sends a second command, which works.
    assert (await uc.lower(rid, p.user_id)).ok
    assert len(blockers.sent) == 2
    assert (await reservation(db, rid)).status == ReservationStatus.ACTIVE


async def _raise_claim(db: Database) -> object:
    async with db.read() as s:
        return await s.scalar(select(Blocker.raise_claim_until).where(Blocker.id == BLOCKER))


async def test_a_sweeps_raise_claim_never_refuses_the_drivers_lowering(
    db: Database, clock: ManualClock
) -> None:
    """A sweep's claim on the blocker (another process about to raise it) holds back only other
    sweeps: the driver's tap lowers as ever (that sweep's check right before its raise sees them)."""
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    blockers = FakeBlockers()
    uc = _arrival(db, clock, blockers)
    async with db.transaction() as s:
        await s.execute(update(Blocker).values(raise_claim_until=clock.now() + uc.claim_for))
    assert (await uc.lower(rid, p.user_id)).ok
    assert blockers.sent == [(BLOCKER, "lower", rid)]
    # The claimed blocker is left alone by the sweeps until the claim lapses.
    clock.advance(timedelta(hours=1, minutes=1))
    async with db.transaction() as s:
        await booking.complete_due(s, clock.now())
    assert await uc.close_finished() == 1
    assert blockers.sent[-1] == (BLOCKER, "raise", rid)


async def test_a_raise_not_sent_gives_its_claim_back(db: Database, clock: ManualClock) -> None:
    """Ended with a car still on the bay: the overstay is reported, nothing is sent, and the
    claim is given back at once, so the next run raises as soon as the car has gone."""
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    blockers = FakeBlockers()
    uc = _arrival(db, clock, blockers)
    assert (await uc.lower(rid, p.user_id)).ok
    async with db.transaction() as s:
        await s.execute(update(Blocker).values(car_present=True))
    clock.advance(timedelta(hours=1, minutes=1))
    async with db.transaction() as s:
        await booking.complete_due(s, clock.now())
    assert await uc.close_finished() == 0
    assert len(blockers.sent) == 1 and await _raise_claim(db) is None
    async with db.read() as s:
        assert (
            await s.scalar(select(Notification.kind).where(Notification.kind == "admin_overstay")) is not None
        )
    async with db.transaction() as s:
        await s.execute(update(Blocker).values(car_present=False))
    assert await uc.close_finished() == 1
    assert blockers.sent[-1] == (BLOCKER, "raise", rid)
    assert await _raise_claim(db) == clock.now() + uc.claim_for  # held until it lapses


async def test_a_failed_raise_gives_its_claim_back(db: Database, clock: ManualClock) -> None:
    """The raising arm met the car (obstacle): the overstay is reported and the claim given
    back, so the next run (of any process) tries again."""
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    blockers = FakeBlockers(CommandStatus.OK, CommandStatus.OBSTACLE)
    uc = _arrival(db, clock, blockers)
    assert (await uc.lower(rid, p.user_id)).ok
    clock.advance(timedelta(hours=1, minutes=1))
    async with db.transaction() as s:
        await booking.complete_due(s, clock.now())
    assert await uc.close_finished() == 0
    assert blockers.sent[-1] == (BLOCKER, "raise", rid) and await _raise_claim(db) is None
    assert await uc.close_finished() == 1
    assert blockers.sent.count((BLOCKER, "raise", rid)) == 2
