"""Benchmark of the MQTT link to the blockers (hardware.link.BlockerLink) on the real broker.

    python bench/blocker_rtt.py [--url mqtt://127.0.0.1:1883] [--commands 1000]
                                [--blockers 1000] [--rounds 20]

1. Round trips, QoS 1, on the same broker in the same run; the measuring side is this process,
   the answering side another process (as a device is another machine):
     raw one hop   aiomqtt publish → the same client's subscription receives it;
     raw echo      aiomqtt publish → an echo process republishes it → received: two broker
                   hops, the path of a command and its ack, with nothing around it;
     service       BlockerLink.command("lower") → `python -m hardware.simulator` (0 s move)
                   reports `moving`, `lowered`, acks → result. A raise (not timed) between
                   lowers, so every lower moves. The link writes the reports to the database
                   meanwhile, in this process.
     and, for information, the raw echo with paho's socket defaults (Nagle's algorithm on).
   Target: service p99 <= 3 x raw p99, judged against the raw echo (the same two hops); the
   ratio to the one hop is printed beside it.
2. Ingestion: --blockers registered blockers; another process publishes --rounds state messages
   per blocker (QoS 1, retained) as fast as the broker takes them; measured from the first
   message the link receives until all of them are committed. Target: >= 2,000 messages/s.
The database is a migrated SQLite file in a temporary directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import logging
import multiprocessing
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as ProcessEvent

import aiomqtt
from sqlalchemy import func, insert, select

from bench._common import ROOT, Summary, print_machine, print_table, summarize
from core.db import Database
from core.migrate import upgrade_to_head
from core.models import Blocker
from hardware import protocol
from hardware.broker import BrokerAddress, ack_now
from hardware.link import BlockerLink

RTT_TARGET_FACTOR = 3.0
INGEST_TARGET = 2_000.0
WARMUP = 50
NAGLE_SAMPLES = 100  # ~90 ms each
WINDOW = 900  # state messages the publisher may be ahead of the link (< the broker queue of 1,000)
CHUNK = 100
SPAWN = multiprocessing.get_context("spawn")


@dataclass
class Rtt:
    name: str
    samples: list[float]

    @property
    def summary(self) -> Summary:
        return summarize([s * 1000 for s in self.samples])


@dataclass
class Ingest:
    sent: int
    messages: int  # received by the link
    seconds: float
    publish_seconds: float
    flushes: int
    rows_written: int
    lag_after_last: float
    rows_with_final_value: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def _payload() -> bytes:
    # A real command's size, so the raw figures move the same bytes as the service.
    cmd = protocol.new_command(
        command_id=str(uuid.uuid4()), action="lower", reservation_id=1, now=datetime.now(UTC), timeout=10
    )
    return cmd.to_json()


# --- raw round trips ---------------------------------------------------------------------------


async def raw_one_hop(address: BrokerAddress, prefix: str, n: int) -> Rtt:
    topic = f"{prefix}/raw/hop"
    payload = _payload()
    samples: list[float] = []
    async with aiomqtt.Client(**address.client_kwargs()) as client:
        await client.subscribe(topic, qos=1)
        messages = client.messages
        for i in range(WARMUP + n):
            started = time.perf_counter()
            await client.publish(topic, payload, qos=1)
            await anext(messages)
            if i >= WARMUP:
                samples.append(time.perf_counter() - started)
    return Rtt("raw one hop (pub → sub)", samples)


def _echo_process(url: str, request: str, reply: str, nagle: bool, ready: ProcessEvent) -> None:
    """In a child process: republishes every request as a reply, until terminated."""

    async def echo() -> None:
        address = BrokerAddress.from_url(url)
        async with aiomqtt.Client(**address.client_kwargs(nagle=nagle)) as client:
            await client.subscribe(request, qos=1)
            ready.set()
            async for message in client.messages:
                if not nagle:
                    ack_now(client)
                await client.publish(reply, message.payload, qos=1)
                if not nagle:
                    ack_now(client)

    asyncio.run(echo())


async def raw_echo(url: str, prefix: str, n: int, *, nagle: bool = False) -> Rtt:
    address = BrokerAddress.from_url(url)
    request, reply = f"{prefix}/raw/request", f"{prefix}/raw/reply"
    payload = _payload()
    ready = SPAWN.Event()
    child = SPAWN.Process(target=_echo_process, args=(url, request, reply, nagle, ready), daemon=True)
    child.start()
    samples: list[float] = []
    try:
        if not await asyncio.to_thread(ready.wait, 30):
            raise RuntimeError("the echo process did not start")
        async with aiomqtt.Client(**address.client_kwargs(nagle=nagle)) as client:
            await client.subscribe(reply, qos=1)
            messages = client.messages
            for i in range(WARMUP + n):
                started = time.perf_counter()
                await client.publish(request, payload, qos=1)
                if not nagle:
                    ack_now(client)
                await anext(messages)
                if not nagle:
                    ack_now(client)
                if i >= WARMUP:
                    samples.append(time.perf_counter() - started)
    finally:
        child.terminate()
        await asyncio.to_thread(child.join, 10)
    name = "raw echo, paho socket defaults (Nagle on)" if nagle else "raw echo (pub → echo → sub)"
    return Rtt(name, samples)


# --- the service ---------------------------------------------------------------------------------


async def service_rtt(db: Database, url: str, prefix: str, n: int) -> Rtt:
    blocker_id = "BENCH-RTT"
    async with db.transaction() as session:
        session.add(Blocker(id=blocker_id))
    device = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hardware.simulator", "--blockers", blocker_id, "--url", url),
        *("--prefix", prefix, "--move-time", "0", "--car-delay", "-1", "--clear-retained"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    samples: list[float] = []
    try:
        async with BlockerLink(db, url=url, prefix=prefix, ack_timeout=5) as link:
            async with asyncio.timeout(30):
                await link.wait_connected()
                while not link.availability(blocker_id):  # noqa: ASYNC110 - the device starts up
                    await asyncio.sleep(0.05)
            for i in range(WARMUP + n):
                started = time.perf_counter()
                lowered = await link.command(blocker_id, "lower", i)
                elapsed = time.perf_counter() - started
                raised = await link.command(blocker_id, "raise", i)
                if not (lowered.ok and raised.ok):
                    raise RuntimeError(f"command failed: {lowered} / {raised}")
                if i >= WARMUP:
                    samples.append(elapsed)
    finally:
        device.terminate()  # SIGTERM: a clean stop
        await device.wait()
    return Rtt("service (BlockerLink.command lower)", samples)


# --- ingestion ---------------------------------------------------------------------------------


def _blast_process(
    url: str,
    prefix: str,
    blocker_ids: list[str],
    rounds: int,
    received: Synchronized[int],
    result: multiprocessing.Queue[float],
) -> None:
    """In a child process: `rounds` state messages per blocker (battery 50 + round), at most
    WINDOW ahead of what the link has received: Mosquitto drops QoS 1 messages queued for a
    subscriber beyond `max_queued_messages` (1,000 by default), and a burst must measure the
    link, not the broker's queue limit."""

    async def blast() -> float:
        address = BrokerAddress.from_url(url)
        async with aiomqtt.Client(**address.client_kwargs(), max_inflight_messages=WINDOW) as client:
            client.pending_calls_threshold = 1_000_000  # silence aiomqtt's "pending calls" warning
            ts = datetime.now(UTC)
            started = time.perf_counter()
            sent = 0
            for r in range(rounds):
                state = protocol.WireState.LOWERED if r % 2 else protocol.WireState.RAISED
                payload = protocol.State(
                    state=state, car_present=bool(r % 2), battery=50 + r, ts=ts
                ).to_json()
                for start in range(0, len(blocker_ids), CHUNK):
                    while sent - received.value > WINDOW:  # noqa: ASYNC110 - another process
                        await asyncio.sleep(0.0005)
                    chunk = blocker_ids[start : start + CHUNK]
                    await asyncio.gather(
                        *(
                            client.publish(protocol.state_topic(prefix, b), payload, qos=1, retain=True)
                            for b in chunk
                        )
                    )
                    sent += len(chunk)
            return time.perf_counter() - started

    result.put(asyncio.run(blast()))


async def ingestion(db: Database, url: str, prefix: str, blockers: int, rounds: int) -> Ingest:
    blocker_ids = [f"BENCH-{i:05d}" for i in range(blockers)]
    async with db.engine.begin() as conn:
        await conn.execute(insert(Blocker), [{"id": b} for b in blocker_ids])
    try:
        return await _ingest(db, url, prefix, blocker_ids, rounds)
    finally:
        # Remove the retained state messages the run left on the broker.
        async with aiomqtt.Client(**BrokerAddress.from_url(url).client_kwargs()) as client:
            client.pending_calls_threshold = 1_000_000
            await asyncio.gather(
                *(
                    client.publish(protocol.state_topic(prefix, b), b"", qos=1, retain=True)
                    for b in blocker_ids
                )
            )


async def _ingest(db: Database, url: str, prefix: str, blocker_ids: list[str], rounds: int) -> Ingest:
    total = len(blocker_ids) * rounds
    async with BlockerLink(db, url=url, prefix=prefix, ack_timeout=5) as link:
        async with asyncio.timeout(10):
            await link.wait_connected()
        await asyncio.sleep(0.5)  # retained messages of the prefix, if any, come first
        baseline = link.stats.received
        received: Synchronized[int] = SPAWN.Value("q", 0)
        queue: multiprocessing.Queue[float] = SPAWN.Queue()
        child = SPAWN.Process(target=_blast_process, args=(url, prefix, blocker_ids, rounds, received, queue))
        child.start()
        try:
            async with asyncio.timeout(300):
                # Polls the link's counter every 2 ms (for the publisher's window), and ends
                # when everything arrived, or nothing more did for a second after the publisher
                # finished (messages lost on the way are reported, not waited for).
                last_change, count = time.perf_counter(), 0
                while count < total:
                    await asyncio.sleep(0.002)
                    now_count = link.stats.received - baseline
                    received.value = now_count
                    if now_count != count:
                        count, last_change = now_count, time.perf_counter()
                    elif not child.is_alive() and time.perf_counter() - last_change > 1:
                        break
                await link.flush()
            done = time.perf_counter()
            publish_seconds = await asyncio.to_thread(queue.get, True, 60)
        finally:
            await asyncio.to_thread(child.join, 30)
        first, last = link.stats.first_received_at, link.stats.last_received_at
        assert first is not None and last is not None
        writer = link.writer_stats
    async with db.read() as session:
        final = await session.scalar(
            select(func.count()).select_from(Blocker).where(Blocker.battery == 50 + rounds - 1)
        )
    return Ingest(
        sent=total,
        messages=count,
        seconds=done - first,
        publish_seconds=publish_seconds,
        flushes=writer.flushes,
        rows_written=writer.rows_written,
        lag_after_last=done - last,
        rows_with_final_value=int(final or 0),
    )


# --- main --------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, db_url: str) -> tuple[list[Rtt], Ingest]:
    address = BrokerAddress.from_url(args.url)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    db = Database.from_url(db_url)
    try:
        rtts = [
            await raw_one_hop(address, prefix, args.commands),
            await raw_echo(args.url, prefix, args.commands),
            await service_rtt(db, args.url, prefix, args.commands),
            await raw_echo(args.url, prefix, NAGLE_SAMPLES, nagle=True),
        ]
        ingest = await ingestion(db, args.url, prefix, args.blockers, args.rounds)
    finally:
        await db.dispose()
    return rtts, ingest


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="mqtt://127.0.0.1:1883", help="broker (mqtt://127.0.0.1:1883)")
    parser.add_argument("--commands", type=int, default=1000, help="timed round trips per kind (1000)")
    parser.add_argument("--blockers", type=int, default=1000, help="blockers for ingestion (1000)")
    parser.add_argument("--rounds", type=int, default=20, help="state messages per blocker (20)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    print_machine("blocker link benchmark")
    print(f"broker    : {BrokerAddress.from_url(args.url)}, QoS 1, aiomqtt {aiomqtt.__version__}")
    with tempfile.TemporaryDirectory(prefix="bench_blocker_rtt_") as tmp:
        db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(db_url)  # Alembic runs its own event loop: before asyncio.run
        rtts, ingest = asyncio.run(run(args, db_url))
    print()
    print(f"Round trips (ms; after {WARMUP} warm-up each)")
    rows = []
    for rtt in rtts:
        s = rtt.summary
        rows.append([rtt.name, s.n, s.mean, s.p50, s.p95, s.p99, s.max])
    print_table(["path", "n", "mean", "p50", "p95", "p99", "max"], rows)
    print()
    print(f"Ingestion ({args.blockers:,} blockers x {args.rounds} state messages, SQLite)")
    print_table(
        [
            "sent",
            "received",
            "seconds",
            "msg/s",
            "publisher s",
            "db flushes",
            "rows written",
            "lag after last s",
        ],
        [
            [
                ingest.sent,
                ingest.messages,
                ingest.seconds,
                round(ingest.rate),
                ingest.publish_seconds,
                ingest.flushes,
                ingest.rows_written,
                ingest.lag_after_last,
            ]
        ],
    )
    print(
        f"            {ingest.rows_with_final_value:,} of {args.blockers:,} rows hold the last value sent; "
        f"{ingest.messages / max(ingest.flushes, 1):.0f} messages per transaction on average"
    )
    print()
    one_hop, echo, service = (r.summary for r in rtts[:3])
    ratio = service.p99 / echo.p99
    ok_rtt = ratio <= RTT_TARGET_FACTOR
    print(
        f"TARGET service p99 <= {RTT_TARGET_FACTOR:g} x raw p99: {'PASS' if ok_rtt else 'FAIL'} "
        f"(service {service.p99:.2f} ms = {ratio:.2f} x raw echo {echo.p99:.2f} ms; "
        f"{service.p99 / one_hop.p99:.2f} x raw one hop {one_hop.p99:.2f} ms)"
    )
    ok_ingest = (
        ingest.rate >= INGEST_TARGET
        and ingest.messages == ingest.sent
        and ingest.rows_with_final_value == args.blockers
    )
    verdict = "PASS" if ok_ingest else "FAIL"
    print(
        f"TARGET ingestion >= {INGEST_TARGET:,.0f} state messages/s on SQLite: {verdict} "
        f"({ingest.rate:,.0f} msg/s)"
    )
    return 0 if ok_rtt and ok_ingest else 1


if __name__ == "__main__":
    sys.exit(main())
