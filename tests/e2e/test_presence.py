"""Billing follows the car, and no-show release, end to end: the running service (its own
scheduler sweeping every 0.2 s on the test's ManualClock), the real Mosquitto, and the device
simulator reporting a car driving onto and off the bay (issue 16 items 1, 3 and 6)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot import format as fmt
from core.models import Blocker, Reservation, ReservationStatus, Spot, User, WalletTransaction, WalletTxKind
from core.rules import start_now
from core.services import booking
from core.services import payments as pay_rules
from demo.botapi import BotMessage, FakeUser
from hardware.protocol import WireState
from hardware.simulator import Simulator
from tests.e2e.conftest import E2E, LAT, LON, start_stack, tap
from tests.services import MQTT_URL, tcp_open, unavailable

pytestmark = pytest.mark.mqtt
SPOT_BLOCKERS = ("CAR-A1", "CAR-A2")
TZ = "Europe/Kyiv"
SWEEPS = 0.8  # a few sweep runs at 0.2 s


@pytest.fixture
async def parking(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[tuple[E2E, Simulator]]:
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL} (set TEST_MQTT_URL)")
    prefix = f"e2e{uuid.uuid4().hex[:8]}"
    async for e2e in start_stack(
        tmp_path, sqlite_template, mqtt=(MQTT_URL, prefix), blocker_ids=SPOT_BLOCKERS, sweep_seconds=0.2
    ):
        async with Simulator(
            MQTT_URL,
            prefix,
            SPOT_BLOCKERS,
            move_time=0.02,
            car_arrival_delay=None,  # cars come and go when the test says
            clear_retained_on_stop=True,
            clock=e2e.clock,
        ) as sim:
            assert e2e.app.link is not None
            await asyncio.wait_for(e2e.app.link.wait_connected(), 5)
            await _bay(e2e, SPOT_BLOCKERS[0], lambda b: b.online and b.car_present is False)
            await _bay(e2e, SPOT_BLOCKERS[1], lambda b: b.online and b.car_present is False)
            yield e2e, sim


async def _bay(e2e: E2E, blocker_id: str, check: Callable[[Blocker], bool], within: float = 5.0) -> Blocker:
    """The blocker's row once `check` holds (the ingest writes within ~50 ms of a message)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with e2e.db.read() as s:
            row = await s.get(Blocker, blocker_id)
        assert row is not None
        if check(row):
            return row
        assert asyncio.get_running_loop().time() < deadline, (row.online, row.car_present, row.car_gone_since)
        await asyncio.sleep(0.05)


async def _paid(e2e: E2E, telegram_id: int) -> tuple[FakeUser, Reservation, str]:
    """A driver with a 2-hour booking from now (2.50 EUR an hour: 5.00 EUR), paid from the wallet;
    and its spot's blocker."""
    user = e2e.tg.user(telegram_id, "Driver")
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    await e2e.fund(telegram_id, 1000)
    now = e2e.clock.now()
    async with e2e.db.transaction() as s:
        user_id = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
        assert user_id is not None
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=e2e.premise_id,
            starts_at=start_now(now),
            minutes=120,
            now=now,
            hold_minutes=10,
        )
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=user_id, now=now)
        blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
    assert blocker_id is not None
    await user.wait_for_message(lambda m: "booking confirmed" in m.text)
    return user, r, blocker_id


async def _parked(e2e: E2E, user: FakeUser) -> None:
    """The driver taps "I've arrived" on the booking's screen; the blocker goes down."""
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    await tap(user, detail, "🚗", lambda m: "Park now!" in m.text)


async def _status(e2e: E2E, reservation_id: int) -> Reservation:
    async with e2e.db.read() as s:
        r = await s.get(Reservation, reservation_id)
    assert r is not None
    return r


async def _refunds(e2e: E2E, reservation: Reservation) -> list[int]:
    async with e2e.db.read() as s:
        return list(
            await s.scalars(
                select(WalletTransaction.amount).where(
                    WalletTransaction.user_id == reservation.user_id,
                    WalletTransaction.kind == WalletTxKind.REFUND,
                )
            )
        )


def _said(user: FakeUser, words: str) -> list[BotMessage]:
    return [m for m in user.messages if words in m.text]


def _hm(when: datetime) -> str:
    return fmt.clock_time(when, TZ)


async def test_a_car_that_leaves_ends_the_booking_refunds_the_unused_steps_once_and_the_blocker_rises(
    parking: tuple[E2E, Simulator],
) -> None:
    e2e, sim = parking
    user, r, blocker_id = await _paid(e2e, 7101)
    device = sim[blocker_id]
    await _parked(e2e, user)
    e2e.clock.advance(timedelta(minutes=1))
    await device.set_car(True)
    await _bay(e2e, blocker_id, lambda b: b.car_present is True)
    # 20 minutes in, the car drives off (the device stamps its report with its own clock).
    e2e.clock.set(r.starts_at + timedelta(minutes=20))
    left = e2e.clock.now()
    await device.set_car(False)
    await _bay(e2e, blocker_id, lambda b: b.car_gone_since == left)
    # The same report again (a QoS 1 redelivery), and a reconnect that reports the empty bay anew.
    e2e.clock.advance(timedelta(minutes=2))
    assert await device.repeat_state()
    await sim.go_offline(blocker_id)
    await _bay(e2e, blocker_id, lambda b: not b.online)
    await sim.go_online(blocker_id)
    await _bay(e2e, blocker_id, lambda b: b.online and b.state_ts == e2e.clock.now())
    assert (await _bay(e2e, blocker_id, lambda b: True)).car_gone_since == left  # not moved
    e2e.clock.set(left + timedelta(minutes=4, seconds=59))  # still within the grace
    await asyncio.sleep(SWEEPS)
    assert (await _status(e2e, r.id)).status == ReservationStatus.ACTIVE

    e2e.clock.set(left + timedelta(minutes=5))
    told = await user.wait_for_message(lambda m: "You left at" in m.text)
    # Used 20 minutes: 30 are charged (1.25 EUR), the other 90 minutes (3.75 EUR) come back.
    assert told.text == (
        f"🏁 You left at {_hm(left)}; 3.75 EUR for 90 unused minutes is back in your wallet. "
        f"Booking #{r.id} at Central Garage, spot {await _label(e2e, r)}, has ended.\n\n"
        "How was it? Rate the car park with the stars below."
    )
    assert [t for t, _ in told.buttons()] == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    done = await _status(e2e, r.id)
    assert done.status == ReservationStatus.COMPLETED and done.left_at == left
    # A stay that happened: its stars are taken (the review's words come after).
    await tap(user, told, "5 ⭐", lambda m: "Add a few words" in m.text)
    await _bay(e2e, blocker_id, lambda b: b.state.value == "raised")  # the bay is empty: it rises
    assert device.state is WireState.RAISED
    # More repeats after the end change nothing.
    assert await device.repeat_state()
    e2e.clock.advance(timedelta(minutes=10))
    await asyncio.sleep(SWEEPS)
    assert await _refunds(e2e, r) == [375]
    assert len(_said(user, "You left at")) == 1
    await user.send_command("/wallet")
    wallet = await user.wait_for_message(lambda m: "Balance" in m.text or "balance" in m.text)
    assert "8.75 EUR" in wallet.text  # 10.00 − 5.00 + 3.75


async def test_a_car_back_within_the_grace_changes_nothing(parking: tuple[E2E, Simulator]) -> None:
    e2e, sim = parking
    user, r, blocker_id = await _paid(e2e, 7102)
    device = sim[blocker_id]
    await _parked(e2e, user)
    e2e.clock.advance(timedelta(minutes=1))
    await device.set_car(True)
    await _bay(e2e, blocker_id, lambda b: b.car_present is True)
    e2e.clock.set(r.starts_at + timedelta(minutes=20))
    await device.set_car(False)
    await _bay(e2e, blocker_id, lambda b: b.car_gone_since is not None)
    e2e.clock.advance(timedelta(minutes=4))
    await device.set_car(True)  # only moved: back within the grace
    await _bay(e2e, blocker_id, lambda b: b.car_present is True and b.car_gone_since is None)
    e2e.clock.advance(timedelta(minutes=30))
    await asyncio.sleep(SWEEPS)
    assert (await _status(e2e, r.id)).status == ReservationStatus.ACTIVE
    assert await _refunds(e2e, r) == []
    assert _said(user, "You left at") == []
    assert device.state is WireState.LOWERED


async def _only_one_spot(e2e: E2E, keep_spot: int) -> None:
    """The car park's other spot is closed: the freed time can only be this spot's."""
    async with e2e.db.transaction() as s:
        await s.execute(
            update(Spot)
            .where(Spot.premise_id == e2e.premise_id, Spot.id != keep_spot)
            .values(is_active=False)
        )


async def test_a_no_show_is_asked_then_released_once_and_another_driver_books_the_time(
    parking: tuple[E2E, Simulator],
) -> None:
    e2e, _sim = parking
    user, r, _blocker_id = await _paid(e2e, 7103)
    await _only_one_spot(e2e, r.spot_id)
    e2e.clock.set(r.starts_at + timedelta(minutes=19))
    await asyncio.sleep(SWEEPS)
    assert _said(user, "Still coming?") == []
    e2e.clock.set(r.starts_at + timedelta(minutes=20))
    asked = await user.wait_for_message(lambda m: "Still coming?" in m.text)
    release_at = r.starts_at + timedelta(minutes=30)
    label = await _label(e2e, r)
    assert asked.text == (
        f"⏰ Still coming? Booking #{r.id} at Central Garage, spot {label}, started at "
        f"{_hm(r.starts_at)} and nobody has arrived yet. Unless you keep it, the spot is released "
        f"for other drivers at {_hm(release_at)}."
    )
    assert [text for text, _ in asked.buttons()] == ["✅ Yes, keep it", "🔓 Release the spot"]
    e2e.clock.set(release_at)
    released = await user.wait_for_message(lambda m: "Nobody arrived" in m.text)
    assert released.text == (
        f"🔓 Nobody arrived at spot {label} (Central Garage) by {_hm(release_at)}, so the rest of "
        f"booking #{r.id} was released for other drivers. The booking is not refunded."
    )
    e2e.clock.advance(timedelta(minutes=5))
    await asyncio.sleep(SWEEPS)
    done = await _status(e2e, r.id)
    assert done.status == ReservationStatus.COMPLETED and done.no_show and done.ends_at == release_at
    assert len(_said(user, "Still coming?")) == 1 and len(_said(user, "Nobody arrived")) == 1
    assert await _refunds(e2e, r) == []

    # Another driver finds the car park and holds the freed spot for the next hour.
    other = e2e.tg.user(7104, "Petro")
    await other.send_command("/start")
    menu = await other.wait_for_message(lambda m: "What would you like to do?" in m.text)
    await tap(other, menu, "🅿️ Find parking", lambda m: "Send your location" in m.text)
    await other.tap_reply_button("📍 Send my location", location=(LAT, LON))
    results = await other.wait_for_message(lambda m: "Parking near" in m.text)
    card = await tap(other, results, "Central Garage", lambda m: "per hour" in m.text)
    quote = await tap(other, card, "1 h", lambda m: "Total:" in m.text)
    await tap(other, quote, "✅ Hold the spot", lambda m: "is held for you" in m.text)
    async with e2e.db.read() as s:
        held = await s.scalar(
            select(Reservation).where(Reservation.status == ReservationStatus.PENDING_PAYMENT)
        )
    assert held is not None and held.spot_id == r.spot_id and held.starts_at < r.ends_at


async def test_keep_it_keeps_the_booking_with_no_second_question(parking: tuple[E2E, Simulator]) -> None:
    e2e, _sim = parking
    user, r, _blocker_id = await _paid(e2e, 7105)
    e2e.clock.set(r.starts_at + timedelta(minutes=20))
    asked = await user.wait_for_message(lambda m: "Still coming?" in m.text)
    kept = await tap(user, asked, "✅ Yes, keep it", lambda m: "Kept" in m.text)
    assert kept.text == (
        f"✅ Kept: spot {await _label(e2e, r)} at Central Garage stays yours until {_hm(r.ends_at)}."
    )
    assert kept.buttons() == []  # the question's buttons are gone
    e2e.clock.set(r.starts_at + timedelta(minutes=60))
    await asyncio.sleep(SWEEPS)
    assert (await _status(e2e, r.id)).status == ReservationStatus.CONFIRMED
    assert _said(user, "Nobody arrived") == [] and _said(user, "Still coming?") == []
    assert user.unanswered_callbacks() == []


async def _label(e2e: E2E, r: Reservation) -> str:
    async with e2e.db.read() as s:
        label = await s.scalar(select(Spot.label).where(Spot.id == r.spot_id))
    assert label is not None
    return label
