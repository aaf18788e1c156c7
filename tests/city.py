"""A city at the top of the hour on two service processes (issue 17): shared by bench/city.py
(the figures) and tests/e2e/test_city_load.py (the same run, scaled down, for correctness).

The service side is real: `python main.py run` processes (tests/cluster.py `services`) in
webhook mode on one PostgreSQL database, the shared Redis and the Mosquitto broker, with
MQTT_SHARED_GROUP set and a topic prefix of the run's own (MQTT_TOPIC_PREFIX), so nothing else
on the broker hears this fleet or is heard by these processes. No update is delivered in this
run, so no proxy stands in front of them: PUBLIC_URL is the first process itself.

- A fleet of registered blockers (`FLEET-00000`, … rows with no spot: reports change no
  booking) reporting: one `availability` (online) each, then `rounds` `state` reports each,
  QoS 1 and retained as devices send them, published by one client in a child process
  (`python -m tests.city fleet …`: the Bot API fake, in the caller's process, must not wait
  for it). The publisher stays at most `window` messages ahead of what the database has
  written (Mosquitto drops QoS 1 messages queued for a subscriber beyond
  `max_queued_messages`, 1,000 by default: the run must measure the service, not that limit).
- A trigger logs every write of a report (an UPDATE of a blocker row that sets `state_ts`)
  with the `state_ts` before and after it and the time, so the database itself says what was
  written, and whether a report was written twice (`state_ts` unchanged, or older).
- Confirmed bookings, one per driver (distinct Telegram chats) and spot, all inserted in one
  statement each with their reminder due at once: the processes' own reminder sweep queues
  the reminders and the holder of the outbox lease sends them to the Bot API fake, which
  answers 429 beyond Telegram's limits (`rate_limit()`). `Deliveries` notes when each chat got
  a message; each process's /metrics says how many it sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import aiomqtt
import asyncpg
from sqlalchemy import func, insert, select, text

from core.db import Database
from core.models import Blocker, Premise, Reservation, Spot, User
from demo.botapi import TelegramFake
from hardware import protocol
from hardware.broker import BrokerAddress
from tests.cluster import ROOT, Service

PREMISE = "City Car Park"
FIRST_CHAT = 20_000_000  # the drivers' Telegram ids: FIRST_CHAT, FIRST_CHAT + 1, ...
BROKER_QUEUE = 900  # messages a process may have waiting on the broker (< Mosquitto's 1,000)


def fleet_window(blockers: int, processes: int) -> int:
    """How far the publisher may run ahead of the writes: what the processes' broker queues
    hold, and less than half the fleet, so that no process ever holds two reports of one
    blocker unwritten (the link would write only the newer: one write per report is what
    the write log counts)."""
    return max(1, min(BROKER_QUEUE * processes, blockers // 2 - 1))


# Each write of a report (an UPDATE that sets `state_ts`) and of an `availability` (one that
# sets `online`), logged by the database itself; a write of both logs a row of each kind.
LOG_WRITES = [
    "CREATE TABLE city_blocker_writes (kind text, id text, old_ts timestamptz, new_ts timestamptz,"
    " at timestamptz DEFAULT clock_timestamp())",
    """CREATE FUNCTION city_log_blocker_write() RETURNS trigger AS $$
    BEGIN
      INSERT INTO city_blocker_writes (kind, id, old_ts, new_ts)
        VALUES (TG_ARGV[0], NEW.id, OLD.state_ts, NEW.state_ts);
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER city_state_writes AFTER UPDATE OF state_ts ON blockers
      FOR EACH ROW EXECUTE FUNCTION city_log_blocker_write('state')""",
    """CREATE TRIGGER city_availability_writes AFTER UPDATE OF online ON blockers
      FOR EACH ROW EXECUTE FUNCTION city_log_blocker_write('availability')""",
]


def blocker_ids(n: int) -> list[str]:
    return [f"FLEET-{i:05d}" for i in range(n)]


def report_ts(start: datetime, round_: int) -> datetime:
    """The `ts` of a blocker's `round_`-th report (1, 2, ...): a second apart, before `start`'s
    second plus the round (the link drops reports stamped minutes ahead of its clock)."""
    return start.replace(microsecond=0) + timedelta(seconds=round_)


async def prepare_fleet(db: Database, n: int) -> list[str]:
    """The write log's trigger and `n` registered blockers, online, without a spot."""
    ids = blocker_ids(n)
    async with db.engine.begin() as conn:
        for statement in LOG_WRITES:
            await conn.execute(text(statement))
        await conn.execute(insert(Blocker), [{"id": b, "online": True} for b in ids])
    return ids


@dataclass(frozen=True, slots=True)
class Due:
    """The bookings whose reminder is due: driver's chat -> the spot's label."""

    at: datetime
    spots: dict[int, str]


async def seed_due_bookings(db: Database, n: int, reminder_minutes: int, now: datetime) -> Due:
    """n drivers (English), each with a confirmed booking on a spot of its own whose reminder
    is due `now` (it ends in `reminder_minutes`, started an hour ago): one INSERT per table."""
    async with db.transaction() as s:
        premise = Premise(
            name=PREMISE, address="1 Station Square", lat=50.45, lon=30.52, timezone="Europe/Kyiv",
            price_per_hour=200, currency="EUR", features=[], photos=[], description="",
            opening_hours="24/7", is_active=True, created_at=now,
        )  # fmt: skip
        s.add(premise)
        await s.flush()
        await s.execute(
            insert(User),
            [
                {"telegram_id": FIRST_CHAT + i, "name": f"Driver {i}", "language": "en", "is_admin": False,
                 "sms_opt_out": False, "created_at": now}
                for i in range(n)
            ],
        )  # fmt: skip
        await s.execute(
            insert(Spot), [{"premise_id": premise.id, "label": f"C{i}", "is_active": True} for i in range(n)]
        )
        users = list(await s.scalars(select(User.id).where(User.telegram_id >= FIRST_CHAT).order_by(User.id)))
        spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id).order_by(Spot.id)))
        ends = now + timedelta(minutes=reminder_minutes)
        await s.execute(
            insert(Reservation),
            [
                {"user_id": u, "spot_id": sp, "starts_at": now - timedelta(hours=1), "ends_at": ends,
                 "status": "confirmed", "price": 300, "currency": "EUR", "no_show": False,
                 "created_at": now, "updated_at": now}
                for u, sp in zip(users, spots, strict=True)
            ],
        )  # fmt: skip
    return Due(now, {FIRST_CHAT + i: f"C{i}" for i in range(n)})


def city_environment(
    base: dict[str, str], *, mqtt_url: str, prefix: str, sweep_seconds: float
) -> dict[str, str]:
    """tests/cluster.py's environment plus the broker, the run's topic prefix and a shared group."""
    return base | {
        "MQTT_URL": mqtt_url,
        "MQTT_TOPIC_PREFIX": prefix,
        "MQTT_SHARED_GROUP": "city",
        "SWEEP_INTERVAL_SECONDS": str(sweep_seconds),
    }


SHARED = "reports now shared in group"  # the link's line once its start-up snapshot is read


async def links_ready(procs: Sequence[Service], within: float = 60) -> None:
    """Returns once every process's blocker link is connected and in the shared group."""
    deadline = time.monotonic() + within
    for proc in procs:
        while SHARED not in proc.output():
            assert proc.process.returncode is None, f"{proc.name} stopped:\n{proc.output()[-3000:]}"
            assert time.monotonic() < deadline, f"{proc.name}: no MQTT link:\n{proc.output()[-3000:]}"
            await asyncio.sleep(0.1)


# --- the fleet, in a child process ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    availability: int
    states: int
    started: float  # time.time() of the first message
    seconds: float  # publishing took


class Fleet:
    """`python -m tests.city fleet …`: started, then told to go, then its account."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    @contextlib.asynccontextmanager
    async def started(
        cls, *, mqtt_url: str, prefix: str, database_url: str, blockers: int, rounds: int, processes: int,
        start: datetime,
    ) -> AsyncIterator[Fleet]:  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.city", "fleet", "--url", mqtt_url, "--prefix", prefix,
            "--database", database_url, "--blockers", str(blockers), "--rounds", str(rounds),
            "--window", str(fleet_window(blockers, processes)), "--processes", str(processes),
            "--start", start.isoformat(),
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert line.strip() == b"ready", f"the fleet did not start: {line!r}"
            yield cls(process)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")

    async def result(self, within: float) -> Published:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), within)
        assert line, "the fleet stopped without its account"
        return Published(**json.loads(line))


async def _written(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM city_blocker_writes"))


class _Window:
    """Keeps the publisher at most `size` messages ahead of the writes the database logged."""

    def __init__(self, conn: asyncpg.Connection, size: int) -> None:
        self.conn, self.size = conn, size
        self.sent = 0  # messages published, each counted `weight` times
        self.written = 0  # writes logged
        self.done = 0  # messages written, each counted `weight` times
        self.weight = 1

    async def room(self) -> None:
        # A message lost on the way (counted at the end) stops holding it back after 2 s.
        since = time.perf_counter()
        while self.sent - self.done > self.size and time.perf_counter() - since < 2:
            await asyncio.sleep(0.01)
            now_written = await _written(self.conn)
            if now_written != self.written:
                self.done += (now_written - self.written) * self.weight
                self.written, since = now_written, time.perf_counter()


async def _fleet(args: argparse.Namespace) -> Published:
    address = BrokerAddress.from_url(args.url)
    ids = blocker_ids(args.blockers)
    start = datetime.fromisoformat(args.start)
    conn = await asyncpg.connect(args.database.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        async with aiomqtt.Client(**address.client_kwargs(), max_inflight_messages=args.window) as client:
            client.pending_calls_threshold = 1_000_000  # silence aiomqtt's "pending calls" warning
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            window = _Window(conn, args.window)
            started, clock = time.time(), time.perf_counter()

            async def publish(topic: Callable[[str, str], str], payload: bytes, weight: int) -> None:
                window.weight = weight
                for chunk in _chunks(ids, 100):
                    await window.room()
                    await asyncio.gather(
                        *(client.publish(topic(args.prefix, b), payload, qos=1, retain=True) for b in chunk)
                    )
                    window.sent += len(chunk) * weight

            # Every process hears every `availability` (a plain subscription of its own) besides
            # the group's share, which is written: it weighs processes + 1 times a report.
            online = protocol.Availability.ONLINE.value.encode()
            await publish(protocol.availability_topic, online, args.processes + 1)
            for r in range(1, args.rounds + 1):
                state = protocol.WireState.LOWERED if r % 2 else protocol.WireState.RAISED
                report = protocol.State(
                    state=state, car_present=bool(r % 2), battery=80 + r, ts=report_ts(start, r)
                )
                await publish(protocol.state_topic, report.to_json(), 1)
            return Published(len(ids), len(ids) * args.rounds, started, time.perf_counter() - clock)
    finally:
        await conn.close()


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def clear_retained(mqtt_url: str, prefix: str, n: int) -> None:
    """Empties the retained messages the fleet left on the broker (MQTT's way to delete them)."""
    async with aiomqtt.Client(**BrokerAddress.from_url(mqtt_url).client_kwargs()) as client:
        client.pending_calls_threshold = 1_000_000
        topics = [
            topic(prefix, b)
            for b in blocker_ids(n)
            for topic in (protocol.state_topic, protocol.availability_topic)
        ]
        for chunk in _chunks(topics, 1000):
            await asyncio.gather(*(client.publish(t, b"", qos=1, retain=True) for t in chunk))


# --- what the database wrote ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Written:
    writes: int  # report writes (trigger rows)
    rewrites: int  # writes of a report the row had already, or an older one: must be 0
    availability: int  # availability writes
    rows_at_final: int  # blockers whose row carries their last report
    online: int  # blockers whose row says online
    last_write: float | None  # time.time() of the last report write

    def ingestion_rate(self, published: Published) -> float:
        """Messages written a second, from the first published to the last report written."""
        if self.last_write is None:
            return 0.0
        return (self.writes + self.availability) / max(1e-9, self.last_write - published.started)


async def written(db: Database, final_ts: datetime) -> Written:
    async with db.read() as s:
        kinds = dict(
            (await s.execute(text("SELECT kind, count(*) FROM city_blocker_writes GROUP BY kind")))
            .tuples()
            .all()
        )
        rewrites = await s.scalar(
            text(
                "SELECT count(*) FROM city_blocker_writes"
                " WHERE kind = 'state' AND old_ts IS NOT NULL AND new_ts <= old_ts"
            )
        )
        last = await s.scalar(text("SELECT extract(epoch FROM max(at)) FROM city_blocker_writes"))
        final = await s.scalar(select(func.count()).select_from(Blocker).where(Blocker.state_ts == final_ts))
        online = await s.scalar(
            select(func.count())
            .select_from(Blocker)
            .where(Blocker.id.like("FLEET-%"), Blocker.online.is_(True))
        )
    return Written(
        int(kinds.get("state", 0)), int(rewrites or 0), int(kinds.get("availability", 0)), int(final or 0),
        int(online or 0), None if last is None else float(last),
    )  # fmt: skip


async def all_written(db: Database, expected: int, idle: float = 5.0) -> int:
    """Waits until `expected` writes (reports and availability) are logged, or none came for
    `idle` seconds."""
    last, since = -1, time.monotonic()
    while True:
        async with db.read() as s:
            count = int(await s.scalar(text("SELECT count(*) FROM city_blocker_writes")) or 0)
        if count >= expected or time.monotonic() - since > idle:
            return count
        if count != last:
            last, since = count, time.monotonic()
        await asyncio.sleep(0.1)


# --- what the drivers got ---------------------------------------------------------------------


@dataclass
class Deliveries:
    """When each chat got a message from the bot, noted by the Bot API fake as it stores it."""

    fake: TelegramFake
    chats: set[int]
    times: list[float] = field(default_factory=list)  # time.time(), in order
    per_chat: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._unsubscribe = self.fake.subscribe(self._seen)

    def _seen(self, chat_id: int) -> None:
        if chat_id in self.chats:
            self.times.append(time.time())
            self.per_chat[chat_id] = self.per_chat.get(chat_id, 0) + 1

    def close(self) -> None:
        self._unsubscribe()

    @property
    def reached(self) -> int:
        return len(self.per_chat)

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.per_chat.values())

    async def wait_all(self, idle: float) -> None:
        """Until every chat has its message, or none came for `idle` seconds."""
        last, since = -1, time.monotonic()
        while self.reached < len(self.chats) and time.monotonic() - since < idle:
            if len(self.times) != last:
                last, since = len(self.times), time.monotonic()
            await asyncio.sleep(0.2)

    def rate(self) -> float:
        """Messages a second from the first delivery to the last."""
        if len(self.times) < 2:
            return float("nan")
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])

    def windows(self, seconds: float = 10.0) -> tuple[float, float]:
        """(best, worst) rate over the whole `seconds`-long windows between the first delivery
        and the last, each starting at a delivery."""
        if not self.times or self.times[-1] - self.times[0] < seconds:
            return float("nan"), float("nan")
        rates = []
        j = 0
        for i, start in enumerate(self.times):
            if start + seconds > self.times[-1]:
                break
            while j < len(self.times) and self.times[j] < start + seconds:
                j += 1
            rates.append((j - i) / seconds)
        return max(rates), min(rates)


async def sent_by_process(http: aiohttp.ClientSession, procs: Sequence[Service]) -> dict[str, int]:
    """Telegram messages each process sent (`parking_notifications_sent_total`), from its /metrics."""
    found: dict[str, int] = {}
    for proc in procs:
        async with http.get(f"{proc.url}/metrics") as resp:
            body = await resp.text()
        total = 0.0
        for match in re.finditer(r"^parking_notifications_sent_total\{([^}]*)\} (\S+)$", body, re.M):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            assert labels.get("process") == proc.name, labels
            if labels.get("channel") == "telegram" and labels.get("result") == "sent":
                total += float(match.group(2))
        found[proc.name] = int(total)
    return found


def lease_takers(procs: Sequence[Service]) -> list[str]:
    """The processes that took the Telegram outbox lease, in their logs' words."""
    return [p.name for p in procs if "now sends outbox:telegram" in p.output()]


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.city")
    sub = parser.add_subparsers(dest="command", required=True)
    fleet = sub.add_parser("fleet", help="publish a fleet's reports (see the module)")
    fleet.add_argument("--url", required=True)
    fleet.add_argument("--prefix", required=True)
    fleet.add_argument("--database", required=True)
    fleet.add_argument("--blockers", type=int, required=True)
    fleet.add_argument("--rounds", type=int, required=True)
    fleet.add_argument("--window", type=int, required=True)
    fleet.add_argument("--processes", type=int, required=True)
    fleet.add_argument("--start", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    print(json.dumps(dataclasses.asdict(asyncio.run(_fleet(args)))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
