"""Updates benchmark: simulated drivers walk the whole booking flow (/start, Find parking,
share the location, pick a garage, one hour, hold, pay from the wallet) through the Bot API
fake, which delivers every update as Telegram does in webhook mode: an HTTPS POST with the
secret token, here to a private nginx configured by deploy/nginx/parking.conf, in front of 1
and then 2 `python main.py run` processes on one PostgreSQL database and one Redis.

    python bench/updates.py [--drivers 24] [--warmup 5] [--seconds 20] [--latency-seconds 15]

Per stack and load it prints updates handled per second, the latency from an update's
delivery to the bot's answer on the driver's screen (p50, p99), the CPU time per update of
the bot's processes and of this one (the fake and the drivers), and how busy the machine's
cores were (from /proc: what a core buys, whatever else the machine runs). The loads:
  capacity       closed loop: every driver acts again as soon as the answer is on screen;
  half capacity  open loop: the drivers together send half the 1-process capacity, paced,
                 whatever the answers' latency (the latency a driver sees at ordinary load).
Each stack first warms up, unmeasured. In the same run, an aiogram echo bot (one process, a
text answered with the same text) behind the same nginx on the same fake gives the ceiling
of the stack: the fake, nginx, aiohttp and aiogram without the service's own work.
Target (issue 17): 2 processes >= 1.6 x 1 process. The fake runs in this process, nginx,
PostgreSQL and Redis on the same machine: the load average is printed, and on a machine
with few cores they compete for them.
Every booking is checked at the end (one confirmed reservation per walk, no overlaps, no
Bot API violations); the script exits 1 when one is not.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import redis.asyncio
from sqlalchemy import func, select

from bench._common import (
    BackendUnavailable,
    overlapping_pairs,
    print_machine,
    print_table,
    scratch_database,
    summarize,
)
from core.db import Database
from core.models import Reservation, ReservationStatus
from demo.botapi import FakeUser, TelegramFake
from tests.cluster import (
    ROOT,
    Walk,
    act,
    book_a_spot,
    bot_token,
    free_port,
    nginx,
    service_environment,
    services,
    wallet_top_up,
)
from tests.factories import make_premise

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
LAT, LON = 50.4501, 30.5234
GARAGES = tuple(f"Bench Garage {i}" for i in range(1, 5))
WEBHOOK_PATH = "/telegram/webhook"
SCRIPT = str(Path(__file__).resolve())


@dataclass
class Load:
    """What one phase measured."""

    latencies: list[float] = field(default_factory=list)
    walks: int = 0
    failures: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0  # CPU seconds the bot's processes used meanwhile
    bench_cpu: float = 0.0  # ... and this one (the Bot API fake and the drivers)
    busy: float = 0.0  # share of the machine's cores busy meanwhile (everything on it)

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / len(self.latencies) if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


# --- drivers ---------------------------------------------------------------------------------


_ids = itertools.count(50_000_000)


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (Linux /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


async def drive(
    tg: TelegramFake,
    drivers: int,
    seconds: float,
    walk_once: Callable[[Walk, FakeUser], Awaitable[None]],
    *,
    pids: Sequence[int] = (),
    rate: float | None = None,
) -> Load:
    """`drivers` concurrent drivers for `seconds`, each a new Telegram user per walk (a fresh
    user is never throttled: the service allows a user 3 updates a second). Closed loop, or
    paced so that all of them together send `rate` updates a second."""
    load = Load()
    cpu, own, (busy, total) = cpu_seconds(pids), time.process_time(), machine_ticks()
    start = time.perf_counter()
    deadline = start + seconds

    async def driver() -> None:
        walk = Walk()
        if rate is not None:
            interval = drivers / rate
            slot = time.perf_counter() + random.uniform(0, interval)

            async def pace() -> None:
                nonlocal slot
                await asyncio.sleep(max(0.0, slot - time.perf_counter()))
                slot += interval

            walk.before = pace
        while time.perf_counter() < deadline:
            user = tg.user(next(_ids), "Driver")
            try:
                await walk_once(walk, user)
                load.walks += 1
            except AssertionError as exc:  # no answer in time: counted, the driver goes on
                load.failures.append(str(exc)[:200])
        load.latencies.extend(walk.latencies)

    await asyncio.gather(*(driver() for _ in range(drivers)))
    load.elapsed = time.perf_counter() - start
    load.cpu = cpu_seconds(pids) - cpu
    load.bench_cpu = time.process_time() - own
    busy_after, total_after = machine_ticks()
    load.busy = (busy_after - busy) / max(1, total_after - total)
    return load


# --- the service -----------------------------------------------------------------------------


async def seed(db: Database) -> None:
    async with db.transaction() as s:
        for i, name in enumerate(GARAGES):
            await make_premise(s, lat=LAT + i * 0.0005, lon=LON, spots=500, price_per_hour=250, name=name)


@dataclass
class Figures:
    label: str
    processes: int
    capacity: Load
    half: Load | None = None


async def parking_stack(
    processes: int, args: argparse.Namespace, work: Path, half_rate: float | None
) -> tuple[Figures, list[str]]:
    """(figures, problems) for the service with `processes` processes; the paced phase offers
    `half_rate` updates a second (None: half of the capacity just measured)."""
    problems: list[str] = []
    token = bot_token()
    async with scratch_database("postgres", "updates") as url:
        db = Database.from_url(url, pool_size=5)
        try:
            await seed(db)
            ports = [free_port() for _ in range(processes)]
            directory = work / f"parking{processes}"
            async with (
                nginx(directory / "nginx", ports) as proxy,
                TelegramFake(token, webhook_ssl=proxy.ssl) as tg,
            ):
                env = service_environment(
                    token=token,
                    api_base=tg.base_url,
                    database_url=url,
                    redis_url=REDIS_URL,
                    public_url=proxy.url,
                )
                # Quiet: a line per request would make the logs the bottleneck.
                env["SWEEP_INTERVAL_SECONDS"] = "15"
                async with services(directory / "web", env, ports) as procs:
                    counter = itertools.count()

                    fund = wallet_top_up(db, "bench")

                    async def walk_once(walk: Walk, user: FakeUser) -> None:
                        garage = GARAGES[next(counter) % len(GARAGES)]
                        await book_a_spot(walk, user, garage, (LAT, LON), fund)

                    pids = [p.process.pid for p in procs]
                    # Not measured: each process's first screens, pool connections and caches.
                    warmup = await drive(tg, args.drivers, args.warmup, walk_once)
                    print(f"  {processes} process(es): capacity, {args.drivers} drivers, {args.seconds}s ...")
                    figures = Figures(
                        "parking bot",
                        processes,
                        await drive(tg, args.drivers, args.seconds, walk_once, pids=pids),
                    )
                    half_rate = half_rate or figures.capacity.rate / 2
                    if half_rate > 0:
                        offered = f"{half_rate:.1f} updates/s offered, {args.latency_seconds}s"
                        print(f"  {processes} process(es): {offered} ...")
                        figures.half = await drive(
                            tg, args.drivers, args.latency_seconds, walk_once, pids=pids, rate=half_rate
                        )
                    await asyncio.sleep(2)  # the outbox's confirmations of the last walks
                    walks = (
                        warmup.walks + figures.capacity.walks + (figures.half.walks if figures.half else 0)
                    )
                    problems += [f"{processes}p: {v}" for v in tg.violations[:5]]
                    async with db.read() as s:
                        confirmed = await s.scalar(
                            select(func.count()).where(Reservation.status == ReservationStatus.CONFIRMED)
                        )
                    if confirmed != walks:
                        problems.append(f"{processes}p: {walks} walks paid, {confirmed} bookings confirmed")
                    if (overlaps := await overlapping_pairs(db)) != 0:
                        problems.append(f"{processes}p: {overlaps} overlapping reservations")
                    for load in (warmup, figures.capacity, figures.half):
                        if load is not None and load.failures:
                            problems.append(
                                f"{processes}p: {len(load.failures)} walks lost: {load.failures[0]}"
                            )
                for proc in procs:
                    if proc.process.returncode not in (0, None) or "Traceback" in proc.output():
                        problems.append(f"{processes}p: {proc.name} failed, see {proc.log}")
        finally:
            await db.dispose()
            client = redis.asyncio.Redis.from_url(REDIS_URL)
            keys = [key async for key in client.scan_iter(f"fsm:{token.split(':')[0]}:*")]
            for start in range(0, len(keys), 1000):
                await client.delete(*keys[start : start + 1000])
            await client.aclose()
    return figures, problems


# --- the ceiling: an aiogram echo bot ----------------------------------------------------------


def echo_bot(port: int, api_base: str, token: str, secret: str) -> None:
    """The echo bot's process (`--echo-bot`): aiogram's webhook handler, one text handler."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.asynccontextmanager
async def echo_process(port: int, api_base: str, token: str, secret: str) -> AsyncIterator[int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, SCRIPT, "--echo-bot", str(port), api_base, token, secret,
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("the echo bot did not start") from None
                await asyncio.sleep(0.1)
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


async def echo_stack(args: argparse.Namespace, work: Path) -> Figures:
    token = bot_token()
    secret = "bench-echo-secret"
    port = free_port()
    async with (
        nginx(work / "echo" / "nginx", [port]) as proxy,
        TelegramFake(token, webhook_ssl=proxy.ssl) as tg,
        echo_process(port, tg.base_url, token, secret) as pid,
    ):
        tg.set_webhook_target(f"{proxy.url}{WEBHOOK_PATH}", secret)

        async def walk_once(walk: Walk, user: FakeUser) -> None:
            for step in range(7):  # as many updates as a booking walk
                text = f"echo {user.id} {step}"
                await _echo_act(walk, user, text)

        await drive(tg, args.drivers, args.warmup, walk_once)
        print(f"  echo bot: capacity, {args.drivers} drivers, {args.seconds}s ...")
        load = await drive(tg, args.drivers, args.seconds, walk_once, pids=[pid])
        return Figures("aiogram echo bot (ceiling)", 1, load)


async def _echo_act(walk: Walk, user: FakeUser, text: str) -> None:
    await act(walk, user, lambda: user.send_text(text), lambda m: m.text == text)


# --- report ----------------------------------------------------------------------------------


def _ms(value: float) -> float:
    return round(value * 1000, 1)


async def run(args: argparse.Namespace) -> int:
    print_machine("updates: drivers booking through nginx and webhook processes")
    print(f"load avg  : {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min) at the start")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_updates_") as tmp:
        work = Path(tmp)
        echo = await echo_stack(args, work)
        try:
            one, found = await parking_stack(1, args, work, None)
            problems += found
            two, found = await parking_stack(2, args, work, one.capacity.rate / 2)
            problems += found
        except BackendUnavailable as exc:
            print(f"PostgreSQL unavailable: {exc}")
            return 1
    print(f"load avg  : {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min) at the end")
    rows: list[list[object]] = []
    for figures in (echo, one, two):
        for phase, load in (("capacity", figures.capacity), ("half of 1p capacity", figures.half)):
            if load is None:
                continue
            summary = summarize(load.latencies)
            rows.append(
                [figures.label, figures.processes, phase, round(load.rate, 1), len(load.latencies),
                 _ms(summary.p50), _ms(summary.p99), _ms(load.cpu_per_update),
                 _ms(load.bench_cpu / max(1, len(load.latencies))), round(load.busy * 100)]
            )  # fmt: skip
    print()
    headers = ["stack", "processes", "load", "updates/s", "updates", "p50 ms", "p99 ms",
               "bot CPU ms/upd", "fake CPU ms/upd", "machine busy %"]  # fmt: skip
    print_table(headers, rows)
    ratio = two.capacity.rate / one.capacity.rate if one.capacity.rate else 0.0
    print(f"\n2 processes / 1 process: {ratio:.2f} (target >= 1.6)")
    print(f"parking bot at capacity / echo bot: {one.capacity.rate / echo.capacity.rate:.2f} (1 process)")
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


def main() -> int:
    if len(sys.argv) == 6 and sys.argv[1] == "--echo-bot":
        echo_bot(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drivers", type=int, default=24, help="concurrent drivers (default 24)")
    parser.add_argument("--seconds", type=float, default=20.0, help="closed-loop phase length (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured warm-up (default 5)")
    parser.add_argument(
        "--latency-seconds", type=float, default=15.0, help="half-capacity phase length (default 15)"
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
