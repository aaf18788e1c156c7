"""Failures of processes and brokers: the Last Will of a killed device, a broker restart in the
middle of a command."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import pytest

from core.blockers import CommandStatus
from core.db import Database
from core.models import BlockerState
from tests.hardware.support import (
    ROOT,
    HealthLog,
    Mosquitto,
    eventually,
    free_port,
    register,
    row_matches,
    running_link,
    simulator,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


async def test_killed_device_goes_offline_by_its_will_and_comes_back(
    db: Database, mqtt_url: str, prefix: str
) -> None:
    await register(db, "K1", with_spots=True)
    health = HealthLog()
    async with running_link(db, mqtt_url, prefix, ack_timeout=3, on_health_change=health) as link:
        device = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "hardware.simulator", "--blockers", "K1", "--url", mqtt_url),
            *("--prefix", prefix, "--keepalive", "2", "--move-time", "0.02"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await eventually(lambda: row_matches(link, db, "K1", online=True), within=10, what="online")
            assert (await link.command("K1", "lower", None)).ok
        finally:
            device.send_signal(signal.SIGKILL)  # no DISCONNECT: only the broker can tell
            await device.wait()
        await eventually(lambda: row_matches(link, db, "K1", online=False), within=5, what="offline by Will")
        await eventually(lambda: health.of("K1") == [(False, "offline")], what="unhealthy callback")
        assert (await link.command("K1", "raise", None)).status is CommandStatus.OFFLINE

        async with simulator(mqtt_url, prefix, "K1"):  # the device is back
            await eventually(lambda: row_matches(link, db, "K1", online=True), what="online again")
            await eventually(
                lambda: health.of("K1") == [(False, "offline"), (True, "recovered")], what="healthy callback"
            )
            assert (await link.command("K1", "raise", None)).ok


async def test_broker_restart_during_a_command(sqlite_db: Database) -> None:
    """Defined behaviour: a command whose ack is lost with the broker is sent again, with the
    same id, once the link is back and again when the device reannounces itself; the device
    answers a repeated id with its first result without moving again, so the caller gets `ok`
    within `ack_timeout` (or `timeout` if the broker stays away longer)."""
    db = sqlite_db
    await register(db, "R1")
    broker = Mosquitto(free_port())
    await broker.start()
    try:
        async with (
            running_link(db, broker.url, "restart", ack_timeout=6) as link,
            # The ack leaves 0.5 s after the move: the broker dies in between.
            simulator(broker.url, "restart", "R1", ack_delay=0.5) as sim,
        ):
            await eventually(lambda: row_matches(link, db, "R1", online=True), what="online")
            command = asyncio.create_task(link.command("R1", "lower", 11))
            device = sim["R1"]
            await eventually(lambda: device.moves == 1, what="device moved")
            await broker.kill()
            await eventually(lambda: not link.connected, what="link noticed")
            await broker.start()
            result = await command
            assert result.status is CommandStatus.OK, result
            assert result.state is BlockerState.LOWERED
            assert device.moves == 1 and device.executed == [result.command_id]
            assert device.duplicates >= 1 and link.stats.commands_resent >= 1
            assert link.stats.connects == 2
            await eventually(lambda: row_matches(link, db, "R1", state=BlockerState.LOWERED, online=True))
            # And life goes on over the new connection.
            assert (await link.command("R1", "raise", 11)).ok
    finally:
        await broker.kill()


async def test_broker_away_longer_than_the_ack_timeout_is_a_timeout(sqlite_db: Database) -> None:
    db = sqlite_db
    await register(db, "R2")
    broker = Mosquitto(free_port())
    await broker.start()
    try:
        async with (
            running_link(db, broker.url, "restart", ack_timeout=1.0) as link,
            simulator(broker.url, "restart", "R2", ack_delay=0.3) as sim,
        ):
            await eventually(lambda: row_matches(link, db, "R2", online=True), what="online")
            command = asyncio.create_task(link.command("R2", "lower", None))
            await eventually(lambda: sim["R2"].moves == 1, what="device moved")
            await broker.kill()
            result = await command
            assert result.status is CommandStatus.TIMEOUT and 1.0 <= result.elapsed < 1.3
            # While the broker is away, a new command waits for it and then gives up.
            result = await link.command("R2", "raise", None)
            assert result.status is CommandStatus.NOT_CONNECTED and result.command_id is None
            await broker.start()
            async with asyncio.timeout(5):
                await link.wait_connected()
            await eventually(lambda: sim.connects("R2") == 2, what="device reconnected")
            assert (await link.command("R2", "raise", None)).ok
    finally:
        await broker.kill()
