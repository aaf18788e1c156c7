"""Benchmark of the booking engine (core.services.booking.hold) under concurrent clients.

    python bench/booking.py [--clients 1,10,50] [--backend sqlite|postgres|both]
                            [--seconds 3] [--bookings 200]

Two scenarios per client count, each on fresh premises of a migrated scratch database:
  distinct   every client books its own single-spot premise, one booking after another at
             adjacent, non-overlapping hours (no conflicts expected);
  contested  all clients book the same single-spot premise: in each round every client asks
             for a different interval of the same 4-hour slot, all of them overlapping, and
             they start together (a barrier), so exactly one may win each round.
Each attempt is one unit of work (db.transaction()) exactly as a request makes it. After each
scenario the SQL overlap check runs over all holding reservations; any overlap is a failure
(the script prints FAIL and exits with status 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import collections
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bench._common import (
    BackendUnavailable,
    after_load,
    backend_choices,
    bulk_insert,
    overlapping_pairs,
    postgres_server_version,
    print_machine,
    print_table,
    scratch_database,
    summarize,
)
from core.db import Database
from core.errors import DomainError, NoSpotFree
from core.models import HOLDING_STATUSES, Premise, Reservation, Spot, User
from core.rules import MAX_DAYS_AHEAD, MAX_PENDING_HOLDS_PER_USER
from core.services import booking

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # "now" of every attempt: holds never lapse mid-run
FIRST_START = NOW + timedelta(minutes=15)
HOLD_MINUTES = 10
DISTINCT_MINUTES = 60  # distinct: booking k of a client is [k h, k+1 h) after FIRST_START
ROUND = timedelta(hours=4)  # contested: round r lives in [r*4h, r*4h + 165 min)
# Bookings open at most MAX_DAYS_AHEAD days ahead: the most bookings one spot can take here.
MAX_DISTINCT = MAX_DAYS_AHEAD * 24 - 2
MAX_ROUNDS = MAX_DAYS_AHEAD * 6 - 2


@dataclass
class Ids:
    """Explicit ids for bulk-inserted rows (sequences are moved past them afterwards)."""

    user: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    premise: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    spot: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


async def make_premises(db: Database, ids: Ids, count: int, label: str) -> list[int]:
    """`count` premises of one spot each."""
    premise_ids: list[int] = []
    premises: list[dict[str, Any]] = []
    spots: list[dict[str, Any]] = []
    for _ in range(count):
        pid = next(ids.premise)
        premise_ids.append(pid)
        premises.append(
            {
                "id": pid,
                "name": f"{label} {pid}",
                "address": f"{pid} Bench Street",
                "lat": 50.45,
                "lon": 30.52,
                "timezone": "Europe/Kyiv",
                "price_per_hour": 5_000,
                "currency": "UAH",
                "features": [],
                "photos": [],
                "description": "",
                "opening_hours": "24/7",
                "is_active": True,
                "created_at": NOW,
            }
        )
        spots.append({"id": next(ids.spot), "premise_id": pid, "label": "A1", "is_active": True})
    async with db.engine.begin() as conn:
        await bulk_insert(conn, Premise, premises)
        await bulk_insert(conn, Spot, spots)
    async with db.engine.begin() as conn:
        await after_load(conn, ["premises", "spots"])
    return premise_ids


async def make_users(db: Database, ids: Ids, clients: int, each: int) -> list[list[int]]:
    """`each` users for every client."""
    rows: list[dict[str, Any]] = []
    by_client: list[list[int]] = []
    for _ in range(clients):
        mine = [next(ids.user) for _ in range(each)]
        by_client.append(mine)
        rows += [
            {
                "id": uid,
                "telegram_id": 5_000_000 + uid,
                "phone": None,
                "name": f"Driver {uid}",
                "language": "uk",
                "is_admin": False,
                "sms_opt_out": False,
                "stripe_customer_id": None,
                "created_at": NOW,
            }
            for uid in mine
        ]
    async with db.engine.begin() as conn:
        await bulk_insert(conn, User, rows)
    async with db.engine.begin() as conn:
        await after_load(conn, ["users"])
    return by_client


def _user_for(users: list[int], attempt: int) -> int:
    # At most 3 unpaid holds per user (MAX_PENDING_HOLDS_PER_USER): a fresh user every 3 attempts.
    return users[attempt // MAX_PENDING_HOLDS_PER_USER]


@dataclass
class Tally:
    attempts: int = 0
    holds: int = 0
    conflicts: int = 0
    refused: collections.Counter[str] = field(default_factory=collections.Counter)  # other DomainErrors
    errors: collections.Counter[str] = field(default_factory=collections.Counter)  # anything else
    latencies_ms: list[float] = field(default_factory=list)
    rounds: int = 0


@dataclass(frozen=True, slots=True)
class Run:
    tally: Tally
    elapsed: float
    premise_ids: list[int]


async def attempt(
    db: Database, tally: Tally, user_id: int, premise_id: int, start: datetime, minutes: int
) -> None:
    tally.attempts += 1
    began = time.perf_counter()
    try:
        async with db.transaction() as session:
            await booking.hold(
                session,
                user_id=user_id,
                premise_id=premise_id,
                starts_at=start,
                minutes=minutes,
                now=NOW,
                hold_minutes=HOLD_MINUTES,
            )
        tally.holds += 1
    except NoSpotFree:
        tally.conflicts += 1
    except DomainError as exc:
        tally.refused[type(exc).__name__] += 1
    except Exception as exc:  # a benchmark reports every failure instead of stopping at the first
        tally.errors[f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"] += 1
    tally.latencies_ms.append((time.perf_counter() - began) * 1000)


async def run_distinct(db: Database, ids: Ids, clients: int, bookings: int, seconds: float) -> Run:
    bookings = min(bookings, MAX_DISTINCT)
    premises = await make_premises(db, ids, clients, "Own")
    users = await make_users(db, ids, clients, math.ceil(bookings / MAX_PENDING_HOLDS_PER_USER))
    tally = Tally()

    async def client(c: int, deadline: float) -> None:
        for k in range(bookings):
            if time.perf_counter() > deadline:
                return
            start = FIRST_START + k * timedelta(minutes=DISTINCT_MINUTES)
            await attempt(db, tally, _user_for(users[c], k), premises[c], start, DISTINCT_MINUTES)

    started = time.perf_counter()
    await asyncio.gather(*(client(c, started + seconds) for c in range(clients)))
    return Run(tally, time.perf_counter() - started, premises)


async def run_contested(db: Database, ids: Ids, clients: int, bookings: int, seconds: float) -> Run:
    rounds = min(bookings, MAX_ROUNDS)
    [premise] = await make_premises(db, ids, 1, "Contested")
    users = await make_users(db, ids, clients, math.ceil(rounds / MAX_PENDING_HOLDS_PER_USER))
    tally = Tally()
    barrier = asyncio.Barrier(clients)
    stop = False

    async def client(c: int, deadline: float) -> None:
        nonlocal stop
        await barrier.wait()
        for r in range(rounds):
            # Every interval of a round overlaps every other: starts within 45 minutes of the
            # round's start, lasts at least 60 minutes.
            start = FIRST_START + r * ROUND + ((c + r) % 4) * timedelta(minutes=15)
            minutes = 60 + 15 * ((7 * c + r) % 5)
            await attempt(db, tally, _user_for(users[c], r), premise, start, minutes)
            if time.perf_counter() > deadline:
                stop = True  # set before the barrier, read after it: every client agrees
            await barrier.wait()
            if c == 0:
                tally.rounds += 1
            if stop:
                return

    started = time.perf_counter()
    await asyncio.gather(*(client(c, started + seconds) for c in range(clients)))
    return Run(tally, time.perf_counter() - started, [premise])


async def holds_on_premise(db: Database, premise_id: int) -> int:
    async with db.read() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(Reservation)
            .join(Spot, Spot.id == Reservation.spot_id)
            .where(Spot.premise_id == premise_id, Reservation.status.in_(HOLDING_STATUSES))
        )
    return int(n or 0)


@dataclass
class RunResult:
    row: list[object]
    overlaps: int
    problems: list[str]


async def bench_backend(backend: str, args: argparse.Namespace) -> list[RunResult]:
    results: list[RunResult] = []
    async with scratch_database(backend, "booking") as url:
        kwargs: dict[str, Any] = {}
        if args.pool_size is not None:
            kwargs = {"pool_size": args.pool_size, "max_overflow": args.max_overflow}
        db = Database.from_url(url, **kwargs)
        ids = Ids()
        try:
            pool = (
                f"pool_size={args.pool_size} max_overflow={args.max_overflow}"
                if args.pool_size is not None
                else "the service's default pool (5 connections + 10 overflow)"
            )
            version = f"server {await postgres_server_version()}, " if backend == "postgres" else ""
            print(f"[{backend}] {version}scratch database {url.rsplit('/', 1)[1]}, {pool}")
            for scenario in ("distinct", "contested"):
                for clients in args.clients:
                    run = run_distinct if scenario == "distinct" else run_contested
                    done = await run(db, ids, clients, args.bookings, args.seconds)
                    tally, elapsed = done.tally, done.elapsed
                    overlaps = await overlapping_pairs(db)
                    problems = []
                    if scenario == "contested":
                        won = await holds_on_premise(db, done.premise_ids[0])
                        if won != tally.rounds:
                            problems.append(f"{won} holds on the contested spot over {tally.rounds} rounds")
                    elif tally.conflicts:
                        problems.append(f"{tally.conflicts} conflicts on distinct spots")
                    problems += [f"refused {n}x {kind}" for kind, n in tally.refused.items()]
                    problems += [f"error {n}x {kind}" for kind, n in tally.errors.items()]
                    lat = summarize(tally.latencies_ms)
                    row: list[object] = [
                        backend,
                        scenario,
                        clients,
                        tally.attempts,
                        tally.holds,
                        tally.conflicts,
                        sum(tally.refused.values()) + sum(tally.errors.values()),
                        elapsed,
                        tally.holds / elapsed,
                        tally.attempts / elapsed,
                        lat.p50,
                        lat.p99,
                        overlaps,
                    ]
                    results.append(RunResult(row, overlaps, problems))
                    flag = "OK" if overlaps == 0 else "FAIL"
                    print(
                        f"[{backend}] {scenario:9s} clients={clients:<3d} {tally.holds:5d} holds "
                        f"{tally.conflicts:5d} conflicts in {elapsed:5.2f} s; overlapping hold pairs: "
                        f"{overlaps} {flag}" + (f"; {'; '.join(problems)}" if problems else "")
                    )
        finally:
            await db.dispose()
    return results


def parse_clients(value: str) -> list[int]:
    counts = [int(v) for v in value.split(",") if v.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("client counts are positive integers, e.g. 1,10,50")
    return counts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/booking.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients",
        type=parse_clients,
        default=[1, 10, 50],
        help="concurrent client counts to run, comma-separated (1,10,50); e.g. --clients 10",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=3.0, help="time limit of each run (3)")
    parser.add_argument(
        "--bookings",
        type=int,
        default=200,
        help=f"attempts per client per run (distinct, at most {MAX_DISTINCT}) or rounds "
        f"(contested, at most {MAX_ROUNDS}) (200)",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="engine pool size (default: the service's, i.e. SQLAlchemy's)",
    )
    parser.add_argument("--max-overflow", type=int, default=10, help="with --pool-size (10)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_machine("booking benchmark")
    print(
        f"workload  : booking.hold() in its own db.transaction() per attempt; clients {args.clients}; "
        f"each run stops after {args.seconds:g} s or {args.bookings} attempts/rounds per client; "
        f"holds last {HOLD_MINUTES} min at a fixed now, so none lapses mid-run"
    )
    results: list[RunResult] = []
    for backend in backend_choices(args.backend):
        try:
            results += asyncio.run(bench_backend(backend, args))
        except BackendUnavailable as exc:
            print(f"[{backend}] SKIPPED: {exc}")
    print()
    if not results:
        print("NOT MEASURED: no backend ran")
        return 0
    print_table(
        [
            "backend",
            "scenario",
            "clients",
            "attempts",
            "holds",
            "conflicts",
            "other",
            "seconds",
            "holds/s",
            "attempts/s",
            "p50 ms",
            "p99 ms",
            "overlaps",
        ],
        [r.row for r in results],
    )
    print()
    overlapping = [r for r in results if r.overlaps]
    if overlapping:
        print("!" * 78)
        for r in overlapping:
            print(
                f"FAIL: {r.overlaps} overlapping pairs of holding reservations after "
                f"{r.row[0]} {r.row[1]} x{r.row[2]}"
            )
        print("!" * 78)
        return 1
    notes = [f"{r.row[0]} {r.row[1]} x{r.row[2]}: {p}" for r in results for p in r.problems]
    for note in notes:
        print(f"WARNING: {note}")
    print(f"PASS: 0 overlapping pairs of holding reservations after every run ({len(results)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
