"""Helpers of the hardware tests."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt

from core.db import Database
from core.models import Blocker
from hardware.link import BlockerLink
from hardware.simulator import Simulator
from tests.factories import make_premise
from tests.services import unavailable
from tests.waiting import eventually as eventually  # re-exported: hardware tests import it here

ROOT = Path(__file__).resolve().parents[2]


async def register(db: Database, *blocker_ids: str, with_spots: bool = False) -> None:
    """Registers blockers as an operator would (optionally each on a spot of a new premise)."""
    async with db.transaction() as session:
        spot_ids: list[int | None] = [None] * len(blocker_ids)
        if with_spots:
            premise = await make_premise(session, spots=len(blocker_ids))
            await session.refresh(premise, ["spots"])
            spot_ids = [spot.id for spot in premise.spots]
        for blocker_id, spot_id in zip(blocker_ids, spot_ids, strict=True):
            session.add(Blocker(id=blocker_id, spot_id=spot_id))


async def load(db: Database, blocker_id: str) -> Blocker | None:
    async with db.read() as session:
        return await session.get(Blocker, blocker_id)


async def row_matches(link: BlockerLink, db: Database, blocker_id: str, **expected: Any) -> bool:
    await link.flush()
    row = await load(db, blocker_id)
    return row is not None and all(getattr(row, k) == v for k, v in expected.items())


@dataclass
class HealthLog:
    """Collects the link's health callbacks (an async callable, as the service's will be)."""

    events: list[tuple[str, bool, str]] = field(default_factory=list)

    async def __call__(self, blocker_id: str, healthy: bool, reason: str) -> None:
        self.events.append((blocker_id, healthy, reason))

    def of(self, blocker_id: str) -> list[tuple[bool, str]]:
        return [(healthy, reason) for b, healthy, reason in self.events if b == blocker_id]


@asynccontextmanager
async def running_link(db: Database, url: str, prefix: str, **kwargs: Any) -> AsyncIterator[BlockerLink]:
    kwargs.setdefault("reconnect_min", 0.05)
    kwargs.setdefault("reconnect_max", 0.5)
    link = BlockerLink(db, url=url, prefix=prefix, **kwargs)
    async with link:
        async with asyncio.timeout(5):
            await link.wait_connected()
        yield link


def simulator(url: str, prefix: str, *ids: str, **kwargs: Any) -> Simulator:
    kwargs.setdefault("move_time", 0.02)
    kwargs.setdefault("car_arrival_delay", None)
    kwargs.setdefault("clear_retained_on_stop", True)
    return Simulator(url, prefix, ids, **kwargs)


@asynccontextmanager
async def raw_client(url: str) -> AsyncIterator[aiomqtt.Client]:
    """A plain client, to play the server or a device by hand."""
    from hardware.broker import BrokerAddress

    async with aiomqtt.Client(**BrokerAddress.from_url(url).client_kwargs()) as client:
        yield client


async def next_message(client: aiomqtt.Client, within: float = 3.0) -> aiomqtt.Message:
    async with asyncio.timeout(within):
        async for message in client.messages:
            return message
    raise AssertionError("message stream ended")


def payload_of(message: aiomqtt.Message) -> bytes:
    assert isinstance(message.payload, bytes)
    return message.payload


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Mosquitto:
    """A private broker in a subprocess, to kill and restart (the shared one must stay up)."""

    def __init__(self, port: int, config: Path | None = None) -> None:
        binary = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
        )
        if binary is None:
            unavailable("the mosquitto binary is not installed (needed to restart a broker)")
        assert binary is not None
        self.binary = binary
        self.port = port
        self.config = config  # a config file that sets its own listener on `port`
        self.url = f"mqtt://127.0.0.1:{port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        args = ["-c", str(self.config)] if self.config else ["-p", str(self.port)]
        self.process = await asyncio.create_subprocess_exec(
            self.binary, *args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            await writer.wait_closed()
            return
        await self.kill()
        raise AssertionError(f"mosquitto did not start on port {self.port}")

    async def kill(self) -> None:
        """SIGKILL: no goodbye to anyone, retained messages gone (no persistence)."""
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()
