"""Benchmark: a city's blockers reporting to several service processes (issue 17, DESIGN.md §13).

    python bench/blockers_ingest.py [--url mqtt://127.0.0.1:1883] [--blockers 10000]
                                    [--rounds 3] [--processes 1 2] [--group parking]

--blockers registered blockers on a scratch PostgreSQL database; this process plays all of them
with one fast client, publishing --rounds `state` messages per blocker (QoS 1, retained, each
stamped one second after the blocker's previous one) at most WINDOW ahead of what the links
have taken (Mosquitto drops QoS 1 messages queued for a subscriber beyond
`max_queued_messages`, 1,000 by default: the run must measure the service, not that limit).

The service side is 1 or 2 OS processes, each a `BlockerLink` with MQTT_SHARED_GROUP over an
engine of its own (two `main.py run`). A trigger logs every write of a report (an UPDATE of a
blocker row that sets `state_ts`) with the `state_ts` before and after it, so the database
itself says what was written:
  ingestion rate  messages taken by the links / seconds from the first message taken until
                  every one of them is committed;
  duplicates      messages taken by more than one process (taken - sent) plus rows written
                  twice with the same report (`state_ts` unchanged) or an older one: must be 0;
  rows at final   blockers whose row carries their last report at the end: must be all.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import logging
import multiprocessing
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as ProcessEvent

import aiomqtt
from sqlalchemy import func, insert, select, text

from bench._common import BackendUnavailable, print_machine, print_table, scratch_database
from core.db import Database
from core.models import Blocker
from hardware import protocol
from hardware.broker import BrokerAddress
from hardware.link import BlockerLink

WINDOW = 900  # messages the publisher may be ahead of each link (< the broker queue of 1,000)
CHUNK = 100
SPAWN = multiprocessing.get_context("spawn")
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

_LOG_WRITES = [
    "CREATE TABLE bench_blocker_writes (id text, old_ts timestamptz, new_ts timestamptz)",
    """CREATE FUNCTION bench_log_blocker_write() RETURNS trigger AS $$
    BEGIN
      INSERT INTO bench_blocker_writes VALUES (NEW.id, OLD.state_ts, NEW.state_ts);
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER bench_blocker_writes AFTER UPDATE OF state_ts ON blockers
      FOR EACH ROW EXECUTE FUNCTION bench_log_blocker_write()""",
]


@dataclass
class Taken:
    """One service process's account, sent back to the parent at the end."""

    reports: int
    first: float  # time.perf_counter() (CLOCK_MONOTONIC: comparable across processes on Linux)
    committed: float
    flushes: int
    rows_written: int


@dataclass
class Run:
    processes: int
    sent: int
    taken: list[Taken]
    publish_seconds: float
    writes: int
    rewrites: int  # rows written with a report they already had, or an older one
    rows_at_final: int

    @property
    def seconds(self) -> float:
        return max(t.committed for t in self.taken) - min(t.first for t in self.taken)

    @property
    def rate(self) -> float:
        return sum(t.reports for t in self.taken) / self.seconds

    @property
    def duplicates(self) -> int:
        return max(sum(t.reports for t in self.taken) - self.sent, 0) + self.rewrites


def _service_process(
    db_url: str,
    url: str,
    prefix: str,
    group: str,
    taken: Synchronized[int],
    ready: ProcessEvent,
    stop: ProcessEvent,
    result: multiprocessing.Queue[Taken],
) -> None:
    async def serve() -> Taken:
        db = Database.from_url(db_url)
        try:
            async with BlockerLink(db, url=url, prefix=prefix, shared_group=group) as link:
                async with asyncio.timeout(30):
                    await link.wait_connected()
                    while group and link.stats.snapshots < 1:  # noqa: ASYNC110 - a counter of the link
                        await asyncio.sleep(0.05)
                ready.set()
                while not stop.is_set():
                    taken.value = link.stats.reports
                    await asyncio.sleep(0.002)
                await link.flush()
                committed = time.perf_counter()
                first = link.stats.first_received_at or committed
                writer = link.writer_stats
                return Taken(link.stats.reports, first, committed, writer.flushes, writer.rows_written)
        finally:
            await db.dispose()

    logging.basicConfig(level=logging.ERROR)
    result.put(asyncio.run(serve()))


async def _publish(
    url: str, prefix: str, ids: list[str], rounds: int, taken: list[Synchronized[int]]
) -> float:
    address = BrokerAddress.from_url(url)
    window = WINDOW * len(taken)
    async with aiomqtt.Client(**address.client_kwargs(), max_inflight_messages=window) as client:
        client.pending_calls_threshold = 1_000_000  # silence aiomqtt's "pending calls" warning
        started = time.perf_counter()
        sent = 0
        for r in range(1, rounds + 1):
            state = protocol.WireState.LOWERED if r % 2 else protocol.WireState.RAISED
            payload = protocol.State(
                state=state, car_present=bool(r % 2), battery=50 + r, ts=T0 + timedelta(seconds=r)
            ).to_json()
            for start in range(0, len(ids), CHUNK):
                # Each process has a broker queue of its own, and the group's share fills them evenly.
                while sent - sum(t.value for t in taken) > window:  # noqa: ASYNC110 - other processes
                    await asyncio.sleep(0.0005)
                chunk = ids[start : start + CHUNK]
                await asyncio.gather(
                    *(
                        client.publish(protocol.state_topic(prefix, b), payload, qos=1, retain=True)
                        for b in chunk
                    )
                )
                sent += len(chunk)
        return time.perf_counter() - started


async def _clear_retained(url: str, prefix: str, ids: list[str]) -> None:
    async with aiomqtt.Client(**BrokerAddress.from_url(url).client_kwargs()) as client:
        client.pending_calls_threshold = 1_000_000
        for start in range(0, len(ids), 1000):
            await asyncio.gather(
                *(
                    client.publish(protocol.state_topic(prefix, b), b"", qos=1, retain=True)
                    for b in ids[start : start + 1000]
                )
            )


async def one_run(db_url: str, args: argparse.Namespace, processes: int) -> Run:
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    ids = [f"CITY-{i:05d}" for i in range(args.blockers)]
    db = Database.from_url(db_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE blockers CASCADE"))
            await conn.execute(text("DELETE FROM bench_blocker_writes"))
            await conn.execute(insert(Blocker), [{"id": b, "online": True} for b in ids])
        counters: list[Synchronized[int]] = [SPAWN.Value("q", 0) for _ in range(processes)]
        stop = SPAWN.Event()
        results: multiprocessing.Queue[Taken] = SPAWN.Queue()
        readies = [SPAWN.Event() for _ in range(processes)]
        children = [
            SPAWN.Process(
                target=_service_process,
                args=(db_url, args.url, prefix, args.group, counters[n], readies[n], stop, results),
            )
            for n in range(processes)
        ]
        for child in children:
            child.start()
        try:
            for ready in readies:
                if not await asyncio.to_thread(ready.wait, 60):
                    raise RuntimeError("a service process did not connect within 60 s")
            total = len(ids) * args.rounds
            publish_seconds = await _publish(args.url, prefix, ids, args.rounds, counters)
            # Everything taken, or nothing more for two seconds (losses are reported, not waited for).
            last, count, since = -1, 0, time.perf_counter()
            while count < total and time.perf_counter() - since < 2:
                await asyncio.sleep(0.01)
                count = sum(c.value for c in counters)
                if count != last:
                    last, since = count, time.perf_counter()
            stop.set()
            taken = [await asyncio.to_thread(results.get, True, 120) for _ in children]
        finally:
            stop.set()
            for child in children:
                await asyncio.to_thread(child.join, 30)
            await _clear_retained(args.url, prefix, ids)
        async with db.read() as s:
            writes = int(await s.scalar(text("SELECT count(*) FROM bench_blocker_writes")) or 0)
            rewrites = int(
                await s.scalar(
                    text(
                        "SELECT count(*) FROM bench_blocker_writes"
                        " WHERE old_ts IS NOT NULL AND new_ts <= old_ts"
                    )
                )
                or 0
            )
            final = int(
                await s.scalar(
                    select(func.count())
                    .select_from(Blocker)
                    .where(Blocker.state_ts == T0 + timedelta(seconds=args.rounds))
                )
                or 0
            )
    finally:
        await db.dispose()
    return Run(processes, total, taken, publish_seconds, writes, rewrites, final)


async def run(args: argparse.Namespace) -> list[Run]:
    async with scratch_database("postgres", "blockers_ingest") as db_url:
        db = Database.from_url(db_url)
        try:
            async with db.engine.begin() as conn:
                for statement in _LOG_WRITES:
                    await conn.execute(text(statement))
        finally:
            await db.dispose()
        return [await one_run(db_url, args, n) for n in args.processes]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="mqtt://127.0.0.1:1883", help="broker (mqtt://127.0.0.1:1883)")
    parser.add_argument("--blockers", type=int, default=10_000, help="simulated blockers (10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="state messages per blocker (3)")
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[1, 2], help="service processes per run (1 2)"
    )
    parser.add_argument(
        "--group", default="parking", help="MQTT_SHARED_GROUP (parking; empty: plain subscriptions)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    print_machine("blocker ingestion, several processes")
    print(
        f"broker    : {BrokerAddress.from_url(args.url)}, QoS 1, shared group {args.group!r}, "
        f"aiomqtt {aiomqtt.__version__}; PostgreSQL"
    )
    try:
        runs = asyncio.run(run(args))
    except BackendUnavailable as exc:
        print(f"skipped: {exc}")
        return 1
    print()
    print(f"{args.blockers:,} blockers x {args.rounds} state messages, published by one client")
    print_table(
        [
            "processes",
            "sent",
            "taken",
            "taken per process",
            "seconds",
            "msg/s written",
            "publisher s",
            "db flushes",
            "row writes",
            "duplicates",
            "rows at final",
        ],
        [
            [
                r.processes,
                r.sent,
                sum(t.reports for t in r.taken),
                " / ".join(str(t.reports) for t in r.taken),
                r.seconds,
                round(r.rate),
                r.publish_seconds,
                sum(t.flushes for t in r.taken),
                r.writes,
                r.duplicates,
                r.rows_at_final,
            ]
            for r in runs
        ],
    )
    bad = [r for r in runs if r.duplicates or r.rows_at_final != args.blockers]
    if bad:
        print("FAILED: duplicates, or rows without their last report")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
