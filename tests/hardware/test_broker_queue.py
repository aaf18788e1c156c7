"""A city's retained reports reach a starting link whole with the production broker's queue
(deploy/mosquitto/mosquitto.conf `max_queued_messages`), on a private Mosquitto. A link that
(re)connects gets every blocker's retained `availability` and `state` at once; Mosquitto sends
a client 20 QoS 1 messages in flight, queues `max_queued_messages` more (1,000 by default) and
drops the rest, so with its default a start-up in a city of thousands of blockers learns the
state of about 500 of them (bench/city.py found the drops: "Outgoing messages are being dropped")."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import Blocker
from hardware import protocol
from hardware.broker import BrokerAddress
from tests.hardware.support import ROOT, Mosquitto, free_port, register, running_link

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

BLOCKERS = 1500  # 3,000 retained messages: three times what Mosquitto's default queue takes


def _shipped(directive: str) -> str | None:
    for line in (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == directive:
            return parts[1]
    return None


def _config(directory: Path, port: int, settings: tuple[str, ...]) -> Path:
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", *settings]
    if os.geteuid() == 0:
        lines.append("user root")  # it would drop to `mosquitto`, who cannot read tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


async def _private_broker(directory: Path, *settings: str) -> Mosquitto:
    port = free_port()
    broker = Mosquitto(port, _config(directory, port, settings))
    await broker.start()
    return broker


async def _retain_a_city(url: str, prefix: str, ids: list[str], ts: datetime) -> None:
    state = protocol.State(state=protocol.WireState.RAISED, car_present=False, battery=90, ts=ts).to_json()
    async with aiomqtt.Client(**BrokerAddress.from_url(url).client_kwargs()) as client:
        client.pending_calls_threshold = 1_000_000
        for start in range(0, len(ids), 250):
            chunk = ids[start : start + 250]
            topics = [(protocol.availability_topic(prefix, b), b"online") for b in chunk]
            topics += [(protocol.state_topic(prefix, b), state) for b in chunk]
            await asyncio.gather(*(client.publish(t, payload, qos=1, retain=True) for t, payload in topics))


async def _rows_with(db: Database, ts: datetime) -> int:
    async with db.read() as s:
        return int(
            await s.scalar(select(func.count()).select_from(Blocker).where(Blocker.state_ts == ts)) or 0
        )


async def _start_up(db: Database, tmp_path: Path, *settings: str) -> int:
    """Blocker rows a link starting against a city's retained reports brings up to date."""
    prefix = "queuetest"
    ids = [f"Q{i:05d}" for i in range(BLOCKERS)]
    await register(db, *ids)
    ts = datetime.now(UTC).replace(microsecond=0)
    broker = await _private_broker(tmp_path, *settings)
    try:
        await _retain_a_city(broker.url, prefix, ids, ts)
        async with running_link(db, broker.url, prefix) as link:
            last, settled = -1, 0
            while settled < 10:  # until no row changed for a second (retained come at once)
                await asyncio.sleep(0.1)
                await link.flush()
                now = await _rows_with(db, ts)
                last, settled = now, settled + 1 if now == last else 0
            return last
    finally:
        await broker.kill()


async def test_a_starting_link_reads_every_retained_report_of_a_city(
    sqlite_db: Database, tmp_path: Path
) -> None:
    queued = _shipped("max_queued_messages")
    assert queued is not None and int(queued) >= 2 * 10_000, (
        "the production broker must queue a city's reports"
    )
    assert await _start_up(sqlite_db, tmp_path / "shipped", f"max_queued_messages {queued}") == BLOCKERS


async def test_with_mosquittos_default_queue_the_same_start_up_loses_reports(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Why the setting is there: the broker itself drops what its queue cannot hold."""
    assert await _start_up(sqlite_db, tmp_path / "default") < BLOCKERS
