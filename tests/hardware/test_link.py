"""BlockerLink against the real broker and the reference simulator."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.config import load_settings
from core.db import Database
from core.models import Blocker, BlockerState
from hardware import protocol
from hardware.link import BlockerLink
from tests.hardware.support import (
    HealthLog,
    eventually,
    free_port,
    load,
    next_message,
    payload_of,
    raw_client,
    register,
    row_matches,
    running_link,
    simulator,
)

pytestmark = pytest.mark.mqtt


async def test_lower_round_trip_updates_the_row(db: Database, mqtt_url: str, prefix: str) -> None:
    await register(db, "B1", with_spots=True)
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3) as link,
        simulator(mqtt_url, prefix, "B1", battery=87, car_arrival_delay=0.1) as sim,
    ):
        result = await link.command("B1", "lower", reservation_id=7)
        assert result.status is CommandStatus.OK and result.ok
        assert result.state is BlockerState.LOWERED
        assert result.command_id is not None and result.elapsed < 3
        assert sim["B1"].moves == 1 and sim["B1"].executed == [result.command_id]
        await link.flush()
        row = await load(db, "B1")
        assert row is not None
        assert (row.state, row.online, row.battery) == (BlockerState.LOWERED, True, 87)
        assert row.spot_id is not None and row.last_seen is not None
        assert abs(row.last_seen - datetime.now(UTC)) < timedelta(seconds=5)
        # The device reports the car a little later, through a state message.
        await eventually(lambda: row_matches(link, db, "B1", car_present=True), what="car_present")
        result = await link.command("B1", "raise", reservation_id=7)
        assert result.ok and result.state is BlockerState.RAISED
        await eventually(
            lambda: row_matches(link, db, "B1", state=BlockerState.RAISED, car_present=False), what="raised"
        )


async def test_device_refusals_are_typed_results(sqlite_db: Database, mqtt_url: str, prefix: str) -> None:
    db = sqlite_db
    await register(db, "B1")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3) as link,
        simulator(mqtt_url, prefix, "B1", move_time=0.3) as sim,
    ):
        device = sim["B1"]
        device.set_obstacle(True)
        result = await link.command("B1", "lower", None)
        assert result.status is CommandStatus.OBSTACLE and result.state is BlockerState.RAISED
        device.set_obstacle(False)

        # A second command while the first is moving: busy (and the first still succeeds).
        first = asyncio.create_task(link.command("B1", "lower", None))
        await eventually(lambda: device.state is protocol.WireState.MOVING, what="moving")
        second = await link.command("B1", "raise", None)
        assert second.status is CommandStatus.BUSY
        assert (await first).status is CommandStatus.OK

        device.battery = 5
        result = await link.command("B1", "raise", None)
        assert result.status is CommandStatus.LOW_BATTERY
        assert device.moves == 1


async def test_jam_is_a_fault_alerted_once_and_its_repair_too(
    sqlite_db: Database, mqtt_url: str, prefix: str
) -> None:
    db = sqlite_db
    await register(db, "B1")
    events: list[tuple[str, bool, str]] = []

    def on_health_change(blocker_id: str, healthy: bool, reason: str) -> None:  # a plain function
        events.append((blocker_id, healthy, reason))

    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3, on_health_change=on_health_change) as link,
        simulator(mqtt_url, prefix, "B1") as sim,
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        sim["B1"].jam = True
        result = await link.command("B1", "lower", None)
        assert result.status is CommandStatus.JAMMED and result.state is BlockerState.FAULT
        again = await link.command("B1", "lower", None)
        assert again.status is CommandStatus.JAMMED  # still stuck
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.FAULT), what="fault row")
        await eventually(lambda: events == [("B1", False, "fault")], what="fault alert")

        await sim["B1"].set_jam(False)  # repaired: back where it was
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.RAISED), what="repaired")
        await eventually(lambda: events[1:] == [("B1", True, "recovered")], what="recovery")
        assert (await link.command("B1", "lower", None)).ok


async def test_low_battery_alerts_once_per_incident(sqlite_db: Database, mqtt_url: str, prefix: str) -> None:
    db = sqlite_db
    await register(db, "B1", "B2")
    health = HealthLog()
    async with (
        running_link(db, mqtt_url, prefix, on_health_change=health) as link,
        simulator(mqtt_url, prefix, "B1", "B2") as sim,
    ):
        await eventually(lambda: row_matches(link, db, "B2", online=True), what="online")
        for percent in (14, 12, 11):  # one incident, however many reports
            await sim["B1"].set_battery(percent)
        await eventually(lambda: row_matches(link, db, "B1", battery=11), what="battery row")
        await sim["B1"].set_battery(90)
        await eventually(lambda: row_matches(link, db, "B1", battery=90), what="charged")
        await sim["B1"].set_battery(13)  # a new incident
        await eventually(lambda: row_matches(link, db, "B1", battery=13), what="low again")
        await link.flush()
        # Callbacks run in their own task: wait for the three, however slow the machine is.
        await eventually(lambda: len(health.of("B1")) >= 3, what="three health events")
        events = health.of("B1")
        assert [healthy for healthy, _ in events] == [False, True, False]
        # Reports in a burst are written (and judged) together: the first alert names one of
        # the low readings.
        assert re.fullmatch(r"battery 1[124]% \(below 15%\)", events[0][1])
        assert events[1:] == [(True, "recovered"), (False, "battery 13% (below 15%)")]
        assert health.of("B2") == []  # healthy from the start: nothing to say


async def test_a_failing_health_callback_does_not_stop_the_link(
    sqlite_db: Database, mqtt_url: str, prefix: str
) -> None:
    db = sqlite_db
    await register(db, "B1")
    calls: list[str] = []

    async def broken(blocker_id: str, healthy: bool, reason: str) -> None:
        calls.append(reason)
        raise RuntimeError("the admin chat is gone")

    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3, on_health_change=broken) as link,
        simulator(mqtt_url, prefix, "B1", battery=5) as sim,
    ):
        await eventually(lambda: calls == ["battery 5% (below 15%)"], what="callback called")
        await sim["B1"].set_battery(80)
        await eventually(lambda: calls[1:] == ["recovered"], what="called again")
        assert (await link.command("B1", "lower", None)).ok


def test_from_settings() -> None:
    settings = load_settings(
        mqtt_url="mqtts://u:p@broker.example:8884", mqtt_topic_prefix="site/p", ack_timeout_seconds=4
    )
    link = BlockerLink.from_settings(settings, Database.from_url("sqlite+aiosqlite:///unused.db"))
    assert (link.address.hostname, link.address.port, link.address.tls) == ("broker.example", 8884, True)
    assert (link.prefix, link.ack_timeout) == ("site/p", 4)


async def test_offline_blocker_is_not_sent_anything(sqlite_db: Database, mqtt_url: str, prefix: str) -> None:
    db = sqlite_db
    await register(db, "B1")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3) as link,
        simulator(mqtt_url, prefix, "B1") as sim,
        raw_client(mqtt_url) as spy,
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        await sim.go_offline("B1")  # abrupt: the broker publishes the Will
        await eventually(lambda: link.known_offline("B1"), what="Will received")
        await spy.subscribe(protocol.command_topic(prefix, "B1"), qos=1)
        result = await link.command("B1", "lower", None)
        assert result.status is CommandStatus.OFFLINE
        assert result.command_id is None and result.elapsed < 0.05
        with pytest.raises(TimeoutError):
            await next_message(spy, within=0.3)
        assert link.stats.commands_sent == 0
        assert sim["B1"].commands_received == 0
        await eventually(lambda: row_matches(link, db, "B1", online=False), what="offline row")


async def test_no_ack_in_time_is_a_timeout_and_the_late_ack_changes_nothing(
    sqlite_db: Database, mqtt_url: str, prefix: str
) -> None:
    db = sqlite_db
    await register(db, "B1")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=0.4) as link,
        simulator(mqtt_url, prefix, "B1", ack_delay=0.8) as sim,
    ):
        result = await link.command("B1", "lower", None)
        assert result.status is CommandStatus.TIMEOUT
        assert result.command_id is not None and 0.4 <= result.elapsed < 0.6
        await eventually(lambda: link.stats.stray_acks >= 1, what="late ack")
        assert sim["B1"].moves == 1  # the device did act: a timeout means "outcome unknown"


async def test_expired_command_is_refused_through_the_link(
    sqlite_db: Database, mqtt_url: str, prefix: str
) -> None:
    db = sqlite_db
    await register(db, "B1")
    skewed = ManualClock(datetime.now(UTC) - timedelta(minutes=5))  # the server's clock is behind
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=2, clock=skewed) as link,
        simulator(mqtt_url, prefix, "B1") as sim,
    ):
        result = await link.command("B1", "lower", None)
        assert result.status is CommandStatus.EXPIRED
        assert sim["B1"].moves == 0


async def test_not_connected_when_the_broker_is_unreachable(sqlite_db: Database) -> None:
    link = BlockerLink(sqlite_db, url=f"mqtt://127.0.0.1:{free_port()}", prefix="p", ack_timeout=0.3)
    async with link:
        result = await link.command("B1", "lower", None)
        assert result.status is CommandStatus.NOT_CONNECTED
        assert 0.3 <= result.elapsed < 0.5
        assert not link.connected


async def test_malformed_messages_and_unknown_topics_are_dropped(
    sqlite_db: Database, mqtt_url: str, prefix: str
) -> None:
    db = sqlite_db
    await register(db, "B1")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3) as link,
        simulator(mqtt_url, prefix, "B1") as sim,
        raw_client(mqtt_url) as rogue,
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        before = link.stats.dropped
        good_state = protocol.State(
            state=protocol.WireState.FAULT, car_present=False, battery=50, ts=datetime.now(UTC)
        )
        garbage = [
            (protocol.state_topic(prefix, "B1"), b"{not json"),
            (protocol.state_topic(prefix, "B1"), json.dumps({"v": 2, "state": "fault"}).encode()),
            (protocol.state_topic(prefix, "B1"), b"\xff\xfe\x00"),
            (protocol.ack_topic(prefix, "B1"), b'{"v":1,"id":"x","ok":true}'),
            (protocol.availability_topic(prefix, "B1"), b"maybe"),
            # A topic the subscription matches, with an id no blocker can have.
            (f"{prefix}/blockers/{'x' * 70}/state", good_state.to_json()),
        ]
        for name, payload in garbage:
            await rogue.publish(name, payload, qos=1)
        await eventually(lambda: link.stats.dropped - before >= 5, what="drops")
        # The link is still up, the row untouched by any of it, and commands still work.
        assert link.connected
        result = await link.command("B1", "lower", None)
        assert result.ok and sim["B1"].moves == 1
        await eventually(
            lambda: row_matches(link, db, "B1", state=BlockerState.LOWERED, battery=100), what="row"
        )


async def test_unregistered_blockers_are_ignored(sqlite_db: Database, mqtt_url: str, prefix: str) -> None:
    db = sqlite_db
    await register(db, "B1")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3) as link,
        simulator(mqtt_url, prefix, "B1", "STRANGER"),
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        await eventually(lambda: link.writer_stats.unknown_blocker_updates >= 1, what="ignored")
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(Blocker)) == 1
        assert await load(db, "STRANGER") is None


async def test_acks_are_correlated_by_id_and_blocker(sqlite_db: Database, mqtt_url: str, prefix: str) -> None:
    """An ack with a foreign id, or our id from another blocker's topic, answers nothing."""
    db = sqlite_db
    await register(db, "B1", "B2")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=1.0) as link,
        raw_client(mqtt_url) as device,
    ):
        await device.subscribe(protocol.command_topic(prefix, "B1"), qos=1)
        task = asyncio.create_task(link.command("B1", "lower", 3))
        command = protocol.Command.from_json(payload_of(await next_message(device)))
        assert command.action is protocol.Action.LOWER and command.reservation_id == 3
        for blocker_id, ack_id in (("B1", str(uuid.uuid4())), ("B2", command.id)):
            forged = protocol.Ack(id=ack_id, ok=True, state=protocol.WireState.LOWERED, error=None)
            await device.publish(protocol.ack_topic(prefix, blocker_id), forged.to_json(), qos=1)
        await eventually(lambda: link.stats.stray_acks == 2, what="stray acks")
        assert not task.done()
        real = protocol.Ack(id=command.id, ok=True, state=protocol.WireState.LOWERED, error=None)
        await device.publish(protocol.ack_topic(prefix, "B1"), real.to_json(), qos=1)
        assert (await task).ok
