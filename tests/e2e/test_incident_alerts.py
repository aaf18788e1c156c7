"""Alerts that act, end to end: the running service (`service.App` as `python main.py run`
starts it) on the local Mosquitto, a simulated blocker that jams, the premise's attendant in
a chat with the bot (the Bot API fake), and a driver with a booking on that spot.

One alert names the booking; the same jam reported again, or heard retained by another link,
alerts nobody twice; "Move these drivers" moves the booking and the driver is told; the
blocker's recovery is "incident ended", once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.models import (
    BlockerIncident,
    Notification,
    PremiseStaff,
    Reservation,
    Spot,
    StaffRole,
    User,
)
from core.services import booking
from demo.botapi import BotMessage, FakeUser
from hardware.link import BlockerLink
from hardware.protocol import WireState
from hardware.simulator import Simulator
from tests.e2e.conftest import E2E
from tests.e2e.test_blockers import SPOT_BLOCKERS, parking  # noqa: F401 (the fixture)
from tests.waiting import eventually

pytestmark = pytest.mark.mqtt


async def _person(e2e: E2E, telegram_id: int, name: str) -> tuple[FakeUser, int]:
    user = e2e.tg.user(telegram_id, name)
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    async with e2e.db.read() as s:
        user_id = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
    assert user_id is not None
    return user, user_id


def _alerts(staff: FakeUser) -> list[BotMessage]:
    return [m for m in staff.messages if m.text.startswith("🚨")]


async def _jam_reported(e2e: E2E, sim: Simulator, blocker_id: str) -> None:
    """The device reports a jam (its `fault` state, retained), stamped a second later each time."""
    e2e.clock.advance(timedelta(seconds=1))
    sim[blocker_id].state = WireState.FAULT
    await sim[blocker_id].publish_state()


async def test_a_jam_alerts_staff_once_move_moves_the_driver_and_the_end_is_told_once(
    parking: tuple[E2E, Simulator],  # noqa: F811
) -> None:
    e2e, sim = parking
    staff, staff_id = await _person(e2e, 6501, "Andrii")
    manager, manager_id = await _person(e2e, 6503, "Mira")
    driver, driver_id = await _person(e2e, 6502, "Olena")
    async with e2e.db.transaction() as s:
        for user_id, role in ((staff_id, StaffRole.ATTENDANT), (manager_id, StaffRole.MANAGER)):
            s.add(
                PremiseStaff(
                    premise_id=e2e.premise_id, user_id=user_id, role=role, created_at=e2e.clock.now()
                )
            )
        r = await booking.hold(
            s,
            user_id=driver_id,
            premise_id=e2e.premise_id,
            starts_at=e2e.clock.now() + timedelta(hours=2),
            minutes=60,
            now=e2e.clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, r.id, e2e.clock.now())
        label = await s.scalar(select(Spot.label).where(Spot.id == r.spot_id))
    blocker_id = SPOT_BLOCKERS[0] if label == "A1" else SPOT_BLOCKERS[1]

    await _jam_reported(e2e, sim, blocker_id)
    alert = await staff.wait_for_message(lambda m: m.text.startswith("🚨"), timeout=15)
    assert f"🚨 Blocker {blocker_id} at Central Garage, spot {label}: fault or jam since" in alert.text
    assert f"• #{r.id} Olena, " in alert.text
    # An attendant may move drivers but not refund them: their alert offers no refund.
    assert [text for text, _ in alert.buttons()] == [
        "🔀 Move these drivers",
        "🔧 Test blocker",
        "✔️ Acknowledge",
    ]
    managers_alert = await manager.wait_for_message(lambda m: m.text.startswith("🚨"), timeout=15)
    assert [text for text, _ in managers_alert.buttons()] == [
        "🔀 Move these drivers",
        "💸 Refund them",
        "🔧 Test blocker",
        "✔️ Acknowledge",
    ]

    # The same jam again (a repeated report): no second incident, no second alert.
    await _jam_reported(e2e, sim, blocker_id)
    assert e2e.app.link is not None
    await asyncio.wait_for(e2e.app.link.flush(), 5)
    # Another process (or this one restarted) hears the retained jam as news: nothing new either.
    second = BlockerLink.from_settings(
        e2e.app.settings, e2e.app.db, clock=e2e.clock, on_health_change=e2e.app._blocker_health
    )
    async with second:
        await asyncio.wait_for(second.wait_connected(), 5)
        await eventually(lambda: second.writer_stats.health_changes >= 1, what="the retained jam heard")
        await asyncio.wait_for(second.flush(), 5)
    await asyncio.sleep(1.5)  # more than an outbox round
    async with e2e.db.read() as s:
        incidents = int(await s.scalar(select(func.count()).select_from(BlockerIncident)) or 0)
        queued = int(
            await s.scalar(
                select(func.count()).select_from(Notification).where(Notification.kind == "admin_incident")
            )
            or 0
        )
    assert (incidents, queued, len(_alerts(staff)), len(_alerts(manager))) == (1, 2, 1, 1)

    # Move these drivers: the booking goes to the other spot and its driver is told why.
    await staff.tap_label(alert, "🔀 Move these drivers")
    other = "A2" if label == "A1" else "A1"
    await eventually(lambda: any(a.text for a in staff.callback_answers), what="the tap answered")
    assert staff.callback_answers[-1].text == f"1 booking moved: #{r.id} → {other}."
    moved = await driver.wait_for_message(lambda m: m.text.startswith("🔀"), timeout=15)
    assert moved.text.startswith(f"🔀 The blocker of spot {label} at Central Garage is out of order.")
    assert f"is moved to spot {other};" in moved.text
    async with e2e.db.read() as s:
        after = await s.get(Reservation, r.id)
        assert after is not None and after.spot_id != r.spot_id

    # Acknowledged by the attendant: the manager's copy of the alert says so too.
    await staff.tap_label(alert, "✔️ Acknowledge")
    await eventually(
        lambda: "✔️ Acknowledged by Andrii at " in _alerts(manager)[0].text, what="the manager's alert edited"
    )
    assert "✔️ Acknowledged by Andrii at " in _alerts(staff)[0].text

    # Repaired a minute later: the device reports its old position, newer than the jam.
    e2e.clock.advance(timedelta(minutes=1))
    await sim[blocker_id].set_jam(False)
    ended = await staff.wait_for_message(lambda m: m.text.startswith("✅ Blocker"), timeout=15)
    assert ended.text == (
        f"✅ Blocker {blocker_id} at Central Garage, spot {label}, is working again (fault or jam for 1 min)."
    )
    await sim[blocker_id].publish_state()  # the healthy report again
    await asyncio.wait_for(e2e.app.link.flush(), 5)
    await asyncio.sleep(1.5)
    assert len([m for m in staff.messages if m.text.startswith("✅ Blocker")]) == 1
    assert len(_alerts(staff)) == 1
