"""Arriving at the spot with the real broker and the device simulator: repeated taps send the
blocker one command, and a device that answers after the timeout still gets its outcome to the
driver (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from bot.arrival import outcome_text
from bot.notifications import render
from core.blockers import CommandStatus
from core.clock import ManualClock
from core.db import Database
from core.models import Blocker, Notification, Reservation, ReservationStatus, Spot
from core.services import booking
from core.usecases.arrival import ArrivalUseCases, LowerRefused
from tests.factories import make_user
from tests.hardware.support import eventually, register, row_matches, running_link, simulator

PARK_NOW = "✅ The blocker is down. Park now!"


async def _paid_booking_on(db: Database, blocker_id: str, clock: ManualClock) -> tuple[int, int]:
    """A paid booking starting now on the blocker's spot: (user id, reservation id)."""
    async with db.transaction() as s:
        spot_id = (await s.get_one(Blocker, blocker_id)).spot_id
        assert spot_id is not None
        premise_id = (await s.get_one(Spot, spot_id)).premise_id
        user = await make_user(s, telegram_id=7001, name="Driver")
        r = await booking.hold(
            s,
            user_id=user.id,
            premise_id=premise_id,
            starts_at=clock.now(),
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, r.id, clock.now())
        return user.id, r.id


async def _status(db: Database, reservation_id: int) -> ReservationStatus:
    async with db.read() as s:
        return (await s.get_one(Reservation, reservation_id)).status


async def test_two_taps_at_once_send_one_command_and_one_park_now(
    db: Database, mqtt_url: str, prefix: str
) -> None:
    clock = ManualClock(datetime.now(UTC))
    await register(db, "B1", with_spots=True)
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3, clock=clock) as link,
        simulator(mqtt_url, prefix, "B1", move_time=0.2) as sim,
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        user_id, reservation_id = await _paid_booking_on(db, "B1", clock)
        arrival = ArrivalUseCases(db, link, clock, early_minutes=15, ack_timeout=3)
        clock.set(datetime.now(UTC))  # the device judges the command's expiry by the real clock
        first, second = await asyncio.gather(
            arrival.lower(reservation_id, user_id), arrival.lower(reservation_id, user_id)
        )
        texts = sorted(outcome_text("en", a, "UTC") for a in (first, second))
        assert texts[0] == "⏳ The blocker is already being lowered. One moment…"
        assert texts[1].startswith(PARK_NOW + " Spot A1, your booking runs until ")
        assert len(sim["B1"].executed) == 1 and sim["B1"].moves == 1
        assert await _status(db, reservation_id) == ReservationStatus.ACTIVE
        # A tap once parked: nothing is sent, the driver is told it is down already.
        again = await arrival.lower(reservation_id, user_id)
        assert again.refused is LowerRefused.ALREADY_DOWN
        assert outcome_text("en", again, "UTC") == "✅ The blocker is already down: the spot is yours."
        assert sim["B1"].commands_received == 1


async def test_a_late_ack_is_shown_and_starts_the_stay(db: Database, mqtt_url: str, prefix: str) -> None:
    """The blocker lowers but acks after ACK_TIMEOUT_SECONDS: the driver was told "did not
    answer"; the late success reaches them and the booking becomes active."""
    clock = ManualClock(datetime.now(UTC))
    await register(db, "B1", with_spots=True)
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=1.0, clock=clock) as link,
        simulator(mqtt_url, prefix, "B1", ack_delay=2.0) as sim,
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        user_id, reservation_id = await _paid_booking_on(db, "B1", clock)
        arrival = ArrivalUseCases(db, link, clock, early_minutes=15, ack_timeout=1.0)
        link.late_ack_listeners.append(arrival.late_answer)
        clock.set(datetime.now(UTC))  # the device judges the command's expiry by the real clock
        first = await arrival.lower(reservation_id, user_id)
        assert first.result is not None and first.result.status is CommandStatus.TIMEOUT
        assert outcome_text("en", first, "UTC").startswith("⚠️ The blocker did not answer in time.")
        assert await _status(db, reservation_id) == ReservationStatus.CONFIRMED

        async def told() -> bool:
            async with db.read() as s:
                return (
                    await s.scalar(select(Notification.id).where(Notification.kind == "lower_late"))
                    is not None
                )

        await eventually(told, within=5, what="late outcome queued")
        assert sim["B1"].moves == 1
        assert await _status(db, reservation_id) == ReservationStatus.ACTIVE
        async with db.read() as s:
            note = await s.scalar(select(Notification).where(Notification.kind == "lower_late"))
            assert note is not None
            shown = await render(s, note, "en")
        assert shown.text.startswith("✅ Update: the blocker went down after all. Park now! Spot ")
        assert [
            b.text for row in (shown.keyboard.inline_keyboard if shown.keyboard else []) for b in row
        ] == [
            "➕ Extend",
            "🏁 End parking now",
        ]
