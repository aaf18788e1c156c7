"""Getting into the spot: the real service's MQTT link and the device simulator on the local
Mosquitto, driven from the chat."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import select

from bot.callbacks import BookingAction
from core.models import Blocker, BlockerState, Notification, Reservation, ReservationStatus, User
from core.services import booking
from core.services.availability import quote
from demo.botapi import FakeUser
from hardware import protocol
from hardware.broker import BrokerAddress
from hardware.protocol import Kind, WireState
from hardware.simulator import Simulator
from tests.e2e.conftest import E2E, LAT, LON, start_stack, tap
from tests.factories import make_user
from tests.services import MQTT_URL, tcp_open, unavailable
from tests.waiting import eventually

pytestmark = pytest.mark.mqtt
SPOT_BLOCKERS = ("BLK-A1", "BLK-A2")


@pytest.fixture
async def parking(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[tuple[E2E, Simulator]]:
    """The service as `main.py run` starts it (its scheduler sweeps every 0.2 s here) and one
    simulated device per spot, on the service's ManualClock (commands carry expiry times)."""
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
            car_arrival_delay=None,
            clear_retained_on_stop=True,
            clock=e2e.clock,
        ) as sim:
            assert e2e.app.link is not None
            await asyncio.wait_for(e2e.app.link.wait_connected(), 5)
            await _until(e2e, lambda b: all(x.online for x in b))
            yield e2e, sim


@asynccontextmanager
async def _commands_heard(prefix: str) -> AsyncIterator[list[tuple[str, str]]]:
    """Every command the devices receive, as (blocker id, action), in order: what a device on
    the broker sees, whoever sent it."""
    heard: list[tuple[str, str]] = []
    address = BrokerAddress.from_url(MQTT_URL)
    async with aiomqtt.Client(**address.client_kwargs()) as client:
        await client.subscribe(protocol.wildcard(prefix, Kind.COMMAND), qos=1)

        async def listen() -> None:
            async for message in client.messages:
                blocker_id, _ = protocol.parse_topic(prefix, str(message.topic))
                command = protocol.Command.from_json(bytes(message.payload))
                heard.append((blocker_id, command.action.value))

        task = asyncio.create_task(listen())
        try:
            yield heard
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _heard(heard: list[tuple[str, str]], expected: list[tuple[str, str]], within: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while heard != expected:
        assert asyncio.get_running_loop().time() < deadline and len(heard) <= len(expected), heard
        await asyncio.sleep(0.05)


async def test_the_running_service_raises_after_payment_lowers_on_arrival_raises_after_the_end(
    parking: tuple[E2E, Simulator],
) -> None:
    """Seed step 5, end to end: the blocker of a spot paid from the wallet for now is raised by
    the service's own scheduler, lowered when the driver taps "I've arrived", raised again once
    the booking has ended; nothing here calls a sweep."""
    e2e, sim = parking
    assert e2e.app.link is not None
    prefix = e2e.app.settings.mqtt_topic_prefix
    # The devices start lowered (as the last driver left them).
    for device in SPOT_BLOCKERS:
        assert (await e2e.app.link.command(device, "lower")).ok
    await _until(e2e, lambda b: all(x.state == BlockerState.LOWERED for x in b))
    async with _commands_heard(prefix) as heard:
        user = e2e.tg.user(6010, "Marta")
        await user.send_command("/start")
        menu = await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
        await e2e.fund(6010, 1000)
        await tap(user, menu, "🅿️ Find parking", lambda m: "Send your location" in m.text)
        await user.tap_reply_button("📍 Send my location", location=(LAT, LON))
        results = await user.wait_for_message(lambda m: "Parking near" in m.text)
        card = await tap(user, results, "Central Garage", lambda m: "per hour" in m.text)
        quote = await tap(user, card, "1 h", lambda m: "Total:" in m.text)
        hold = await tap(user, quote, "✅ Hold the spot", lambda m: "is held for you" in m.text)
        await tap(user, hold, "👛 Wallet", lambda m: "Payment received" in m.text)
        async with e2e.db.read() as s:
            r = await s.scalar(select(Reservation).where(Reservation.status == ReservationStatus.CONFIRMED))
            assert r is not None
            blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
        assert blocker_id is not None
        await _heard(heard, [(blocker_id, "raise")])
        await _until(e2e, lambda b: next(x for x in b if x.id == blocker_id).state == BlockerState.RAISED)

        await user.send_command("/bookings")
        listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
        detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
        await tap(user, detail, "🚗", lambda m: "Park now!" in m.text)
        await _heard(heard, [(blocker_id, "raise"), (blocker_id, "lower")])
        assert sim[blocker_id].state is WireState.LOWERED

        e2e.clock.set(r.ends_at + timedelta(seconds=1))  # the hour is over; the car has gone
        await _heard(heard, [(blocker_id, "raise"), (blocker_id, "lower"), (blocker_id, "raise")])
        await _until(e2e, lambda b: next(x for x in b if x.id == blocker_id).state == BlockerState.RAISED)
        async with e2e.db.read() as s:
            done = await s.get(Reservation, r.id)
        assert done is not None and done.status == ReservationStatus.COMPLETED
        assert sim[blocker_id].state is WireState.RAISED


async def _until(e2e: E2E, check: object, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with e2e.db.read() as s:
            rows = list(await s.scalars(select(Blocker).order_by(Blocker.id)))
        if callable(check) and check(rows):
            return
        assert asyncio.get_running_loop().time() < deadline, [(b.id, b.online, b.state) for b in rows]
        await asyncio.sleep(0.05)


async def _booked(e2e: E2E, telegram_id: int, start_in: timedelta) -> tuple[FakeUser, Reservation]:
    user = e2e.tg.user(telegram_id, "Driver")
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    async with e2e.db.transaction() as s:
        user_id = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
        assert user_id is not None
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=e2e.premise_id,
            starts_at=e2e.clock.now() + start_in,
            minutes=60,
            now=e2e.clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, r.id, e2e.clock.now())
    return user, r


async def test_arrived_driver_lowers_the_blocker_and_parks(parking: tuple[E2E, Simulator]) -> None:
    e2e, sim = parking
    user, r = await _booked(e2e, 6001, timedelta(minutes=5))  # within the early-arrival window
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    assert any(text == "🚗 I've arrived — lower the blocker" for text, _ in detail.buttons())
    await user.tap(detail, next(d for text, d in detail.buttons() if text.startswith("🚗") and d))
    await user.wait_for_message(lambda m: "Lowering the blocker" in m.text)
    done = await user.wait_for_message(lambda m: "Park now!" in m.text)
    assert "🚗 parked" in done.text
    async with e2e.db.read() as s:
        active = await s.get(Reservation, r.id)
        assert (
            active is not None and active.status == ReservationStatus.ACTIVE and active.arrived_at is not None
        )
    await _until(e2e, lambda b: next(x for x in b if x.spot_id == r.spot_id).state == BlockerState.LOWERED)
    assert sum(len(sim[b].executed) for b in SPOT_BLOCKERS) == 1  # moved once


async def test_ending_under_park_now_clears_its_buttons(parking: tuple[E2E, Simulator]) -> None:
    """ "End parking now" under "Park now!" asks in a new message, which takes over: "Park
    now!" keeps no Extend / End buttons (a "No, keep parking" leads to the booking's screen,
    which offers both), and after the end nothing offers to extend a booking that is over."""
    e2e, _sim = parking
    user, r = await _booked(e2e, 6004, timedelta(minutes=5))
    menu = user.last_message
    # The confirmation's "I've arrived" button (the booking was confirmed without its message).
    await user.tap_raw(menu.message_id, BookingAction(action="lower", reservation_id=r.id).pack())
    parked = await user.wait_for_message(lambda m: "Park now!" in m.text and bool(m.buttons()))

    def park_now_buttons() -> list[str]:  # that message as the chat shows it now
        return [
            text for text, _ in next(m for m in user.messages if m.message_id == parked.message_id).buttons()
        ]

    assert park_now_buttons() == ["➕ Extend", "🏁 End parking now"]
    e2e.clock.set(r.starts_at + timedelta(minutes=5))  # started: it can be ended
    await user.tap_label(parked, "🏁 End parking now")
    question = await user.wait_for_message(lambda m: m.text.startswith(f"End booking #{r.id} now?"))
    await eventually(lambda: not park_now_buttons(), what="the Park now! buttons cleared")
    await user.tap_label(question, "Yes, end now")
    # The question turns into the ended booking's screen (it failed to price a stay ended on
    # a second before stays were cut to whole minutes).
    await eventually(lambda: "✔️ completed" in user.last_message.text, what="the ended booking's screen")
    async with e2e.db.read() as s:
        ended = await s.get(Reservation, r.id)
    assert ended is not None and ended.status == ReservationStatus.COMPLETED


async def test_only_the_owner_and_only_in_the_window_can_lower(parking: tuple[E2E, Simulator]) -> None:
    e2e, sim = parking
    owner, r = await _booked(e2e, 6002, timedelta(hours=3))  # too early
    stranger = e2e.tg.user(6003, "Mallory")
    await stranger.send_command("/start")
    menu = await stranger.wait_for_message(lambda m: bool(m.buttons()))
    await stranger.tap_raw(menu.message_id, BookingAction(action="lower", reservation_id=r.id).pack())
    await owner.send_command("/bookings")
    listing = await owner.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(owner, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    assert not any(text.startswith("🚗") for text, _ in detail.buttons())  # not shown outside the window
    await owner.tap_raw(detail.message_id, BookingAction(action="lower", reservation_id=r.id).pack())
    too_early = await owner.wait_for_message(lambda m: "a bit early" in m.text)
    assert "🔄 Try again" in [text for text, _ in too_early.buttons()]
    await eventually(lambda: len(stranger.callback_answers) == 1, what="the stranger's answer")
    assert [a.text for a in stranger.callback_answers if a.text] == ["There is no such booking among yours."]
    assert all(sim[b].commands_received == 0 for b in SPOT_BLOCKERS)


async def test_an_obstacle_is_explained_with_a_retry_and_admins_are_alerted(
    parking: tuple[E2E, Simulator],
) -> None:
    e2e, sim = parking
    admin = e2e.tg.user(6099, "Admin")
    await admin.send_command("/start")
    await admin.wait_for_message(lambda m: "What would you like to do?" in m.text)
    async with e2e.db.transaction() as s:
        row = await s.scalar(select(User).where(User.telegram_id == 6099))
        assert row is not None
        row.is_admin = True
    user, r = await _booked(e2e, 6004, timedelta(minutes=1))
    async with e2e.db.read() as s:
        blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
    assert blocker_id is not None
    sim[blocker_id].set_obstacle(True)
    await user.tap_raw(1, BookingAction(action="lower", reservation_id=r.id).pack())
    failed = await user.wait_for_message(lambda m: "in the way of the blocker" in m.text)
    # A blocked bay: another spot or a refund, or try again once the way is clear.
    assert [text for text, _ in failed.buttons()][1:] == ["↩️ Refund me", "🔄 Try again"]
    async with e2e.db.read() as s:
        kinds = list(await s.scalars(select(Notification.kind).where(Notification.kind.like("admin_%"))))
        still = await s.get(Reservation, r.id)
    assert (
        # The alert is the incident's, naming the booking, with its buttons.
        kinds == ["admin_incident"] and still is not None and still.status == ReservationStatus.CONFIRMED
    )
    sim[blocker_id].set_obstacle(False)
    await user.tap(failed, failed.buttons()[2][1] or "")
    parked = await user.wait_for_message(lambda m: "Park now!" in m.text)
    # Where and until when (the car park's time), and what a parked driver may do next.
    assert (
        f"Park now! Spot {await _spot_label(e2e, r)}, your booking runs until {await _local_end(e2e, r)}."
        in (parked.text)
    )
    assert [text for text, _ in parked.buttons()] == ["➕ Extend", "🏁 End parking now"]
    await user.tap(parked, parked.buttons()[0][1] or "")
    offer = await user.wait_for_message(lambda m: "Extend with one tap" in m.text)
    assert next(text for text, _ in offer.buttons()).startswith("➕ 30 min · ")
    e2e.clock.set(r.starts_at + timedelta(minutes=5))  # parked and started: it can be ended now
    await user.tap(parked, parked.buttons()[1][1] or "")
    await user.wait_for_message(lambda m: m.text.startswith(f"End booking #{r.id} now?"))


async def _spot_label(e2e: E2E, r: Reservation) -> str:
    from core.models import Spot

    async with e2e.db.read() as s:
        spot = await s.get(Spot, r.spot_id)
    assert spot is not None
    return spot.label


async def _local_end(e2e: E2E, r: Reservation) -> str:
    from zoneinfo import ZoneInfo

    from core.models import Premise, Spot

    async with e2e.db.read() as s:
        spot = await s.get(Spot, r.spot_id)
        assert spot is not None
        premise = await s.get(Premise, spot.premise_id)
        assert premise is not None
    return r.ends_at.astimezone(ZoneInfo(premise.timezone)).strftime("%H:%M")


async def test_an_offline_blocker_takes_its_spot_off_sale_until_it_is_back(
    parking: tuple[E2E, Simulator],
) -> None:
    e2e, sim = parking
    start = e2e.clock.now() + timedelta(hours=1)

    async def free() -> int:
        async with e2e.db.read() as s:
            return (await quote(s, e2e.premise_id, start, 60, e2e.clock.now())).free_spots

    assert await free() == 2
    await sim.go_offline(SPOT_BLOCKERS[1])
    await _until(e2e, lambda b: not next(x for x in b if x.id == SPOT_BLOCKERS[1]).online, within=10)
    assert await free() == 1
    await sim.go_online(SPOT_BLOCKERS[1])
    await _until(e2e, lambda b: next(x for x in b if x.id == SPOT_BLOCKERS[1]).online)
    assert await free() == 2


async def test_paid_spots_are_guarded_and_finished_ones_closed_with_overstays_reported(
    parking: tuple[E2E, Simulator],
) -> None:
    e2e, sim = parking
    arrival, link = e2e.app.arrival, e2e.app.link
    assert arrival is not None and link is not None
    async with e2e.db.transaction() as s:
        await make_user(s, telegram_id=6098, name="Admin", is_admin=True)
    _, r = await _booked(e2e, 6005, timedelta(minutes=1))
    async with e2e.db.read() as s:
        blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
    assert blocker_id is not None
    async with _commands_heard(link.prefix) as heard:
        # Someone lowered the blocker by hand before the driver came: the sweep raises it again.
        assert (await link.command(blocker_id, "lower")).ok
        await _heard(heard, [(blocker_id, "lower"), (blocker_id, "raise")])
    await _until(e2e, lambda b: next(x for x in b if x.id == blocker_id).state == BlockerState.RAISED)
    # The driver parks, the time ends, the car is still there: an overstay, reported once.
    assert (await arrival.lower(r.id, (await _user_id(e2e, 6005)))).ok
    await _until(e2e, lambda b: next(x for x in b if x.id == blocker_id).state == BlockerState.LOWERED)
    sim[blocker_id].set_obstacle(True)  # the car is in the way of the raising arm
    async with _commands_heard(link.prefix) as heard:
        e2e.clock.set(r.ends_at)
        deadline = asyncio.get_running_loop().time() + 10
        while heard.count((blocker_id, "raise")) < 3:  # three sweeps met the car
            assert asyncio.get_running_loop().time() < deadline, heard
            await asyncio.sleep(0.05)
    async with e2e.db.read() as s:
        overstays = list(
            await s.scalars(select(Notification.id).where(Notification.kind == "admin_overstay"))
        )
    assert len(overstays) == 1  # one admin, told once although every sweep met the car
    sim[blocker_id].set_obstacle(False)  # the car has left
    await _until(e2e, lambda b: next(x for x in b if x.id == blocker_id).state == BlockerState.RAISED)


async def _user_id(e2e: E2E, telegram_id: int) -> int:
    async with e2e.db.read() as s:
        found = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
    assert found is not None
    return found


async def test_a_double_tap_on_arrival_lowers_once(parking: tuple[E2E, Simulator]) -> None:
    """Two quick taps on "I've arrived": one command to the device, one "Park now!"; the second
    tap is answered that the blocker is already down."""
    e2e, sim = parking
    e2e.clock.set(datetime.now(UTC))  # the device judges the command's expiry by the real clock
    user, r = await _booked(e2e, 6010, timedelta(minutes=5))
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    lower = next(d for text, d in detail.buttons() if text.startswith("🚗") and d)
    await user.tap_raw(detail.message_id, lower)
    await user.tap_raw(detail.message_id, lower)
    await user.wait_for_message(lambda m: "Park now!" in m.text)
    with pytest.raises(AssertionError, match="no matching bot message"):
        await user.wait_for_message(lambda m: "Park now!" in m.text or "Lowering" in m.text, timeout=1.5)
    assert sum(sim[b].commands_received for b in SPOT_BLOCKERS) == 1
    assert "✅ The blocker is already down: the spot is yours." in [a.text for a in user.callback_answers]
    assert user.unanswered_callbacks() == []
    async with e2e.db.read() as s:
        active = await s.get(Reservation, r.id)
    assert active is not None and active.status == ReservationStatus.ACTIVE


async def test_a_blocker_that_answers_late_is_shown_when_it_does(parking: tuple[E2E, Simulator]) -> None:
    """The device lowers but acks after ACK_TIMEOUT_SECONDS (3 s here): the driver first reads
    that it did not answer, then that it went down after all; the booking becomes active."""
    e2e, sim = parking
    e2e.clock.set(datetime.now(UTC))  # the device judges the command's expiry by the real clock
    user, r = await _booked(e2e, 6011, timedelta(minutes=1))
    async with e2e.db.read() as s:
        blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
    assert blocker_id is not None
    # The running service guards the paid spot first (raise); then the driver lowers it.
    await eventually(lambda: sim[blocker_id].state == WireState.RAISED, what="guarded")
    moves_before = sim[blocker_id].moves
    sim[blocker_id].ack_delay = e2e.app.settings.ack_timeout_seconds + 1
    await user.tap_raw(1, BookingAction(action="lower", reservation_id=r.id).pack())
    await user.wait_for_message(lambda m: "did not answer in time" in m.text, timeout=6)

    async def late_told() -> bool:
        async with e2e.db.read() as s:
            return (
                await s.scalar(select(Notification.id).where(Notification.kind == "lower_late")) is not None
            )

    for _ in range(100):
        if await late_told():
            break
        await asyncio.sleep(0.05)
    await e2e.app.dispatcher.run()
    late = await user.wait_for_message(lambda m: "went down after all" in m.text)
    assert late.text == (
        f"✅ Update: the blocker went down after all. Park now! Spot {await _spot_label(e2e, r)}, "
        f"your booking runs until {await _local_end(e2e, r)}."
    )
    assert [text for text, _ in late.buttons()] == ["➕ Extend", "🏁 End parking now"]
    async with e2e.db.read() as s:
        active = await s.get(Reservation, r.id)
    assert active is not None and active.status == ReservationStatus.ACTIVE
    # Lowered once, and never raised again while its late answer was on the way.
    await asyncio.sleep(0.5)  # a few sweeps (0.2 s) of the running service
    assert sim[blocker_id].moves - moves_before == 1
    assert sim[blocker_id].state == WireState.LOWERED
