"""Arrival use cases with the in-process fake blocker port: the lowering window decides, the
device is asked only inside it, and only its success starts the stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import BlockerState, Notification, ReservationStatus
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
