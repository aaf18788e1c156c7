"""Blocked bay, end to end (issue 16 item 2): the running service (its scheduler sweeping every
0.2 s on the test's ManualClock), the real Mosquitto and the device simulator. An obstacle that
appears before the lowering, or a car on the bay before the driver came, gets the driver one
message with "Move me to spot …" and "Refund me"; a move carries the booking (and a credit,
once) to a free spot whose blocker the driver then lowers; a refund cancels and refunds once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.models import (
    BlockerIncident,
    Reservation,
    ReservationStatus,
    Spot,
    WalletTransaction,
    WalletTxKind,
)
from core.services.blocked_bay import credit_key
from demo.botapi import FakeUser
from hardware.protocol import WireState
from hardware.simulator import Simulator
from tests.e2e.conftest import E2E, LAT, LON, button, tap
from tests.e2e.test_presence import SWEEPS, _bay, _paid, _status, parking  # noqa: F401 (the fixture)
from tests.factories import make_premise
from tests.waiting import eventually

pytestmark = pytest.mark.mqtt


async def _arrive(user: FakeUser) -> None:
    """The driver taps "I've arrived" on the booking's screen."""
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    await user.tap(detail, button(detail, "🚗"))


def _alert(user: FakeUser, callback_id: str) -> str | None:
    return next((a.text for a in user.callback_answers if a.callback_id == callback_id and a.text), None)


async def _label(e2e: E2E, spot_id: int) -> str:
    async with e2e.db.read() as s:
        return str(await s.scalar(select(Spot.label).where(Spot.id == spot_id)))


async def _tx(e2e: E2E, r: Reservation, kind: WalletTxKind) -> list[tuple[int, str]]:
    async with e2e.db.read() as s:
        rows = await s.execute(
            select(WalletTransaction.amount, WalletTransaction.reference).where(
                WalletTransaction.user_id == r.user_id, WalletTransaction.kind == kind
            )
        )
        return [(a, ref) for a, ref in rows.tuples()]


async def test_an_obstacle_offers_a_move_that_carries_the_booking_the_credit_once_and_the_new_blocker(
    parking: tuple[E2E, Simulator],  # noqa: F811
) -> None:
    e2e, sim = parking
    user, r, blocker_id = await _paid(e2e, 7201)
    old_label = await _label(e2e, r.spot_id)
    sim[blocker_id].set_obstacle(True, lowering_only=True)  # bags on the bay before the driver came
    await _arrive(user)
    offer = await user.wait_for_message(lambda m: "is blocked" in m.text)
    free = next(b for b in ("CAR-A1", "CAR-A2") if b != blocker_id)
    async with e2e.db.read() as s:
        other_spot = await s.scalar(
            select(Spot.id).where(Spot.premise_id == e2e.premise_id, Spot.id != r.spot_id)
        )
    assert other_spot is not None
    new_label = await _label(e2e, other_spot)
    assert offer.text == (
        f"⛔ Spot {old_label} at Central Garage is blocked: something is in the way of the blocker. "
        f"Booking #{r.id}.\n"
        f"Spot {new_label} is free now: move there for the same time and price, and 2.50 EUR goes to "
        "your wallet for the trouble. Or get a full refund of 5.00 EUR.\n"
        "Our team has been alerted."
    )
    assert [t for t, _ in offer.buttons()] == [
        f"🔀 Move me to spot {new_label} (free now)",
        "↩️ Refund me",
        "🔄 Try again",
    ]
    # Staff: one incident with the evidence.
    async with e2e.db.read() as s:
        found = list(await s.scalars(select(BlockerIncident).where(BlockerIncident.blocker_id == blocker_id)))
    assert [(i.kind.value, i.detail) for i in found] == [("lower_failed", "obstacle")]

    move = button(offer, "🔀")
    # Two taps at once (two phones): one move, one credit.
    await asyncio.gather(user.tap_raw(offer.message_id, move), user.tap_raw(offer.message_id, move))
    moved = await user.wait_for_message(lambda m: "Moved:" in m.text)
    assert f"now on spot {new_label} at Central Garage" in moved.text
    assert "2.50 EUR is in your wallet for the trouble." in moved.text
    await asyncio.sleep(SWEEPS)
    done = await _status(e2e, r.id)
    assert done.spot_id == other_spot and done.status is ReservationStatus.CONFIRMED
    assert done.price == r.price
    assert await _tx(e2e, r, WalletTxKind.ADJUSTMENT) == [(1000, "test"), (250, credit_key(r.id))]
    # A forged repeat later changes nothing; the outcome stays on the message.
    again = await user.tap_raw(offer.message_id, move)
    await eventually(lambda: _alert(user, again) is not None, what="refusal")
    assert f"moved already: spot {new_label}" in str(_alert(user, again))
    assert await _tx(e2e, r, WalletTxKind.ADJUSTMENT) == [(1000, "test"), (250, credit_key(r.id))]

    # The driver lowers the new spot's blocker from the message.
    after = next(m for m in reversed(user.messages) if "Moved:" in m.text)
    await tap(user, after, "🚗", lambda m: "Park now!" in m.text)
    await _bay(e2e, free, lambda b: b.state.value == "lowered")
    assert sim[free].state is WireState.LOWERED and sim[blocker_id].state is WireState.RAISED
    assert (await _status(e2e, r.id)).status is ReservationStatus.ACTIVE


async def test_a_car_on_the_bay_before_arrival_offers_the_same_and_refund_refunds_once(
    parking: tuple[E2E, Simulator],  # noqa: F811
) -> None:
    e2e, sim = parking
    user, r, blocker_id = await _paid(e2e, 7202)
    e2e.clock.advance(timedelta(minutes=1))
    await sim[blocker_id].set_car(True)  # someone else's car, before the driver came
    offer = await user.wait_for_message(lambda m: "is blocked" in m.text)
    assert "another car is parked there" in offer.text
    assert [t for t, _ in offer.buttons()][1:] == ["↩️ Refund me"]  # no "Try again": a car is there
    async with e2e.db.read() as s:
        found = list(await s.scalars(select(BlockerIncident).where(BlockerIncident.blocker_id == blocker_id)))
    assert [(i.kind.value, i.detail) for i in found] == [("lower_failed", "car_present")]
    await asyncio.sleep(SWEEPS)  # more sweeps: no second offer
    assert len([m for m in user.messages if "is blocked" in m.text]) == 1

    refund = button(offer, "↩️")
    await asyncio.gather(user.tap_raw(offer.message_id, refund), user.tap_raw(offer.message_id, refund))
    told = await user.wait_for_message(lambda m: "cancelled because the spot was blocked" in m.text)
    assert "5.00 EUR is back in your wallet." in told.text
    done = await _status(e2e, r.id)
    assert done.status is ReservationStatus.CANCELLED and done.bay_blocked_reason == "car_present"
    assert [a for a, _ in await _tx(e2e, r, WalletTxKind.REFUND)] == [500]
    again = await user.tap_raw(offer.message_id, refund)
    await eventually(lambda: _alert(user, again) is not None, what="refusal")
    assert "Nothing left to choose" in str(_alert(user, again))
    assert [a for a, _ in await _tx(e2e, r, WalletTxKind.REFUND)] == [500]


async def test_no_free_spot_offers_the_refund_and_the_nearest_car_parks_with_room(
    parking: tuple[E2E, Simulator],  # noqa: F811
) -> None:
    e2e, sim = parking
    async with e2e.db.transaction() as s:
        await make_premise(s, lat=LAT + 0.004, lon=LON, spots=3, price_per_hour=300, name="North Lot")
    user, r, blocker_id = await _paid(e2e, 7203)
    # The other spot is booked for the same time by someone else.
    _other, o, _ = await _paid(e2e, 7204)
    assert o.spot_id != r.spot_id
    sim[blocker_id].set_obstacle(True, lowering_only=True)
    await _arrive(user)
    offer = await user.wait_for_message(lambda m: "is blocked" in m.text)
    assert "No other spot here is free for your time. You can get a full refund of 5.00 EUR." in offer.text
    assert "Free nearby for the rest of your time:\n• North Lot, " in offer.text and "3 free" in offer.text
    assert [t for t, _ in offer.buttons()] == ["↩️ Refund me", "🔄 Try again"]
    await tap(user, offer, "↩️", lambda m: "cancelled because the spot was blocked" in m.text)
    assert (await _status(e2e, r.id)).status is ReservationStatus.CANCELLED
    assert (await _status(e2e, o.id)).status is ReservationStatus.CONFIRMED
