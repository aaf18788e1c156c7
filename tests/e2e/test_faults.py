"""Faults under load (issue 17): two `python main.py run` processes in webhook mode behind
nginx, on a PostgreSQL, a Redis and a Mosquitto of this module's own (tests/faults.py), while
drivers book and pay from their wallets through the Bot API fake and the outbox sends a batch
of notifications. Mid-load one thing breaks: the process sending the outbox is killed with
SIGKILL, PostgreSQL restarts, Mosquitto restarts, Redis restarts empty. After each, the
invariants hold (tests/faults.py `check_invariants`: no overlapping reservations, wallet
ledgers that add up, every paid booking confirmed, every due notification sent) and every
notification reached its chat exactly once, a second time only if its send was in flight
when the fault struck."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from core.db import Database
from core.migrate import upgrade_to_head
from core.models import Blocker, Notification, NotificationStatus, Spot, WalletTxKind
from core.notifications import NotificationKind
from core.services import outbox, wallet
from demo.botapi import FakeUser, TelegramFake
from hardware.protocol import WireState
from hardware.simulator import Simulator
from tests.cluster import (
    Proxy,
    Service,
    bot_token,
    free_port,
    nginx,
    nginx_binary,
    service_environment,
    start_service,
    stop_service,
    updates_handled,
    wait_serving,
)
from tests.factories import make_premise, make_user
from tests.faults import (
    ERROR_TEXT,
    KillableServer,
    PrivatePostgres,
    book_until_paid,
    check_invariants,
    lease_holder,
    missing_servers,
    outbox_settled,
    private_mosquitto,
    private_postgres,
    private_redis,
    sends_by_chat,
    settled_before,
)
from tests.services import unavailable
from tests.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.mqtt]

LAT, LON = 50.4501, 30.5234
GARAGES = ("North Garage", "South Garage")
SPOTS = 30  # per garage: every booking of the module (and the holds of retried walks) fits
WAIT = 60.0  # seconds; generous, for a loaded machine


@dataclass
class Stack:
    pg: PrivatePostgres
    redis: KillableServer
    mqtt: KillableServer
    db: Database
    tg: TelegramFake
    proxy: Proxy
    sim: Simulator
    env: dict[str, str]
    directory: Path
    processes: list[Service]
    blockers: dict[int, str]  # spot id -> blocker id
    _next_chat: int = 7000
    _starts: int = 0
    http: aiohttp.ClientSession = field(default_factory=aiohttp.ClientSession)

    async def ensure_running(self) -> None:
        """Both processes serving: one a test killed is started again, on its port."""
        restarted = []
        for i, p in enumerate(self.processes):
            if p.process.returncode is not None:
                self._starts += 1
                log = self.directory / f"{p.name}.{self._starts}.log"
                self.processes[i] = await start_service(self.directory, self.env, p.name, p.port, log)
                restarted.append(self.processes[i])
        await wait_serving(restarted)

    async def drivers(self, n: int) -> list[FakeUser]:
        """`n` new drivers, registered and with money in their wallets (as if topped up)."""
        users = []
        async with self.db.transaction() as s:
            for _ in range(n):
                self._next_chat += 1
                user = await make_user(s, telegram_id=self._next_chat, name=f"Driver{self._next_chat}")
                now = datetime.now(UTC)
                await wallet.credit(
                    s, user.id, 2000, "EUR", kind=WalletTxKind.ADJUSTMENT, reference="test", now=now
                )
                users.append(self.tg.user(self._next_chat, f"Driver{self._next_chat}"))
        return users

    async def notifications(self, n: int) -> dict[int, int]:
        """`n` notifications due now, one per new chat: {chat id: notification id}."""
        queued: dict[int, int] = {}
        async with self.db.transaction() as s:
            for _ in range(n):
                self._next_chat += 1
                user = await make_user(s, telegram_id=self._next_chat, name=f"Reader{self._next_chat}")
                self.tg.user(self._next_chat, f"Reader{self._next_chat}")
                note = await outbox.notify(
                    s, user.id, NotificationKind.CARD_SAVED, {"brand": "visa", "last4": "4242"},
                    now=datetime.now(UTC),
                )  # fmt: skip
                assert note is not None
                queued[self._next_chat] = note.id
        return queued

    async def sending(self) -> set[int]:
        """The notifications claimed by a dispatcher and not yet recorded."""
        async with self.db.read() as s:
            return set(
                await s.scalars(
                    select(Notification.id).where(Notification.status == NotificationStatus.SENDING)
                )
            )

    async def all_sent(self, ids: set[int]) -> bool:
        async with self.db.read() as s:
            rows = await s.scalars(select(Notification.status).where(Notification.id.in_(ids)))
            return set(rows) <= {NotificationStatus.SENT}

    async def healthy(self, service: Service) -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            async with self.http.get(f"{service.url}/healthz") as resp:
                return resp.status == 200
        return False


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The servers, nginx, the Bot API fake, one simulated blocker per spot and two processes,
    started once for the module (a process a test kills is started again by the next)."""
    if (reason := missing_servers()) is not None:
        unavailable(reason)
    if nginx_binary() is None:
        unavailable("nginx or openssl is not installed (Debian: apt-get install nginx-light openssl)")
    directory = tmp_path_factory.mktemp("faults")
    token = bot_token()
    prefix = f"flt{uuid.uuid4().hex[:8]}"
    async with private_postgres() as pg, private_redis() as redis, private_mosquitto() as mqtt:
        url = pg.url()
        await asyncio.to_thread(upgrade_to_head, url)  # as deploy/'s migrate job, before the processes
        db = Database.from_url(url)
        blockers: dict[int, str] = {}
        async with db.transaction() as s:
            for i, name in enumerate(GARAGES):
                premise = await make_premise(
                    s, lat=LAT + i * 0.001, lon=LON, spots=SPOTS, price_per_hour=250, name=name
                )
                for spot_id in await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id)):
                    blockers[spot_id] = f"FLT-{spot_id}"
                    s.add(Blocker(id=blockers[spot_id], spot_id=spot_id))
        ports = [free_port(), free_port()]
        mqtt_url = f"mqtt://127.0.0.1:{mqtt.port}"
        try:
            async with (
                nginx(directory / "nginx", ports) as proxy,
                TelegramFake(token, webhook_ssl=proxy.ssl) as tg,
                Simulator(
                    mqtt_url, prefix, list(blockers.values()), move_time=0.02, car_arrival_delay=None,
                    shared_connection=True,
                ) as sim,
            ):  # fmt: skip
                env = service_environment(
                    token=token,
                    api_base=tg.base_url,
                    database_url=url,
                    redis_url=f"redis://127.0.0.1:{redis.port}/0",
                    public_url=proxy.url,
                ) | {"MQTT_URL": mqtt_url, "MQTT_TOPIC_PREFIX": prefix, "SWEEP_INTERVAL_SECONDS": "1"}
                web = directory / "web"
                web.mkdir()
                processes = [
                    await start_service(web, env, f"web-{i + 1}", port, web / f"web-{i + 1}.log")
                    for i, port in enumerate(ports)
                ]
                stack = Stack(pg, redis, mqtt, db, tg, proxy, sim, env, web, processes, blockers)
                try:
                    await wait_serving(processes)
                    yield stack
                finally:
                    for p in stack.processes:
                        await stop_service(p)
                    await stack.http.close()
                assert tg.violations == [], tg.violations
        finally:
            await db.dispose()


async def _load(stack: Stack, drivers: list[FakeUser]) -> None:
    """The drivers book at once, half at each garage, each until paid."""
    await asyncio.gather(
        *(book_until_paid(stack.tg, user, GARAGES[i % 2], (LAT, LON)) for i, user in enumerate(drivers))
    )


async def _settled(stack: Stack, queued: dict[int, int], drivers: list[FakeUser]) -> None:
    """Every notification sent and the drivers told of their confirmed booking; then the
    invariants."""
    due_before = settled_before()
    try:
        await eventually(lambda: stack.all_sent(set(queued.values())), WAIT, "every queued notification sent")
        await eventually(lambda: outbox_settled(stack.db, due_before), WAIT, "nothing due left in the outbox")
    finally:
        await check_invariants(stack.db, due_before)  # names what is left, if anything
    for user in drivers:
        await eventually(
            lambda u=user: any("booking confirmed" in m.text for m in u.messages),
            WAIT,
            f"{user.first_name} told the booking is confirmed",
        )


async def _exactly_once(
    stack: Stack, queued: dict[int, int], drivers: list[FakeUser], in_flight: set[int]
) -> None:
    """Each queued notification reached its chat once; twice at most, and only if its send
    was in flight when the fault struck: claimed then (`in_flight`), or claimed again after
    it (attempts > 1: the dispatcher's take-over counts a send that had left without an
    outcome recorded, and sends it again)."""
    async with stack.db.read() as s:
        attempts = dict(
            (
                await s.execute(
                    select(Notification.id, Notification.attempts).where(Notification.id.in_(queued.values()))
                )
            )
            .tuples()
            .all()
        )
    sent = sends_by_chat(stack.tg)
    wrong = {
        (chat, note, attempts.get(note)): sent[chat]
        for chat, note in queued.items()
        if not (sent[chat] == 1 or (sent[chat] == 2 and (note in in_flight or attempts.get(note, 0) > 1)))
    }
    assert not wrong, f"(chat, notification, attempts) sent another number of times than once: {wrong}"
    for user in drivers:
        confirmations = sum("booking confirmed" in m.text for m in user.messages)
        assert confirmations == 1 or (confirmations == 2 and in_flight), (user.first_name, confirmations)


async def test_the_sender_killed_with_sigkill_mid_load_another_process_takes_over(stack: Stack) -> None:
    """The process holding the outbox lease dies mid-send: the survivor takes the lease
    within seconds and sends the rest, the dead one's claimed rows included; nginx passes
    every update to the survivor; every driver's booking completes."""
    await stack.ensure_running()
    logged = {p.name: len(p.output()) for p in stack.processes}
    queued = await stack.notifications(240)  # about 8 s of sending at 29.5 a second
    drivers = await stack.drivers(6)
    load = asyncio.create_task(_load(stack, drivers))
    try:
        await eventually(
            lambda: sum(sends_by_chat(stack.tg)[c] for c in queued) >= 30, WAIT, "the outbox sending"
        )
        holder = lease_holder(stack.processes)
        assert holder is not None, [p.output()[-2000:] for p in stack.processes]
        holder.process.send_signal(signal.SIGKILL)
        await holder.process.wait()
        in_flight = await stack.sending()  # claimed by the dead holder, outcome never recorded
        survivor = next(p for p in stack.processes if p is not holder)
        await eventually(lambda: lease_holder(stack.processes) is survivor, WAIT, "the survivor sending")
        # The dead holder's claimed rows are sent again at once by the new holder, not after
        # their two-minute claim runs out (jobs/dispatcher.py).
        await eventually(lambda: stack.all_sent(set(queued.values())), 30, "the dead holder's rows sent")
        await load
    finally:
        load.cancel()
    await _settled(stack, queued, drivers)
    await _exactly_once(stack, queued, drivers, in_flight)
    assert survivor.process.returncode is None
    since = survivor.output()[logged[survivor.name] :]
    assert "Traceback" not in since, since


async def test_postgres_restarted_mid_load_both_processes_recover_without_a_restart(stack: Stack) -> None:
    """PostgreSQL stops at once (as in a crash) and comes back: both processes serve again
    without being restarted, drivers whose updates failed meanwhile were told so and booked
    on retrying, nothing was left half-written, the outbox finished."""
    await stack.ensure_running()
    pids = [p.process.pid for p in stack.processes]
    queued = await stack.notifications(120)
    drivers = await stack.drivers(6)
    load = asyncio.create_task(_load(stack, drivers))
    try:
        await eventually(
            lambda: sum(sends_by_chat(stack.tg)[c] for c in queued) >= 20, WAIT, "the outbox sending"
        )
        in_flight = await stack.sending()
        await stack.pg.restart("immediate")
        # The test's own pool: its connections died with the server and were used moments ago,
        # so core/db.py would not ping them (the processes' first query on each fails once).
        await stack.db.engine.dispose()
        await load
    finally:
        load.cancel()
    for p in stack.processes:
        await eventually(lambda p=p: stack.healthy(p), WAIT, f"{p.name} healthy again")
    await _settled(stack, queued, drivers)
    await _exactly_once(stack, queued, drivers, in_flight)
    assert [p.process.pid for p in stack.processes] == pids
    assert all(p.process.returncode is None for p in stack.processes)
    # Both take updates again without an error: new drivers book through either process.
    before = [await updates_handled(stack.http, p) for p in stack.processes]
    late = await stack.drivers(4)
    await _load(stack, late)
    after = [await updates_handled(stack.http, p) for p in stack.processes]
    assert all(a.get("handled", 0) > b.get("handled", 0) for a, b in zip(after, before, strict=True)), after
    assert [a.get("error", 0) for a in after] == [b.get("error", 0) for b in before], (before, after)
    await _settled(stack, {}, late)


async def test_mosquitto_restarted_the_links_reconnect_and_a_blocker_obeys(stack: Stack) -> None:
    """The broker restarts empty (no persistence: retained messages and sessions gone): both
    processes' MQTT links and the devices reconnect, and a driver's "I've arrived" lowers the
    blocker of the spot booked after it."""
    await stack.ensure_running()
    logged = [len(p.output()) for p in stack.processes]
    queued = await stack.notifications(60)
    drivers = await stack.drivers(4)
    load = asyncio.create_task(_load(stack, drivers))
    try:
        connected = [p.output().count("MQTT link connected") for p in stack.processes]
        await stack.mqtt.restart()
        for p, before in zip(stack.processes, connected, strict=True):
            await eventually(
                lambda p=p, b=before: p.output().count("MQTT link connected") > b,
                WAIT,
                f"{p.name} reconnected",
            )
        await asyncio.wait_for(stack.sim.wait_connected(), WAIT)
        await load
    finally:
        load.cancel()
    await _settled(stack, queued, drivers)
    await _exactly_once(stack, queued, drivers, set())

    (driver,) = await stack.drivers(1)
    await book_until_paid(stack.tg, driver, GARAGES[0], (LAT, LON))
    await driver.send_command("/bookings")
    listing = await driver.wait_for_message(lambda m: "Your bookings" in m.text, timeout=WAIT)
    detail_button = next(d for t, d in listing.buttons() if GARAGES[0] in t and d)
    await driver.tap(listing, detail_button)
    detail = await driver.wait_for_message(lambda m: "Booking #" in m.text, timeout=WAIT)
    arrived = next(d for t, d in detail.buttons() if t.startswith("🚗") and d)
    await driver.tap(detail, arrived)
    await driver.wait_for_message(lambda m: "Park now!" in m.text, timeout=WAIT)
    lowered = [b for b in stack.sim.blockers.values() if b.state == WireState.LOWERED]
    assert len(lowered) == 1, [(b.id, b.state) for b in stack.sim.blockers.values()]
    await check_invariants(stack.db)
    for p, start in zip(stack.processes, logged, strict=True):
        assert "Traceback" not in p.output()[start:], p.output()[start:]


async def test_redis_restarted_empty_dialogs_start_over_and_the_processes_serve_on(stack: Stack) -> None:
    """Redis restarts with nothing (dialog state and locks gone): a driver mid-dialog taps a
    button of the lost dialog and is shown the menu again (not an error, not silence); the
    processes go on serving; the drivers' bookings complete."""
    await stack.ensure_running()
    queued = await stack.notifications(60)
    drivers = await stack.drivers(4)
    restarted = asyncio.Event()

    async def handled() -> int:
        return int(sum([sum((await updates_handled(stack.http, p)).values()) for p in stack.processes]))

    # Updates a killed process took with it never count: what is missing now is not in flight.
    lost = len(stack.tg.updates) - await handled()

    async def quiet() -> bool:
        """Every update delivered since is handled: none is still saving its dialog to Redis."""
        return await handled() + lost >= len(stack.tg.updates)

    async def restart_redis() -> None:
        # After the screen shown has been saved: the restart loses a dialog at rest (one cut
        # off while saving fails that update's lock release, an error like any outage's).
        await eventually(quiet, WAIT, "no update in flight")
        await stack.redis.restart()
        restarted.set()

    async def walk(user: FakeUser, garage: str, hook: bool) -> list[str]:
        if not hook:
            await restarted.wait()  # the others walk through the restart
        outcome = await book_until_paid(
            stack.tg, user, garage, (LAT, LON), before_hold=restart_redis if hook else None
        )
        assert outcome.refusals is not None
        return outcome.refusals

    refusals = await asyncio.wait_for(
        asyncio.gather(*(walk(user, GARAGES[i % 2], i == 0) for i, user in enumerate(drivers))), 4 * WAIT
    )
    # The driver on the quote screen when Redis lost the dialog was told the button is out of
    # date and shown the menu, and booked from it (no error, no silence); the others, starting
    # after the restart, met no error at all (each pooled connection once failed its next
    # update before bot/runtime.py's storage retried a dead connection).
    assert refusals[0] and all("out of date" in r for r in refusals[0]), refusals
    assert refusals[1:] == [[]] * (len(drivers) - 1), refusals
    for user in drivers[1:]:
        assert not [a.text for a in user.callback_answers if a.text and ERROR_TEXT in a.text]
    await _settled(stack, queued, drivers)
    await _exactly_once(stack, queued, drivers, set())
    for p in stack.processes:
        assert p.process.returncode is None
