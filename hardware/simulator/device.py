"""One simulated blocker controller: the reference behaviour of a device under protocol v1.

It knows nothing about connections: it is handed an `Uplink` to publish through (see
`hardware.simulator`), so the same device logic serves one connection per blocker or one
shared connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Generator
from typing import Any, Protocol

from core.clock import Clock, SystemClock
from hardware.protocol import (
    Ack,
    AckError,
    Action,
    Availability,
    Command,
    Kind,
    ProtocolError,
    State,
    WireState,
)

log = logging.getLogger("parking.hardware.simulator")

_REMEMBERED_COMMANDS = 1024  # ids whose result a repeat gets again


class Sent:
    """Awaits to whether the broker took a message. Nothing runs unless awaited, so a device
    may send without waiting (and without an un-awaited coroutine)."""

    def __init__(self, publishing: asyncio.Future[None] | None) -> None:
        self._publishing = publishing

    def __await__(self) -> Generator[Any, None, bool]:
        return self._outcome().__await__()

    async def _outcome(self) -> bool:
        if self._publishing is None:
            return False
        await asyncio.wait((self._publishing,))  # done, failed or cancelled: never raises
        return not self._publishing.cancelled() and self._publishing.exception() is None


class Uplink(Protocol):
    def send(self, blocker_id: str, kind: Kind, payload: bytes, *, retain: bool) -> Awaitable[bool]:
        """Hands a QoS 1 message over at once (messages leave in the order of these calls); the
        awaitable says whether the broker took it: False without a connection (the message is
        lost, as on a real device)."""
        ...


class SimulatedBlocker:
    """State and fault switches of one blocker; all switches may be flipped at any time."""

    def __init__(
        self,
        blocker_id: str,
        *,
        clock: Clock | None = None,
        state: WireState = WireState.RAISED,
        battery: int = 100,
        move_time: float = 0.2,
        car_arrival_delay: float | None = 1.0,
        ack_delay: float = 0.0,
        refuse_below: int = 10,
    ) -> None:
        self.id = blocker_id
        self.clock: Clock = clock or SystemClock()
        self.state = state
        self.battery = battery
        self.car_present = False
        self.move_time = move_time
        self.car_arrival_delay = car_arrival_delay  # None: no car ever arrives
        self.refuse_below = refuse_below  # battery below this refuses to move
        # Fault switches.
        self.obstacle = False  # lower/raise refused with `obstacle`
        self.obstacle_lowering_only = False  # the obstacle refuses lowering only
        self.jam = False  # the next move ends in state `fault`, refused with `jammed`
        self.ack_delay = ack_delay  # seconds between finishing a command and acking it
        # What happened, for tests.
        self.commands_received = 0
        self.duplicates = 0
        self.executed: list[str] = []  # ids that were carried out or refused, once each
        self.moves = 0
        self.acks_sent = 0
        self.online = True  # powered and meant to be connected
        self.uplink: Uplink | None = None
        self._results: OrderedDict[str, asyncio.Future[Ack]] = OrderedDict()
        self._moving = False
        # Where it rests when not moving; a repaired jam returns here.
        self._position: WireState = (
            state if state in (WireState.RAISED, WireState.LOWERED) else WireState.RAISED
        )
        self._car_task: asyncio.Task[None] | None = None
        self._last_state: bytes | None = None  # the last state report sent, for repeat_state

    # --- reports -----------------------------------------------------------------------------

    def state_message(self) -> State:
        return State(
            state=self.state, car_present=self.car_present, battery=self.battery, ts=self.clock.now()
        )

    async def publish_state(self) -> None:
        await self._report_state()

    def _report_state(self) -> Awaitable[bool]:
        # Not awaited while moving: firmware does not stop its motor for a PUBACK.
        self._last_state = self.state_message().to_json()
        return self._send(Kind.STATE, self._last_state, retain=True)

    async def repeat_state(self) -> bool:
        """Sends the last state report again, byte for byte (same `ts`): what a QoS 1
        redelivery or a reconnect's replay looks like to the server."""
        if self._last_state is None:
            return False
        return await self._send(Kind.STATE, self._last_state, retain=True)

    async def announce(self) -> None:
        """Right after (re)connecting and subscribing: `online`, then the current state."""
        self._send(Kind.AVAILABILITY, Availability.ONLINE.value.encode(), retain=True)
        await self._report_state()

    def _send(self, kind: Kind, payload: bytes, *, retain: bool) -> Awaitable[bool]:
        if self.uplink is None:
            return Sent(None)
        return self.uplink.send(self.id, kind, payload, retain=retain)

    # --- switches that change what the device reports ---------------------------------------

    async def set_battery(self, percent: int) -> None:
        if not 0 <= percent <= 100:
            raise ValueError("battery is a percentage")
        self.battery = percent
        await self.publish_state()

    async def set_jam(self, on: bool) -> None:
        """Jams the mechanism (the next move fails); clearing it is a repair that brings a
        faulty blocker back to where it was."""
        self.jam = on
        if not on and self.state is WireState.FAULT:
            self.state = self._position
            await self.publish_state()

    def set_obstacle(self, on: bool, *, lowering_only: bool = False) -> None:
        """Something in the way: moves are refused with `obstacle`. With `lowering_only`, an
        obstacle that appears before a lowering (a bollard, bags, a car nosed in on the bay):
        the blocker refuses to go down, while raising it again still works."""
        self.obstacle = on
        self.obstacle_lowering_only = on and lowering_only

    async def set_car(self, present: bool) -> None:
        """A car drives onto (True) or off (False) the bay, reported at once (whatever the
        blocker's position: a car can leave a lowered bay, or stand in front of a raised one)."""
        self._cancel_car()
        self.car_present = present
        await self.publish_state()

    # --- commands ----------------------------------------------------------------------------

    async def handle_command(self, payload: bytes) -> None:
        try:
            command = Command.from_json(payload)
        except ProtocolError as exc:
            log.warning("%s: dropped malformed command: %s", self.id, exc)
            return
        self.commands_received += 1
        if not self.online:
            return  # switched off on a shared connection: as if it never arrived
        answer = self._results.get(command.id)
        if answer is None:
            answer = asyncio.get_running_loop().create_future()
            self._remember(command.id, answer)
            try:
                answer.set_result(await self._execute(command))
            except BaseException:
                answer.cancel()
                raise
        else:
            # A repeat (the server retried, or QoS 1 redelivered): the first result, never a
            # second execution. If the first is still running, wait for it.
            self.duplicates += 1
        ack = await asyncio.shield(answer)
        if self.ack_delay > 0:
            await asyncio.sleep(self.ack_delay)
        if await self._send(Kind.ACK, ack.to_json(), retain=False):
            self.acks_sent += 1

    def _remember(self, command_id: str, answer: asyncio.Future[Ack]) -> None:
        self._results[command_id] = answer
        while len(self._results) > _REMEMBERED_COMMANDS:
            oldest, fut = next(iter(self._results.items()))
            if not fut.done():
                break
            del self._results[oldest]

    def _ack(self, command: Command, error: AckError | None = None) -> Ack:
        return Ack(id=command.id, ok=error is None, state=self.state, error=error)

    async def _execute(self, command: Command) -> Ack:
        self.executed.append(command.id)
        if self.clock.now() > command.expires_at:
            return self._ack(command, AckError.EXPIRED)
        if self._moving:
            return self._ack(command, AckError.BUSY)
        if self.state is WireState.FAULT:
            return self._ack(command, AckError.JAMMED)
        if self.battery < self.refuse_below:
            return self._ack(command, AckError.LOW_BATTERY)
        if self.obstacle and (command.action is Action.LOWER or not self.obstacle_lowering_only):
            return self._ack(command, AckError.OBSTACLE)
        target = WireState.LOWERED if command.action is Action.LOWER else WireState.RAISED
        if self.state is target:
            return self._ack(command)
        self._moving = True
        try:
            self.state = WireState.MOVING
            self._report_state()
            await asyncio.sleep(self.move_time)
        finally:
            self._moving = False
        if self.jam:
            self.state = WireState.FAULT
            self._report_state()
            return self._ack(command, AckError.JAMMED)
        self.state = self._position = target
        self.moves += 1
        self._cancel_car()
        if target is WireState.RAISED:
            self.car_present = False
        elif self.car_arrival_delay is not None:
            self._car_task = asyncio.create_task(self._car_arrives(self.car_arrival_delay))
        self._report_state()  # before the ack, which is sent after it
        return self._ack(command)

    async def _car_arrives(self, delay: float) -> None:
        await asyncio.sleep(delay)
        if self.state is WireState.LOWERED and not self.car_present:
            self.car_present = True
            await self.publish_state()

    def _cancel_car(self) -> None:
        if self._car_task is not None and not self._car_task.done():
            self._car_task.cancel()
        self._car_task = None

    async def close(self) -> None:
        task, self._car_task = self._car_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
