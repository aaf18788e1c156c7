"""An MQTT connection of simulated blockers (see `hardware.simulator`): reconnects, subscribes
to their command topics, announces them, hands them their commands and carries their reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import ssl
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

import aiomqtt

from hardware import protocol
from hardware.broker import BrokerAddress, ack_now
from hardware.protocol import Availability, Kind, ProtocolError
from hardware.simulator.device import Sent, SimulatedBlocker

log = logging.getLogger("parking.hardware.simulator")

_RECONNECT_MIN, _RECONNECT_MAX = 0.05, 1.0


class DeviceConnection:
    """One broker connection serving one blocker (with its Will) or many (without)."""

    def __init__(
        self,
        address: BrokerAddress,
        prefix: str,
        devices: Sequence[SimulatedBlocker],
        *,
        keepalive: int,
        with_will: bool,
        tls_context: ssl.SSLContext | None,
    ) -> None:
        if with_will and len(devices) != 1:
            raise ValueError("a Last Will covers exactly one blocker")
        self.address = address
        self.prefix = prefix
        self.devices = {d.id: d for d in devices}
        self.connects = 0
        self._keepalive = keepalive
        self._with_will = with_will
        self._tls_context = tls_context
        self._client: aiomqtt.Client | None = None
        self._publishing: set[asyncio.Future[None]] = set()
        self._connected = asyncio.Event()
        self._disconnected = asyncio.Event()
        self._disconnected.set()
        self._may_connect = asyncio.Event()  # cleared while the device is "unplugged"
        self._may_connect.set()
        self._tasks: set[asyncio.Task[Any]] = set()
        for device in devices:
            device.uplink = self

    def send(self, blocker_id: str, kind: Kind, payload: bytes, *, retain: bool) -> Awaitable[bool]:
        client = self._client
        if client is None:
            log.debug("%s: not connected, %s message lost", blocker_id, kind.value)
            return Sent(None)
        # Started now, so its first step (paho queuing the packet) runs in call order.
        publishing = asyncio.ensure_future(
            client.publish(
                protocol.topic(self.prefix, blocker_id, kind), payload, qos=1, retain=retain, timeout=5
            )
        )
        self._publishing.add(publishing)
        publishing.add_done_callback(functools.partial(self._published, client, f"{blocker_id} {kind.value}"))
        return Sent(publishing)

    async def publish(self, blocker_id: str, kind: Kind, payload: bytes, *, retain: bool) -> bool:
        return await self.send(blocker_id, kind, payload, retain=retain)

    def _published(self, client: aiomqtt.Client, what: str, publishing: asyncio.Future[None]) -> None:
        self._publishing.discard(publishing)
        if publishing.cancelled() or publishing.exception() is not None:
            log.debug("%s message lost", what)
        else:
            ack_now(client)

    def _drop_publishing(self) -> None:
        # aiomqtt 2.5 leaves a QoS 1 publish waiting for its PUBACK until its timeout even when
        # the connection is gone; a device must not stall that long.
        for publishing in list(self._publishing):
            publishing.cancel()

    def _new_client(self) -> aiomqtt.Client:
        first = next(iter(self.devices))
        will = None
        if self._with_will:
            will = aiomqtt.Will(
                protocol.availability_topic(self.prefix, first),
                Availability.OFFLINE.value.encode(),
                qos=1,
                retain=True,
            )
        return aiomqtt.Client(
            **self.address.client_kwargs(self._tls_context),
            # Random suffix: a second simulator of the same blocker must not take this session
            # over (the broker would drop us, and publish our Will).
            identifier=f"sim-{first[:40]}-{uuid.uuid4().hex[:8]}",
            keepalive=self._keepalive,
            will=will,
            clean_session=True,
            timeout=5,
        )

    async def run(self) -> None:
        delay = _RECONNECT_MIN
        while True:
            await self._may_connect.wait()
            client = self._new_client()
            try:
                async with client:
                    # Subscribe before announcing `online`: the server resends pending commands
                    # when it hears `online`, and they must find us listening.
                    await client.subscribe(
                        [(protocol.command_topic(self.prefix, blocker_id), 1) for blocker_id in self.devices]
                    )
                    self._client = client
                    self._disconnected.clear()
                    self.connects += 1
                    for device in self.devices.values():
                        if device.online:
                            await device.announce()
                        else:  # switched off on a shared connection (no Will to speak for it)
                            await self.publish(
                                device.id, Kind.AVAILABILITY, Availability.OFFLINE.value.encode(), retain=True
                            )
                    self._connected.set()
                    delay = _RECONNECT_MIN
                    async for message in client.messages:
                        ack_now(client)
                        self._dispatch(message)
            except aiomqtt.MqttError as exc:
                if self._may_connect.is_set():
                    log.info("%s: connection lost (%s); reconnecting", ",".join(self.devices), exc)
            finally:
                self._client = None
                self._drop_publishing()
                self._connected.clear()
                self._disconnected.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX)

    def _dispatch(self, message: aiomqtt.Message) -> None:
        try:
            blocker_id, kind = protocol.parse_topic(self.prefix, message.topic.value)
        except ProtocolError as exc:
            log.warning("ignored message: %s", exc)
            return
        device = self.devices.get(blocker_id)
        if kind is not Kind.COMMAND or device is None or not isinstance(message.payload, bytes):
            return
        task = asyncio.create_task(device.handle_command(message.payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def wanted(self) -> bool:
        """Should be connected: always when shared, while its blocker is on otherwise."""
        return not self._with_will or any(d.online for d in self.devices.values())

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def pull_the_plug(self) -> None:
        """Drops the connection without DISCONNECT, as a power cut would: the broker then
        publishes the Will. Shutting the socket down sends a FIN that paho has not asked for;
        paho sees the connection lost, and aiomqtt's message loop ends with MqttError."""
        self._may_connect.clear()
        client = self._client
        if client is not None:
            sock = client._client.socket()
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        await self._disconnected.wait()

    def plug_in(self) -> None:
        self._may_connect.set()

    def unplug(self) -> None:
        """Keeps a connection that is not up from connecting."""
        self._may_connect.clear()

    async def close(self, *, clear_retained: bool) -> None:
        for device in self.devices.values():
            if device.online:
                await self.publish(
                    device.id, Kind.AVAILABILITY, Availability.OFFLINE.value.encode(), retain=True
                )
            if clear_retained:
                # An empty retained message deletes the retained one (test hygiene).
                await self.publish(device.id, Kind.STATE, b"", retain=True)
                await self.publish(device.id, Kind.AVAILABILITY, b"", retain=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
