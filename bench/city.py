"""Benchmark: a city at the top of the hour on two service processes (issue 17).

    python bench/city.py [--blockers 10000] [--rounds 3] [--reminders 5000] [--processes 2]
                         [--sweep-seconds 15]

Two `python main.py run` processes (webhook mode, tests/cluster.py) on a scratch PostgreSQL
database, the local Redis and a private Mosquitto with the shipped `max_queued_messages`
(deploy/mosquitto/mosquitto.conf; BENCH_MQTT_URL=mqtt://… uses that broker instead) with
MQTT_SHARED_GROUP and a topic prefix of the run's own; the Bot API fake in this process with
Telegram's limits on
(`rate_limit()`: 429 beyond 30 messages a second, or 1 a second in a chat). At once:
  - --blockers registered blockers report: an `availability` each, then --rounds `state`
    reports each, published by one client in a child process as fast as the processes take
    them (tests/city.py: at most 900 messages per process ahead of the database);
  - --reminders confirmed bookings (a driver and a Telegram chat each) have their reminder due:
    the processes' own reminder sweep (every --sweep-seconds) queues them and the holder of
    the outbox lease sends them.
Printed: messages published and written (a trigger logs every write), duplicates (a report
written twice, or an older one after a newer one: must be 0), rows holding their last report
and the ingestion rate; reminders queued and delivered (as the fake stored them), duplicates
and lost ones (must be 0), 429s (must be 0), the send rate from the first delivery to the last
and over its best and worst 10-second windows against 0.95 x 30 = 28.5/s, and which process
sent them; the CPU the processes used and the machine's load. Exits 1 when a target is missed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import redis.asyncio
from sqlalchemy import func, select

from bench._common import BackendUnavailable, print_machine, scratch_database
from bench.updates import cpu_seconds, machine_ticks
from core.db import Database
from core.models import Notification
from core.notifications import NotificationKind
from demo.botapi import TelegramFake
from tests.city import (
    FIRST_CHAT,
    Deliveries,
    Fleet,
    Published,
    Written,
    all_written,
    city_environment,
    clear_retained,
    lease_takers,
    links_ready,
    prepare_fleet,
    report_ts,
    seed_due_bookings,
    sent_by_process,
    written,
)
from tests.cluster import ROOT, bot_token, free_port, service_environment, services
from tests.hardware.support import Mosquitto

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
MQTT_URL = os.environ.get("BENCH_MQTT_URL", "")  # empty: a private broker, configured as shipped
TELEGRAM_RATE = 30.0
TARGET = 0.95 * TELEGRAM_RATE
REMINDER_MINUTES = 30


@dataclass
class Result:
    published: Published
    written: Written
    due_at: datetime
    queued: int
    queued_first: datetime | None
    queued_last: datetime | None
    outbox: Counter[str]
    deliveries: Deliveries
    throttled: int
    sent: dict[str, int]
    takers: list[str]
    cpu: dict[str, float]
    busy: float
    seconds: float


@contextlib.asynccontextmanager
async def broker(work: Path) -> AsyncIterator[str]:
    """BENCH_MQTT_URL, or a private Mosquitto with the queue the deploy config ships (the
    machine's own broker may keep Debian's default of 1,000, which drops a city's reports)."""
    if MQTT_URL:
        yield MQTT_URL
        return
    port = free_port()
    shipped = [
        line for line in (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
        if line.split()[:1] == ["max_queued_messages"]
    ]  # fmt: skip
    config = work / "mosquitto.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", *shipped]
    if os.geteuid() == 0:
        lines.append("user root")  # it would drop to `mosquitto`, who cannot read `work`
    config.write_text("\n".join(lines) + "\n")
    server = Mosquitto(port, config)
    await server.start()
    try:
        yield server.url
    finally:
        await server.kill()


async def city(args: argparse.Namespace, url: str, work: Path) -> Result:
    async with broker(work) as mqtt_url:
        return await _city(args, url, work, mqtt_url)


async def _city(args: argparse.Namespace, url: str, work: Path, mqtt_url: str) -> Result:
    token = bot_token()
    prefix = f"city{uuid.uuid4().hex[:8]}"
    db = Database.from_url(url)
    try:
        await prepare_fleet(db, args.blockers)
        ports = [free_port() for _ in range(args.processes)]
        chats = {FIRST_CHAT + i for i in range(args.reminders)}
        async with TelegramFake(token) as tg:
            tg.rate_limit(per_chat_per_second=1, global_per_second=int(TELEGRAM_RATE))
            for chat in sorted(chats):
                tg.user(chat, "Driver")
            base = service_environment(
                token=token, api_base=tg.base_url, database_url=url, redis_url=REDIS_URL,
                public_url=f"http://127.0.0.1:{ports[0]}",
            )  # fmt: skip
            env = city_environment(base, mqtt_url=mqtt_url, prefix=prefix, sweep_seconds=args.sweep_seconds)
            try:
                async with services(work / "web", env, ports) as procs, aiohttp.ClientSession() as http:
                    await links_ready(procs)
                    pids = {p.name: p.process.pid for p in procs}
                    start = datetime.now(UTC)
                    async with Fleet.started(
                        mqtt_url=mqtt_url, prefix=prefix, database_url=url, blockers=args.blockers,
                        rounds=args.rounds, processes=args.processes, start=start,
                    ) as fleet:  # fmt: skip
                        deliveries = Deliveries(tg, chats)
                        cpu_before = {name: cpu_seconds([pid]) for name, pid in pids.items()}
                        busy_before, total_before = machine_ticks()
                        began = time.perf_counter()
                        due = await seed_due_bookings(db, args.reminders, REMINDER_MINUTES, datetime.now(UTC))
                        fleet.go()
                        print(f"  {args.reminders:,} reminders due; the fleet is reporting ...", flush=True)
                        published = await fleet.result(within=1800)
                    await all_written(db, published.availability + published.states)
                    stored = await written(db, report_ts(start, args.rounds))
                    print(
                        f"  fleet done in {published.seconds:.1f} s; waiting for the reminders ...",
                        flush=True,
                    )
                    await deliveries.wait_all(idle=60)
                    await asyncio.sleep(2)  # a second copy of any reminder would come by now
                    seconds = time.perf_counter() - began
                    cpu = {name: cpu_seconds([pid]) - cpu_before[name] for name, pid in pids.items()}
                    busy_after, total_after = machine_ticks()
                    sent = await sent_by_process(http, procs)
                    deliveries.close()
            finally:
                await clear_retained(mqtt_url, prefix, args.blockers)
                client = redis.asyncio.Redis.from_url(REDIS_URL)
                keys = [key async for key in client.scan_iter(f"fsm:{token.split(':')[0]}:*")]
                if keys:
                    await client.delete(*keys)
                await client.aclose()
                if args.logs is not None:
                    args.logs.mkdir(parents=True, exist_ok=True)
                    for log in (work / "web").glob("*.log"):
                        shutil.copy(log, args.logs / log.name)
            throttled = tg.throttled
        async with db.read() as s:
            reminders = (Notification.kind == NotificationKind.BOOKING_REMINDER.value,)
            queued, first, last = (
                await s.execute(
                    select(func.count(), func.min(Notification.created_at), func.max(Notification.created_at))
                    .where(*reminders)
                )
            ).one()  # fmt: skip
            outbox = Counter(
                {
                    str(status.value): int(n)
                    for status, n in (
                        await s.execute(
                            select(Notification.status, func.count()).group_by(Notification.status)
                        )
                    ).tuples()
                }
            )
    finally:
        await db.dispose()
    return Result(
        published, stored, due.at, int(queued), first, last, outbox, deliveries, throttled, sent,
        lease_takers(procs), cpu, (busy_after - busy_before) / max(1, total_after - total_before), seconds,
    )  # fmt: skip


def report(args: argparse.Namespace, r: Result) -> int:
    p, w, d = r.published, r.written, r.deliveries
    messages = p.availability + p.states
    duplicates = w.rewrites + max(0, w.writes - p.states)
    print()
    print(f"blockers  : {args.blockers:,} x (1 availability + {args.rounds} state reports), one publisher")
    print(
        f"  published {messages:,} ({p.availability:,} availability, {p.states:,} state) in "
        f"{p.seconds:.1f} s; written {w.availability + w.writes:,} ({w.availability:,} availability, "
        f"{w.writes:,} state)"
    )
    print(
        f"  duplicates {duplicates} (report written twice or after a newer one); rows with their last report"
        f" {w.rows_at_final:,} of {args.blockers:,}; online {w.online:,}"
    )
    print(f"  ingestion {w.ingestion_rate(p):,.0f} messages/s (first published to last written)")
    print()
    offset = (r.queued_last - r.due_at).total_seconds() if r.queued_last else float("nan")
    print(
        f"reminders : {args.reminders:,} due at once; {r.queued:,} queued by the sweeps, the last "
        f"{offset:.1f} s after due"
    )
    rate = d.rate()
    best, worst = d.windows(10)
    lost = args.reminders - d.reached
    first = d.times[0] - r.due_at.timestamp() if d.times else float("nan")
    last = d.times[-1] - r.due_at.timestamp() if d.times else float("nan")
    print(
        f"  delivered {len(d.times):,} to {d.reached:,} chats (duplicates {d.duplicates}, lost {lost}); "
        f"429s {r.throttled}; first {first:.1f} s, last {last:.1f} s after due"
    )
    print(
        f"  rate {rate:.2f}/s first to last ({rate / TELEGRAM_RATE:.3f} of 30/s); 10-s windows best "
        f"{best:.1f}/s, worst {worst:.1f}/s; target >= {TARGET:.1f}/s"
    )
    print(
        "  sent by "
        + ", ".join(f"{name} {n:,}" for name, n in r.sent.items())
        + f"; lease taken by {', '.join(r.takers) or 'none'}; outbox "
        + ", ".join(f"{k}={v:,}" for k, v in sorted(r.outbox.items()))
    )
    if args.timeline and d.times:
        per_second = Counter(int(t - d.times[0]) for t in d.times)
        print("  per second: " + " ".join(str(per_second.get(i, 0)) for i in range(max(per_second) + 1)))
    print()
    load = os.getloadavg()
    print(
        f"load      : {r.seconds:.0f} s measured; CPU "
        + ", ".join(f"{name} {cpu:.1f} s ({cpu / r.seconds:.0%})" for name, cpu in r.cpu.items())
        + f"; machine {r.busy:.0%} busy; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    failures = [
        what
        for what, bad in (
            ("blocker messages lost", w.writes + w.availability < messages),
            ("duplicate writes", duplicates > 0),
            ("rows without their last report", w.rows_at_final != args.blockers),
            ("reminders lost", lost > 0),
            ("duplicate reminders", d.duplicates > 0),
            ("429s", r.throttled > 0),
            (f"send rate below {TARGET}/s", not rate >= TARGET),
            ("more than one sender", sum(1 for n in r.sent.values() if n) > 1),
        )
        if bad
    ]
    print("TARGETS   : " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
    return 1 if failures else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blockers", type=int, default=10_000, help="simulated blockers (10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="state reports per blocker (3)")
    parser.add_argument("--reminders", type=int, default=5000, help="reminders due at once (5,000)")
    parser.add_argument("--processes", type=int, default=2, help="service processes (2)")
    parser.add_argument("--sweep-seconds", type=float, default=15, help="SWEEP_INTERVAL_SECONDS (15)")
    parser.add_argument("--timeline", action="store_true", help="print the deliveries of each second")
    parser.add_argument("--logs", type=Path, help="copy the processes' logs into this directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_machine("a city at the top of the hour, several processes")
    print(
        f"services  : {args.processes} x `main.py run` (webhook mode), PostgreSQL, Redis {REDIS_URL}, "
        f"Mosquitto {MQTT_URL or 'private, max_queued_messages as shipped'} (MQTT v5 shared group), "
        "Bot API fake with Telegram's limits"
    )

    async def go() -> Result:
        with tempfile.TemporaryDirectory(prefix="bench_city_") as tmp:
            async with scratch_database("postgres", "city") as url:
                return await city(args, url, Path(tmp))

    try:
        result = asyncio.run(go())
    except BackendUnavailable as exc:
        print(f"skipped: {exc}")
        return 1
    return report(args, result)


if __name__ == "__main__":
    raise SystemExit(main())
