"""The service's side of MQTT protocol v1: one long-lived broker connection per process.

`BlockerLink` sends commands and waits for their acks, and keeps the `blockers` rows up to
date from what devices report (`ack`, `state`, `availability`; nothing else changes them).

Reconnection: aiomqtt 2.5 has none of its own, so `run()` loops around `async with Client`
catching `MqttError`, with exponential backoff and jitter, and subscribes again each time
(clean session: the broker keeps nothing for us). A fresh `Client` is made per attempt: after an
unexpected disconnect aiomqtt leaves the old `_connected` future resolved, so re-entering the
same client would not wait for the next CONNACK.

Commands survive a reconnect: each one waiting for its ack is published again, with the same
id, when the link reconnects and when its device announces `online` (a device subscribes
before it announces itself). Devices execute an id once and answer a repeat with the first
result, so a retry can never move a blocker twice; the caller gets that result if it arrives
within `ack_timeout`, and `timeout` otherwise.

Several processes (DESIGN.md §13): with `shared_group` (MQTT_SHARED_GROUP) the link speaks MQTT
v5 and takes `state` and `availability` through shared subscriptions (`$share/<group>/…`): the
broker hands each report to one process of the group, which writes it. Each process still has
plain subscriptions of its own, told apart by MQTT v5 subscription identifiers:
- `ack`: every process hears every ack and keeps those answering its own commands (ids it sent);
  the others are stray for it. Devices are unchanged (protocol v1).
- `availability`: heard by every process (rare messages) to know which devices are online
  (commands to an offline device fail at once, waiting commands are resent when their device
  comes back), but written only by the process the shared copy went to.
- a start-up snapshot of `state`: brokers differ on retained messages for shared subscriptions
  (MQTT 5 says none are sent; Mosquitto 2.0 sends them), so after each connect the link
  subscribes to `state` plainly, writes the retained reports it gets (writes are idempotent:
  reports are ordered by their `ts`), ignores live ones there (the group's share has them) and
  unsubscribes once no retained report came for `SNAPSHOT_IDLE` seconds. Retained copies on the
  shared subscription are ignored for the same reason. What changed while every process was
  down is thus learnt at start-up, as with one process.

Nothing on the blocker topics is trusted blindly (the broker's ACL is the first defence: see
deploy/mosquitto/). A `state` older than the last one applied, or stamped more than
`MAX_STATE_AHEAD` ahead of the server's clock, is dropped. An answered command is remembered
for a while: a second ack for it that disagrees with the first (one of them forged, or a device
that contradicts itself) is trusted if it is the failure, and reported through
`on_ack_conflict` so that admins are alerted and a driver who was told "park now" learns the
truth. Each drop is logged once, at WARNING, rate-limited, without the raw payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import ssl
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, Literal, Self

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core import metrics
from core.blockers import LOW_BATTERY_PERCENT, AckConflict, CommandResult, CommandStatus
from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import Database
from core.models import BlockerState
from hardware import protocol
from hardware.broker import BrokerAddress, ack_now
from hardware.ingest import BlockerWriter, HealthCallback, RowUpdate, WriterStats
from hardware.protocol import Ack, Action, Availability, Command, Kind, ProtocolError, State

log = logging.getLogger("parking.hardware.link")

# Retained messages come in the order of the subscriptions: availability first, so that a
# blocker's health is first judged with its online flag known, not the table's default.
_SUBSCRIPTION_ORDER = (Kind.AVAILABILITY, Kind.STATE, Kind.ACK)
_WARNINGS_PER_MINUTE = 20
# MQTT v5 subscription identifiers (shared mode): which subscription brought a message.
_SUB_OWN = 1  # plain `ack` and `availability`: every process
_SUB_SNAPSHOT = 2  # plain `state`, retained reports only, for a while after connecting
_SUB_SHARED = 3  # `$share/<group>/…` `state` and `availability`: one process of the group
# The start-up snapshot ends once no retained report came for this long (they come at once).
SNAPSHOT_IDLE = 1.0
# A stopping link in a shared group leaves the group first, then takes what the broker had
# handed it already until none came for LEAVE_IDLE seconds (at most LEAVE_MAX in all).
LEAVE_IDLE = 0.2
LEAVE_MAX = 3.0
# A device's clock may run a little fast; a report from further ahead would block every real
# one until that time (reports older than the last applied are dropped).
MAX_STATE_AHEAD = timedelta(minutes=5)
# Answered commands remembered to catch a contradicting second ack.
_ANSWERED_KEPT = 1024
_ANSWERED_SECONDS = 600.0

# Called with each contradicting second ack (plain function or coroutine function).
AckConflictCallback = Callable[[AckConflict], Awaitable[None] | None]
# How long an ack may still come after its command timed out (a slow move) and be reported.
LATE_ACK_WINDOW = 300.0
_LATE_REMEMBERED = 1000

# Told of an ack that came after its caller stopped waiting: the result, the action, the booking.
LateAckListener = Callable[[CommandResult, Action, int | None], Awaitable[None]]


@dataclass(slots=True)
class LinkStats:
    connects: int = 0
    received: int = 0
    reports: int = 0  # `state` reports taken to be written (dropped ones not counted)
    dropped: int = 0  # malformed payloads, unexpected topics
    stray_acks: int = 0  # acks for no command of ours (late, another process's, forged)
    ack_conflicts: int = 0  # second acks contradicting the first
    future_states: int = 0  # states stamped more than MAX_STATE_AHEAD ahead
    commands_sent: int = 0
    commands_resent: int = 0
    shared_ignored: int = 0  # copies another subscription handles (shared mode)
    snapshots: int = 0  # start-up snapshots of retained `state` completed (shared mode)
    first_received_at: float | None = None  # time.perf_counter() of the first message
    last_received_at: float | None = None


@dataclass(slots=True)
class _Pending:
    blocker_id: str
    command: Command
    payload: bytes
    answer: asyncio.Future[Ack | None]  # None: the link stopped


@dataclass(slots=True)
class _Answered:
    blocker_id: str
    command: Command
    ack: Ack
    at: float  # time.monotonic()
    disputed: bool = False


@dataclass(slots=True)
class _Late:
    """A command whose caller stopped waiting; its ack may still come."""

    blocker_id: str
    command: Command
    started: float  # loop time the command was issued
    until: float  # loop time after which its ack is no longer reported


class _WarningBudget:
    """Caps warnings about bad messages, so a misbehaving device cannot flood the log."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._window = 0.0
        self._used = 0
        self._suppressed = 0

    def warn(self, msg: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._window >= 60:
            if self._suppressed:
                log.warning("%d similar warnings suppressed in the last minute", self._suppressed)
            self._window, self._used, self._suppressed = now, 0, 0
        if self._used < self._per_minute:
            self._used += 1
            log.warning(msg, *args)
        else:
            self._suppressed += 1


class BlockerLink:
    def __init__(
        self,
        db: Database,
        *,
        url: str = "mqtt://127.0.0.1:1883",
        prefix: str = "parking",
        ack_timeout: float = 10.0,
        clock: Clock | None = None,
        on_health_change: HealthCallback | None = None,
        low_battery: int = LOW_BATTERY_PERCENT,
        keepalive: int = 15,
        reconnect_min: float = 0.5,
        reconnect_max: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        identifier: str | None = None,
        flush_delay: float = 0.05,
        on_ack_conflict: AckConflictCallback | None = None,
        shared_group: str = "",
    ) -> None:
        if ack_timeout <= 0:
            raise ValueError("ack_timeout must be positive")
        protocol.wildcard(prefix, Kind.ACK)  # validates the prefix early
        self.prefix = prefix
        self.ack_timeout = ack_timeout
        self.address = BrokerAddress.from_url(url)
        if shared_group and any(c in shared_group for c in "/+#$ "):
            raise ValueError("shared_group must be one topic level without wildcards")
        self.shared_group = shared_group
        self._heard_at = 0.0  # loop time the last message came in (leaving the group waits on it)
        self.stats = LinkStats()
        self._clock: Clock = clock or SystemClock()
        self._keepalive = keepalive
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self._tls_context = tls_context
        self._identifier = identifier or f"parking-link-{uuid.uuid4().hex[:12]}"
        self._warnings = _WarningBudget(_WARNINGS_PER_MINUTE)
        self._writer = BlockerWriter(
            db,
            on_health_change=on_health_change,
            low_battery=low_battery,
            flush_delay=flush_delay,
            warn=self._warnings.warn,
            shared=bool(shared_group),
        )
        self._on_ack_conflict = on_ack_conflict
        self._answered: OrderedDict[str, _Answered] = OrderedDict()
        self._callbacks: set[asyncio.Task[None]] = set()
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._pending: dict[str, _Pending] = {}
        self._late: dict[str, _Late] = {}
        # Told, in a task of their own, when an ack comes after its command timed out.
        self.late_ack_listeners: list[LateAckListener] = []
        self._late_tasks: set[asyncio.Task[None]] = set()
        # Last `availability` heard per blocker: True online, False offline (Last Will).
        self._availability: dict[str, bool] = {}
        self._publishing: set[asyncio.Task[None]] = set()  # publishes over the current connection
        self._task: asyncio.Task[None] | None = None
        self._snapshot_heard = 0.0  # loop time of the last retained report of the snapshot

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, **kwargs: Any) -> BlockerLink:
        """MQTT_URL, MQTT_TOPIC_PREFIX, MQTT_SHARED_GROUP and ACK_TIMEOUT_SECONDS; other
        arguments as given."""
        kwargs.setdefault("shared_group", settings.mqtt_shared_group)
        return cls(
            db,
            url=settings.mqtt_url,
            prefix=settings.mqtt_topic_prefix,
            ack_timeout=settings.ack_timeout_seconds,
            **kwargs,
        )

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Runs the link in a background task; returns at once (see `wait_connected`)."""
        if self._task is not None and not self._task.done():
            raise RuntimeError("the link is already running")
        self._task = asyncio.create_task(self.run(), name="blocker-link")

    async def stop(self) -> None:
        """Leaves its shared group (if any) without losing its share, disconnects, answers
        commands still waiting with `timeout`, writes what is buffered."""
        task, self._task = self._task, None
        if task is not None:
            await self._leave_group()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def run(self) -> None:
        """The link's life: until cancelled (or `stop()`)."""
        writer = asyncio.create_task(self._writer.run(), name="blocker-writer")
        try:
            await self._connection_loop()
        finally:
            for pending in self._pending.values():
                if not pending.answer.done():
                    pending.answer.set_result(None)
            self._cancel_publishing()
            for task in list(self._late_tasks):
                task.cancel()
            try:
                async with asyncio.timeout(5):
                    await self._writer.flush()
                    await self._writer.drain_alerts()
                    if self._callbacks:
                        await asyncio.wait(list(self._callbacks))
            except TimeoutError:
                log.warning("stopping with %d blocker updates unwritten", self._writer.backlog)
            finally:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        """Returns once connected and subscribed (bound it with `asyncio.timeout`)."""
        await self._connected.wait()

    async def _connected_within(self, seconds: float) -> bool:
        if self._connected.is_set():
            return True
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(self._connected.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def flush(self) -> None:
        """Returns once every update received so far is committed to the database (bound it
        with `asyncio.timeout`: it waits through database outages)."""
        await self._writer.flush()

    def availability(self, blocker_id: str) -> bool | None:
        """The last `availability` heard since (re)connecting: True online, False offline,
        None nothing yet."""
        return self._availability.get(blocker_id)

    def known_offline(self, blocker_id: str) -> bool:
        """The last `availability` this link heard from the blocker was `offline`."""
        return self._availability.get(blocker_id) is False

    @property
    def writer_stats(self) -> WriterStats:
        """Database side: flushes, rows written, updates from unregistered blockers."""
        return self._writer.stats

    # --- connection ------------------------------------------------------------------------

    def _new_client(self) -> aiomqtt.Client:
        if self.shared_group:
            # MQTT v5: a clean start and no session expiry is v3.1.1's clean session.
            return aiomqtt.Client(
                **self.address.client_kwargs(self._tls_context),
                identifier=self._identifier,
                keepalive=self._keepalive,
                protocol=aiomqtt.ProtocolVersion.V5,
                clean_start=True,
                timeout=10,
            )
        return aiomqtt.Client(
            **self.address.client_kwargs(self._tls_context),
            identifier=self._identifier,
            keepalive=self._keepalive,
            clean_session=True,
            timeout=10,
        )

    def _shared_topic(self, kind: Kind) -> str:
        return f"$share/{self.shared_group}/{protocol.wildcard(self.prefix, kind)}"

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        if not self.shared_group:
            topics = [(protocol.wildcard(self.prefix, kind), 1) for kind in _SUBSCRIPTION_ORDER]
            await client.subscribe(topics)
            return
        # In this order: retained availability before retained state (see _SUBSCRIPTION_ORDER).
        own = [(protocol.wildcard(self.prefix, kind), 1) for kind in (Kind.AVAILABILITY, Kind.ACK)]
        self._snapshot_heard = asyncio.get_running_loop().time()
        for subscription, topics in (
            (_SUB_OWN, own),
            (_SUB_SNAPSHOT, [(protocol.wildcard(self.prefix, Kind.STATE), 1)]),
            (_SUB_SHARED, [(self._shared_topic(kind), 1) for kind in (Kind.AVAILABILITY, Kind.STATE)]),
        ):
            properties = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]  # paho
            properties.SubscriptionIdentifier = subscription
            granted = await client.subscribe(topics, properties=properties)
            refused = [code for code in granted if not isinstance(code, int) and code.is_failure]
            if refused:
                # A broker without shared subscriptions (or an ACL refusing them) would leave
                # this process deaf to reports: say so and retry like any other failure.
                raise aiomqtt.MqttError(
                    f"broker refused subscription {topics[0][0]!r} ({refused[0]}); shared "
                    "subscriptions need MQTT v5 (Mosquitto >= 1.6, EMQX) or MQTT_SHARED_GROUP empty"
                )

    async def _end_snapshot(self, client: aiomqtt.Client) -> None:
        """Leaves the plain `state` subscription once its retained reports have stopped coming."""
        loop = asyncio.get_running_loop()
        # A deadline pushed back by each retained report, not an event to wait for.
        while (wait := self._snapshot_heard + SNAPSHOT_IDLE - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        try:
            await client.unsubscribe(protocol.wildcard(self.prefix, Kind.STATE))
        except aiomqtt.MqttError as exc:  # the connection's end; the next one takes a new snapshot
            log.debug("snapshot subscription not ended: %s", exc)
            return
        self.stats.snapshots += 1
        log.info("retained blocker states read; reports now shared in group %r", self.shared_group)

    async def _leave_group(self) -> None:
        """Shared mode, before disconnecting: the broker stops handing this process reports
        (an UNSUBSCRIBE of the shared topics), and those it had handed already are taken and
        written. A disconnect alone lost them: the broker does not pass a leaving member's
        unacknowledged messages to the others, and a report not re-sent stays lost until the
        device's next one (a rolling restart, tests/hardware/test_shared_group.py)."""
        client = self._client
        if not self.shared_group or client is None:
            return
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(LEAVE_MAX):
                await client.unsubscribe(
                    [self._shared_topic(kind) for kind in (Kind.AVAILABILITY, Kind.STATE)]
                )
                self._heard_at = loop.time()
                # A deadline pushed back by each message still coming in, not an event.
                while (wait := self._heard_at + LEAVE_IDLE - loop.time()) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(wait)
        except (aiomqtt.MqttError, TimeoutError) as exc:  # going anyway
            log.debug("left shared group %r abruptly: %s", self.shared_group, repr(exc)[:200])
        else:
            log.debug("left shared group %r", self.shared_group)

    async def _connection_loop(self) -> None:
        delay = self._reconnect_min
        while True:
            client = self._new_client()
            snapshot: asyncio.Task[None] | None = None
            try:
                async with client:
                    await self._subscribe(client)
                    if self.shared_group:
                        snapshot = asyncio.create_task(self._end_snapshot(client))
                    self._client = client
                    # What we knew may be stale now; the retained messages just subscribed to
                    # will tell again.
                    self._availability.clear()
                    self._connected.set()
                    self.stats.connects += 1
                    delay = self._reconnect_min
                    log.info(
                        "MQTT link connected to %s (prefix %r%s)",
                        self.address,
                        self.prefix,
                        f", shared group {self.shared_group!r}" if self.shared_group else "",
                    )
                    for pending in list(self._pending.values()):
                        self._resend(pending, "reconnected")
                    async for message in client.messages:
                        ack_now(client)  # see hardware.broker: the broker's next message waits
                        self._heard_at = asyncio.get_running_loop().time()
                        if self.shared_group:
                            self._on_shared_mode_message(message)
                        else:
                            self._on_message(message)
            except aiomqtt.MqttError as exc:
                log.warning("MQTT link to %s down: %s; retrying in %.1fs", self.address, exc, delay)
            finally:
                if snapshot is not None:
                    snapshot.cancel()
                self._client = None
                self._connected.clear()
                # aiomqtt 2.5 would leave them waiting for PUBACKs that cannot come; the
                # commands concerned are sent again after reconnecting.
                self._cancel_publishing()
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self._reconnect_max)

    # --- incoming --------------------------------------------------------------------------

    def _on_shared_mode_message(self, message: aiomqtt.Message) -> None:
        """Routes a copy by the subscription that brought it (see the module's docstring)."""
        ids = set(getattr(message.properties, "SubscriptionIdentifier", None) or ())
        kind = message.topic.value.rsplit("/", 1)[-1]
        if _SUB_SHARED in ids and not message.retain:
            self._on_message(message, write=True)
        elif _SUB_OWN in ids and kind == Kind.AVAILABILITY.value:
            # Every process hears it; the retained one (at start-up) is written by each.
            self._on_message(message, write=message.retain)
        elif _SUB_OWN in ids or (_SUB_SNAPSHOT in ids and message.retain):
            if _SUB_SNAPSHOT in ids:
                self._snapshot_heard = asyncio.get_running_loop().time()
            self._on_message(message)
        else:  # a live copy on the snapshot subscription, a retained one on the shared one
            self.stats.shared_ignored += 1

    def _on_message(self, message: aiomqtt.Message, *, write: bool = True) -> None:
        now = time.perf_counter()
        if self.stats.first_received_at is None:
            self.stats.first_received_at = now
        self.stats.last_received_at = now
        self.stats.received += 1
        name = message.topic.value
        try:
            blocker_id, kind = protocol.parse_topic(self.prefix, name)
            if kind is Kind.COMMAND:
                raise ProtocolError(f"unexpected command topic {name!r}")
            payload = message.payload
            if not isinstance(payload, bytes | str):
                raise ProtocolError("payload is not bytes")
            if not payload and kind is not Kind.ACK:
                # An empty retained message deletes the retained one: housekeeping, not a report.
                log.debug("retained message on %r cleared", name)
                return
            decoded = protocol.decode(kind, payload)
        except ProtocolError as exc:
            self.stats.dropped += 1
            self._warnings.warn("dropped MQTT message on %r: %s", name[:120], exc)
            return
        try:
            if isinstance(decoded, Availability):
                self._on_availability(blocker_id, decoded, write=write)
            elif isinstance(decoded, State):
                self._on_state(blocker_id, decoded)
            elif isinstance(decoded, Ack):
                self._on_ack(blocker_id, decoded)
        except Exception:  # a bug in handling one message must not take the link down
            self.stats.dropped += 1
            log.exception("failed to handle MQTT message on %r", name[:120])

    def _on_availability(self, blocker_id: str, availability: Availability, *, write: bool = True) -> None:
        online = availability is Availability.ONLINE
        was_online = self._availability.get(blocker_id) is True
        self._availability[blocker_id] = online
        if write:
            # A Last Will says nothing about when the device was last heard from.
            self._writer.put(
                blocker_id, RowUpdate(online=online, last_seen=self._clock.now() if online else None)
            )
        if online and not was_online:
            # The device has just (re)connected and may have missed what we sent before.
            for pending in list(self._pending.values()):
                if pending.blocker_id == blocker_id:
                    self._resend(pending, "device came online")

    def _on_state(self, blocker_id: str, state: State) -> None:
        now = self._clock.now()
        if state.ts - now > MAX_STATE_AHEAD:
            self.stats.dropped += 1
            self.stats.future_states += 1
            self._warnings.warn(
                "dropped a state report from blocker %s stamped %s: more than %d s ahead of the server clock",
                repr(blocker_id)[:80],
                protocol.format_utc(state.ts),
                MAX_STATE_AHEAD.total_seconds(),
            )
            return
        self.stats.reports += 1
        self._writer.put(
            blocker_id,
            RowUpdate(
                state=BlockerState(state.state.value),
                battery=state.battery,
                car_present=state.car_present,
                last_seen=now,
                state_ts=state.ts,
                gone_since=None if state.car_present else state.ts,
            ),
        )

    def _on_ack(self, blocker_id: str, ack: Ack) -> None:
        pending = self._pending.get(ack.id)
        if pending is None and self._on_late_ack(blocker_id, ack):
            return
        if pending is None or pending.blocker_id != blocker_id or pending.answer.done():
            if self._second_ack(blocker_id, ack):
                return
            # A late or repeated ack may carry an old state: it must not overwrite a newer one.
            self.stats.stray_acks += 1
            log.debug("ack %s from %r matches no waiting command", ack.id, blocker_id)
            return
        pending.answer.set_result(ack)
        self._remember_answer(pending, ack)
        self._writer.put(
            blocker_id, RowUpdate(state=BlockerState(ack.state.value), last_seen=self._clock.now())
        )

    def _remember_answer(self, pending: _Pending, ack: Ack) -> None:
        now = time.monotonic()
        self._answered[ack.id] = _Answered(pending.blocker_id, pending.command, ack, now)
        while self._answered:
            oldest = next(iter(self._answered.values()))
            if len(self._answered) <= _ANSWERED_KEPT and now - oldest.at < _ANSWERED_SECONDS:
                break
            self._answered.popitem(last=False)

    def _second_ack(self, blocker_id: str, ack: Ack) -> bool:
        """Handles another ack for a command already answered; False if there was none."""
        answered = self._answered.get(ack.id)
        if answered is None or answered.blocker_id != blocker_id:
            return False
        first = answered.ack
        if (first.ok, first.error) == (ack.ok, ack.error):
            log.debug("repeated ack %s from %s", ack.id, repr(blocker_id)[:80])
            return True
        if answered.disputed:  # alerted already: once per command
            return True
        answered.disputed = True
        self.stats.ack_conflicts += 1
        # One of the two is forged, or the device contradicts itself: the safe reading is that
        # the blocker did not do what was asked.
        failure = ack if not ack.ok else first
        log.warning(
            "blocker %s answered command %s twice and differently (%s, then %s): trusting the "
            "failure, admins alerted",
            repr(blocker_id)[:80],
            ack.id,
            _outcome(first).value,
            _outcome(ack).value,
        )
        self._writer.put(
            blocker_id, RowUpdate(state=BlockerState(failure.state.value), last_seen=self._clock.now())
        )
        conflict = AckConflict(
            blocker_id=blocker_id,
            command_id=ack.id,
            action=answered.command.action.value,
            reservation_id=answered.command.reservation_id,
            first=_outcome(first),
            second=_outcome(ack),
        )
        if self._on_ack_conflict is not None:
            task = asyncio.create_task(self._report_conflict(self._on_ack_conflict, conflict))
            self._callbacks.add(task)
            task.add_done_callback(self._callbacks.discard)
        return True

    async def _report_conflict(self, callback: AckConflictCallback, conflict: AckConflict) -> None:
        try:
            result = callback(conflict)
            if inspect.isawaitable(result):
                await result
        except Exception:  # a broken callback must not stop the link
            log.exception("ack conflict callback failed for blocker %s", repr(conflict.blocker_id)[:80])

    def _on_late_ack(self, blocker_id: str, ack: Ack) -> bool:
        """An ack for a command of ours that timed out: its outcome goes to the listeners (the
        driver was told "no answer" and must learn what happened). The state it carries may be
        older than a `state` report already written, so it is not written here."""
        late = self._late.get(ack.id)
        if late is None or late.blocker_id != blocker_id:
            return False
        del self._late[ack.id]
        loop = asyncio.get_running_loop()
        if loop.time() > late.until:
            return False
        status = CommandStatus.OK if ack.ok else CommandStatus(ack.error.value if ack.error else "jammed")
        result = CommandResult(
            status=status,
            blocker_id=blocker_id,
            command_id=ack.id,
            state=BlockerState(ack.state.value),
            elapsed=loop.time() - late.started,
        )
        for listener in self.late_ack_listeners:
            task = asyncio.create_task(self._tell_late(listener, result, late))
            self._late_tasks.add(task)
            task.add_done_callback(self._late_tasks.discard)
        return True

    async def _tell_late(self, listener: LateAckListener, result: CommandResult, late: _Late) -> None:
        try:
            await listener(result, late.command.action, late.command.reservation_id)
        except Exception:  # one listener's failure must not touch the link
            log.exception("late ack listener failed for command %s", late.command.id)

    def _remember_late(self, pending: _Pending, started: float) -> None:
        now = asyncio.get_running_loop().time()
        for command_id in [c for c, late in self._late.items() if late.until < now]:
            del self._late[command_id]
        while len(self._late) >= _LATE_REMEMBERED:
            del self._late[next(iter(self._late))]
        self._late[pending.command.id] = _Late(
            pending.blocker_id, pending.command, started, now + LATE_ACK_WINDOW
        )

    # --- commands --------------------------------------------------------------------------

    async def command(
        self,
        blocker_id: str,
        action: Action | Literal["lower", "raise"],
        reservation_id: int | None = None,
    ) -> CommandResult:
        """Asks the blocker to move and waits up to `ack_timeout` in all for its answer."""
        result = await self._command(blocker_id, action, reservation_id)
        kind = Action(action).value
        metrics.BLOCKER_COMMANDS.labels(kind, result.status.value).inc()
        if result.state is not None:  # answered by the device: a round trip
            metrics.BLOCKER_COMMAND_SECONDS.labels(kind).observe(result.elapsed)
        return result

    async def _command(
        self,
        blocker_id: str,
        action: Action | Literal["lower", "raise"],
        reservation_id: int | None,
    ) -> CommandResult:
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self.ack_timeout
        protocol.check_blocker_id(blocker_id)
        action = Action(action)

        def result(
            status: CommandStatus, command_id: str | None = None, ack: Ack | None = None
        ) -> CommandResult:
            return CommandResult(
                status=status,
                blocker_id=blocker_id,
                command_id=command_id,
                state=BlockerState(ack.state.value) if ack is not None else None,
                elapsed=loop.time() - started,
            )

        if self.known_offline(blocker_id):
            return result(CommandStatus.OFFLINE)
        command = protocol.new_command(
            command_id=str(uuid.uuid4()),
            action=action,
            reservation_id=reservation_id,
            now=self._clock.now(),
            timeout=self.ack_timeout,
        )
        if not await self._connected_within(deadline - loop.time()):
            return result(CommandStatus.NOT_CONNECTED)
        if self.known_offline(blocker_id):  # learnt while waiting for the connection
            return result(CommandStatus.OFFLINE)
        pending = _Pending(blocker_id, command, command.to_json(), loop.create_future())
        self._pending[command.id] = pending
        try:
            # The ack, not the broker's PUBACK, is what the caller waits for: a publish cut
            # short by a disconnect is retried, and an answer to a retry must get through.
            self._start_publish(pending)
            self.stats.commands_sent += 1
            ack = await asyncio.wait_for(asyncio.shield(pending.answer), max(deadline - loop.time(), 0))
        except TimeoutError:
            self._remember_late(pending, started)
            return result(CommandStatus.TIMEOUT, command.id)
        finally:
            self._pending.pop(command.id, None)
        if ack is None:
            return result(CommandStatus.TIMEOUT, command.id)
        return result(_outcome(ack), command.id, ack)

    def _start_publish(self, pending: _Pending) -> None:
        client = self._client
        if client is None:
            return  # sent on reconnection
        task = asyncio.create_task(self._publish(client, pending))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    def _cancel_publishing(self) -> None:
        for task in list(self._publishing):
            task.cancel()
        self._publishing.clear()

    async def _publish(self, client: aiomqtt.Client, pending: _Pending) -> None:
        """A failure is only logged: the command is sent again after the next reconnect while
        its caller keeps waiting."""
        try:
            await client.publish(
                protocol.command_topic(self.prefix, pending.blocker_id),
                pending.payload,
                qos=1,
                timeout=self.ack_timeout,
            )
            ack_now(client)
        except aiomqtt.MqttError as exc:
            log.warning(
                "command %s to %r not confirmed by the broker: %s",
                pending.command.id,
                pending.blocker_id,
                exc,
            )

    def _resend(self, pending: _Pending, why: str) -> None:
        if pending.answer.done() or self._clock.now() >= pending.command.expires_at:
            return
        self.stats.commands_resent += 1
        log.info("sending command %s to %r again (%s)", pending.command.id, pending.blocker_id, why)
        self._start_publish(pending)


def _outcome(ack: Ack) -> CommandStatus:
    if ack.ok:
        return CommandStatus.OK
    assert ack.error is not None  # the Ack model guarantees it
    return CommandStatus(ack.error.value)
