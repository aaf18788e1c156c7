"""A stopping service lets the sweep runs under way finish (up to a grace), then cancels the
rest with one WARNING. APScheduler's own shutdown cancelled them at once: a run cancelled in
its transaction had asyncpg close the connection under the cancel, and SQLAlchemy's pool
logged an ERROR with a traceback at an ordinary SIGTERM (seen in CI on the city load test)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import ManualClock
from core.db import Database
from core.models import Reservation, ReservationStatus, Spot, User
from jobs.dispatcher import OutboxDispatcher
from jobs.scheduler import SweepScheduler, build_scheduler
from tests.factories import make_premise


async def _ended_booking(db: Database, clock: ManualClock) -> int:
    now = clock.now()
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1, now=now - timedelta(days=1))
        spot_id = await s.scalar(select(Spot.id).where(Spot.premise_id == premise.id))
        assert spot_id is not None
        user = User(telegram_id=81_001, name="D", language="en")
        s.add(user)
        await s.flush()
        booking = Reservation(
            user_id=user.id,
            spot_id=spot_id,
            price=300,
            currency="EUR",
            starts_at=now - timedelta(hours=2),
            ends_at=now - timedelta(minutes=1),
            status=ReservationStatus.ACTIVE,
        )
        s.add(booking)
        await s.flush()
        return booking.id


def _scheduler(db: Database, clock: ManualClock) -> SweepScheduler:
    return build_scheduler(
        db=db,
        clock=clock,
        payments=None,
        dispatcher=OutboxDispatcher(db, {}, clock),
        reminder_minutes=30,
        sweep_seconds=60,  # one run each, at start
        arrival=None,
    )


@contextlib.asynccontextmanager
async def _sweeping_behind_a_lock(db: Database, scheduler: SweepScheduler) -> AsyncIterator[AsyncConnection]:
    """The scheduler started while the test holds `reservations` locked: yields once a sweep's
    statement waits on it; the lock goes when the caller rolls back (or at the end)."""
    async with db.engine.connect() as locker:
        await locker.execute(text("LOCK TABLE reservations IN ACCESS EXCLUSIVE MODE"))
        scheduler.start()
        await _waiting_on_lock(db)
        yield locker


async def _waiting_on_lock(db: Database) -> None:
    """Until a sweep's statement waits on the table lock the test holds."""
    for _ in range(200):
        async with db.read() as s:
            waiting = await s.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no sweep ever waited on the locked table")


async def _status(db: Database, booking_id: int) -> str:
    async with db.read() as s:
        status = await s.scalar(select(Reservation.status).where(Reservation.id == booking_id))
    return str(status)


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_a_sweep_under_way_at_stop_finishes_and_nothing_is_logged_as_an_error(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    booking_id = await _ended_booking(db, clock)
    scheduler = _scheduler(db, clock)
    caplog.set_level(logging.INFO)
    async with _sweeping_behind_a_lock(db, scheduler) as locker:
        stopping = asyncio.create_task(scheduler.stop(grace=10))
        await asyncio.sleep(0.5)
        assert not stopping.done()  # it waits for the run, it does not cancel it
        await locker.rollback()  # the lock goes: the sweep goes on and commits
    await asyncio.wait_for(stopping, 10)
    assert not scheduler.running
    assert await _status(db, booking_id) == str(ReservationStatus.COMPLETED)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any(r.getMessage() == "completed 1 ended booking" for r in caplog.records)


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_a_sweep_still_busy_after_the_grace_is_cancelled_with_one_warning(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    booking_id = await _ended_booking(db, clock)
    scheduler = _scheduler(db, clock)
    caplog.set_level(logging.INFO)
    async with _sweeping_behind_a_lock(db, scheduler) as locker:
        await asyncio.wait_for(scheduler.stop(grace=0.5), 5)
        await asyncio.sleep(0.2)  # the cancelled runs unwind
        await locker.rollback()
    assert not scheduler.running
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "still busy after 0.5 s; cancelling them" in warnings[0], warnings
    # The cancelled run rolled back; the booking waits for the next start's first run.
    assert await _status(db, booking_id) == str(ReservationStatus.ACTIVE)
