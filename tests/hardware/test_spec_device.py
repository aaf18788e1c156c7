"""A device written from DESIGN.md §6 alone (plain MQTT and JSON, none of our code) works with
the service's link: this is what firmware writers get to rely on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import pytest

from core.blockers import CommandStatus
from core.db import Database
from core.models import BlockerState
from tests.hardware.support import eventually, register, row_matches, running_link

pytestmark = pytest.mark.mqtt


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def spec_device(url: str, prefix: str, device_id: str, ready: asyncio.Event) -> None:
    """Topics `{prefix}/blockers/{id}/…`; commands in, acks out (same id, first result again
    for a repeated id, `expired` past `expires_at`), retained state and availability, and a
    Last Will of `offline`."""
    base = f"{prefix}/blockers/{device_id}"
    parts = urlsplit(url)
    will = aiomqtt.Will(f"{base}/availability", "offline", qos=1, retain=True)
    state = "raised"
    answered: dict[str, dict[str, object]] = {}
    async with aiomqtt.Client(parts.hostname or "127.0.0.1", parts.port or 1883, will=will) as client:
        await client.subscribe(f"{base}/command", qos=1)
        await client.publish(f"{base}/availability", "online", qos=1, retain=True)
        report = {"v": 1, "state": state, "car_present": False, "battery": 64, "ts": _now()}
        await client.publish(f"{base}/state", json.dumps(report), qos=1, retain=True)
        ready.set()
        async for message in client.messages:
            command: dict[str, Any] = json.loads(
                message.payload if isinstance(message.payload, bytes | str) else b"{}"
            )
            if command["id"] in answered:
                ack = answered[command["id"]]
            elif command["expires_at"] < _now():
                ack = {"v": 1, "id": command["id"], "ok": False, "state": state, "error": "expired"}
            else:
                state = "lowered" if command["action"] == "lower" else "raised"
                ack = {"v": 1, "id": command["id"], "ok": True, "state": state, "error": None}
                report = {"v": 1, "state": state, "car_present": False, "battery": 64, "ts": _now()}
                await client.publish(f"{base}/state", json.dumps(report), qos=1, retain=True)
            answered[command["id"]] = ack
            await client.publish(f"{base}/ack", json.dumps(ack), qos=1)


async def test_a_device_written_from_the_contract_works_with_the_service(
    db: Database, mqtt_url: str, prefix: str
) -> None:
    await register(db, "FW-1", with_spots=True)
    ready = asyncio.Event()
    device = asyncio.create_task(spec_device(mqtt_url, prefix, "FW-1", ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        async with running_link(db, mqtt_url, prefix, ack_timeout=3) as link:
            await eventually(lambda: row_matches(link, db, "FW-1", online=True, battery=64), what="online")
            lowered = await link.command("FW-1", "lower", reservation_id=1)
            assert lowered.status is CommandStatus.OK and lowered.state is BlockerState.LOWERED
            await eventually(
                lambda: row_matches(link, db, "FW-1", state=BlockerState.LOWERED), what="lowered"
            )
            raised = await link.command("FW-1", "raise")
            assert raised.ok and raised.state is BlockerState.RAISED
    finally:
        device.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            await device
