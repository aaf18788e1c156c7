"""`Simulator`: a fleet of simulated blockers on a broker (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from core.clock import Clock
from hardware import protocol
from hardware.broker import BrokerAddress
from hardware.protocol import Availability, Kind
from hardware.simulator.connection import DeviceConnection
from hardware.simulator.device import SimulatedBlocker

log = logging.getLogger("parking.hardware.simulator")


class Simulator:
    """Simulated blockers on a broker; see the package docstring (`hardware.simulator`)."""

    def __init__(
        self,
        url: str = "mqtt://127.0.0.1:1883",
        prefix: str = "parking",
        blocker_ids: Iterable[str] = (),
        *,
        move_time: float = 0.2,
        car_arrival_delay: float | None = 1.0,
        ack_delay: float = 0.0,
        battery: int = 100,
        refuse_below: int = 10,
        keepalive: int = 2,
        shared_connection: bool = False,
        clock: Clock | None = None,
        tls_context: ssl.SSLContext | None = None,
        clear_retained_on_stop: bool = False,
    ) -> None:
        ids = [protocol.check_blocker_id(b) for b in blocker_ids]
        if not ids:
            raise ValueError("no blocker ids given")
        if len(set(ids)) != len(ids):
            raise ValueError("blocker ids repeat")
        self.address = BrokerAddress.from_url(url)
        self.prefix = prefix
        self.shared_connection = shared_connection
        self.clear_retained_on_stop = clear_retained_on_stop
        self.blockers = {
            blocker_id: SimulatedBlocker(
                blocker_id,
                clock=clock,
                battery=battery,
                move_time=move_time,
                car_arrival_delay=car_arrival_delay,
                ack_delay=ack_delay,
                refuse_below=refuse_below,
            )
            for blocker_id in ids
        }
        devices = list(self.blockers.values())
        groups = [devices] if shared_connection else [[d] for d in devices]
        self._connections = [
            DeviceConnection(
                self.address,
                prefix,
                group,
                keepalive=keepalive,
                with_will=not shared_connection,
                tls_context=tls_context,
            )
            for group in groups
        ]
        self._by_blocker = {d.id: conn for conn in self._connections for d in conn.devices.values()}
        self._tasks: list[asyncio.Task[None]] = []

    def __getitem__(self, blocker_id: str) -> SimulatedBlocker:
        return self.blockers[blocker_id]

    async def start(self, *, wait: float | None = 5.0) -> None:
        """Connects every blocker; with `wait`, returns once all are online (or raises
        TimeoutError)."""
        if self._tasks:
            raise RuntimeError("the simulator is already running")
        for conn in self._connections:
            if not conn.wanted:
                conn.unplug()
        self._tasks = [asyncio.create_task(c.run(), name=f"sim-{i}") for i, c in enumerate(self._connections)]
        if wait is not None:
            try:
                async with asyncio.timeout(wait):
                    await self.wait_connected()
            except TimeoutError:
                await self.stop()
                raise TimeoutError(f"simulated blockers could not connect to {self.address}") from None

    async def wait_connected(self) -> None:
        """Returns once every blocker that is switched on is connected."""
        await asyncio.gather(*(c.wait_connected() for c in self._connections if c.wanted))

    async def stop(self) -> None:
        for conn in self._connections:
            with contextlib.suppress(Exception):  # best effort: the broker may be gone
                await conn.close(clear_retained=self.clear_retained_on_stop)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for device in self.blockers.values():
            await device.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def connects(self, blocker_id: str) -> int:
        """How many times the blocker's connection has come up."""
        return self._by_blocker[blocker_id].connects

    async def go_offline(self, blocker_id: str) -> None:
        """The blocker loses power or network: its connection drops without a goodbye."""
        device = self.blockers[blocker_id]
        device.online = False
        if self.shared_connection:
            conn = self._by_blocker[blocker_id]
            await conn.publish(
                blocker_id, Kind.AVAILABILITY, Availability.OFFLINE.value.encode(), retain=True
            )
        else:
            await self._by_blocker[blocker_id].pull_the_plug()

    async def go_online(self, blocker_id: str) -> None:
        """Power is back: the blocker reconnects and announces itself (returns once it has)."""
        device = self.blockers[blocker_id]
        device.online = True
        conn = self._by_blocker[blocker_id]
        if self.shared_connection:
            await device.announce()
        else:
            conn.plug_in()
            await conn.wait_connected()
