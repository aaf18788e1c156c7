"""A rogue client on the shared broker (no ACL there) answers the service's `lower` with a forged
`ok` before the real device answers `jammed`: the service believes the failure, alerts admins,
tells the driver, and the booking is waiting for them again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.callbacks import BookingAction
from core.models import Blocker, BlockerState, Reservation, ReservationStatus
from hardware import protocol
from hardware.simulator import Simulator
from tests.e2e.conftest import E2E
from tests.e2e.test_blockers import _booked, _until, parking
from tests.factories import make_user
from tests.hardware.support import raw_client
from tests.services import MQTT_URL

pytestmark = pytest.mark.mqtt
__all__ = ["parking"]  # the fixture


async def _forge_ok_acks(prefix: str, blocker_id: str, ready: asyncio.Event) -> None:
    async with raw_client(MQTT_URL) as rogue:
        await rogue.subscribe(protocol.command_topic(prefix, blocker_id), qos=1)
        ready.set()
        async for message in rogue.messages:
            assert isinstance(message.payload, bytes)
            command = protocol.Command.from_json(message.payload)
            forged = protocol.Ack(id=command.id, ok=True, state=protocol.WireState.LOWERED, error=None)
            await rogue.publish(protocol.ack_topic(prefix, blocker_id), forged.to_json(), qos=1)


async def test_a_forged_ok_followed_by_the_real_failure_is_corrected(parking: tuple[E2E, Simulator]) -> None:
    e2e, sim = parking
    assert e2e.app.link is not None
    async with e2e.db.transaction() as s:
        await make_user(s, telegram_id=6199, name="Admin", is_admin=True)
    admin = e2e.tg.user(6199, "Admin")
    user, r = await _booked(e2e, 6101, timedelta(minutes=5))
    async with e2e.db.read() as s:
        blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
    assert blocker_id is not None
    device = sim[blocker_id]
    device.jam = True  # the real device will answer `jammed`...
    device.ack_delay = 0.3  # ...after the rogue's forged `ok`
    ready = asyncio.Event()
    rogue = asyncio.create_task(_forge_ok_acks(e2e.app.link.prefix, blocker_id, ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        await user.tap_raw(1, BookingAction(action="lower", reservation_id=r.id).pack())
        await user.wait_for_message(lambda m: "Park now!" in m.text)  # what the forgery bought

        async def corrected() -> bool:
            async with e2e.db.read() as s:
                row = await s.get(Reservation, r.id)
                return row is not None and row.status == ReservationStatus.CONFIRMED

        deadline = asyncio.get_running_loop().time() + 5
        while not await corrected():
            assert asyncio.get_running_loop().time() < deadline, "booking still active"
            await asyncio.sleep(0.05)
    finally:
        rogue.cancel()
        await asyncio.gather(rogue, return_exceptions=True)
    async with e2e.db.read() as s:
        row = await s.get(Reservation, r.id)
        assert row is not None and row.arrived_at is None
    await _until(e2e, lambda b: next(x for x in b if x.id == blocker_id).state == BlockerState.FAULT)

    await e2e.app.dispatcher.run()
    told = await user.wait_for_message(lambda m: "reported a failure after all" in m.text)
    assert "The blocker is stuck" in told.text and f"#{r.id}" in told.text
    assert [text for text, _ in told.buttons()] == ["🚗 I've arrived — lower the blocker"]
    alert = await admin.wait_for_message(lambda m: "twice, differently" in m.text)
    assert f"Blocker {blocker_id}" in alert.text and "(ok, then jammed)" in alert.text
