"""Benchmark of the nearby search (core.services.nearby.find_nearby) on a metro-sized data set.

    python bench/nearby.py [--premises 100000 [1000000 ...]] [--backend sqlite|postgres|both]
                           [--queries 1000]

Loads N premises (1-5 spots each, reviews on a fraction, reservations so that free-spot counts
vary and some premises are full) into a migrated scratch database, then times find_nearby
(radius 2 km, page of 10) at random points of the region, each call in its own read-only unit
of work exactly as a request makes it, against a naive full scan that computes every
distance in Python. Each size is a separate data set in the same 50 km x 50 km region: 100,000
premises is the metro workload, 1,000,000 the density workload (up to ~25,000 premises in a
2 km radius). On SQLite the same run also times a raw R*Tree lookup of the ten nearest
premises (sqlite3 directly, no ORM, no availability): the floor the search is measured against.
Targets: p99 <= 2 ms at 100,000 premises and <= 5 ms at 1,000,000, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import bisect
import collections
import cProfile
import gc
import io
import itertools
import math
import os
import pstats
import random
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench._common import (
    BackendUnavailable,
    after_load,
    backend_choices,
    bulk_insert,
    postgres_server_version,
    print_machine,
    print_table,
    scratch_database,
    summarize,
    usable_cores,
)
from core.db import Database
from core.features import FEATURES
from core.geo import bounding_box, haversine_m
from core.models import Premise, Reservation, ReservationStatus, Review, Spot, User
from core.rules import Interval
from core.services.nearby import find_nearby

CENTRE = (50.45, 30.52)  # Kyiv
HALF_SIDE_M = 25_000  # the region is a 50 km x 50 km square around the centre
M_PER_DEG_LAT = 111_320.0
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # "now" of every query and of the data set
Q = timedelta(minutes=15)
TARGET_P99_MS = {100_000: 2.0, 1_000_000: 5.0}  # premises: p99 target on both databases


# --- data set --------------------------------------------------------------------------------


@dataclass
class DataSet:
    users: list[dict[str, Any]] = field(default_factory=list)
    premises: list[dict[str, Any]] = field(default_factory=list)
    spots: list[dict[str, Any]] = field(default_factory=list)
    reservations: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    full_premises: int = 0

    def describe(self) -> str:
        holding = sum(1 for r in self.reservations if r["status"] in _HOLDING_VALUES)
        return (
            f"{len(self.premises):,} premises, {len(self.spots):,} spots, {len(self.users):,} users, "
            f"{len(self.reservations):,} reservations ({holding:,} holding), {len(self.reviews):,} reviews "
            f"({self.full_premises:,} premises fully booked all day)"
        )


_HOLDING_VALUES = {"pending_payment", "confirmed", "active"}
_STATUSES = (
    (ReservationStatus.CONFIRMED, 45),
    (ReservationStatus.PENDING_PAYMENT, 15),
    (ReservationStatus.ACTIVE, 10),
    (ReservationStatus.COMPLETED, 10),
    (ReservationStatus.CANCELLED, 15),
    (ReservationStatus.EXPIRED, 5),
)


class Region:
    """Points of the metro region: uniform, with a share drawn from a Gaussian around the
    centre (a denser city core)."""

    def __init__(self, rng: random.Random, centre_share: float, centre_sigma_m: float = 5_000) -> None:
        self.rng = rng
        self.centre_share = centre_share
        self.sigma = centre_sigma_m
        self.m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(CENTRE[0]))

    def _to_deg(self, north_m: float, east_m: float) -> tuple[float, float]:
        return CENTRE[0] + north_m / M_PER_DEG_LAT, CENTRE[1] + east_m / self.m_per_deg_lon

    def uniform(self) -> tuple[float, float]:
        return self._to_deg(
            self.rng.uniform(-HALF_SIDE_M, HALF_SIDE_M), self.rng.uniform(-HALF_SIDE_M, HALF_SIDE_M)
        )

    def weighted(self) -> tuple[float, float]:
        """A point drawn like a premise is (where premises are dense, so is demand)."""
        if self.rng.random() >= self.centre_share:
            return self.uniform()
        while True:
            n, e = self.rng.gauss(0, self.sigma), self.rng.gauss(0, self.sigma)
            if abs(n) <= HALF_SIDE_M and abs(e) <= HALF_SIDE_M:
                return self._to_deg(n, e)


def build_dataset(n_premises: int, region: Region, rng: random.Random) -> DataSet:
    data = DataSet()
    n_users = max(100, min(20_000, n_premises // 50))
    for uid in range(1, n_users + 1):
        data.users.append(
            {
                "id": uid,
                "telegram_id": 1_000_000 + uid,
                "phone": None,
                "name": f"Driver {uid}",
                "language": "uk",
                "is_admin": False,
                "sms_opt_out": False,
                "stripe_customer_id": None,
                "created_at": T0 - timedelta(days=30),
            }
        )
    spot_id = 0
    res_id = 0
    for pid in range(1, n_premises + 1):
        lat, lon = region.weighted()
        data.premises.append(
            {
                "id": pid,
                "name": f"Parking {pid}",
                "address": f"{pid} Bench Street, Kyiv",
                "lat": lat,
                "lon": lon,
                "timezone": "Europe/Kyiv",
                "price_per_hour": rng.randrange(2_000, 8_001, 500),
                "currency": "UAH",
                "features": [f for f in FEATURES if rng.random() < 0.3],
                "photos": [],
                "description": "",
                "opening_hours": "24/7",
                "is_active": rng.random() >= 0.02,
                "created_at": T0 - timedelta(days=60),
            }
        )
        full = rng.random() < 0.05
        data.full_premises += full
        for n in range(rng.randint(1, 5)):
            spot_id += 1
            data.spots.append({"id": spot_id, "premise_id": pid, "label": f"A{n + 1}", "is_active": True})
            if full:  # booked all day: the search must skip it and look further
                res_id += 1
                data.reservations.append(
                    _reservation(res_id, rng, n_users, spot_id, T0 - timedelta(hours=1), 24 * 4, "confirmed")
                )
            elif rng.random() < 0.3:  # 1-3 bookings on a day line of the spot, never overlapping
                cursor = T0 - timedelta(hours=2) + rng.randint(0, 8) * Q
                for _ in range(rng.randint(1, 3)):
                    start = cursor + rng.randint(0, 8) * Q
                    quarters = rng.randint(4, 16)
                    status = rng.choices([s for s, _ in _STATUSES], [w for _, w in _STATUSES])[0]
                    res_id += 1
                    row = _reservation(res_id, rng, n_users, spot_id, start, quarters, status)
                    data.reservations.append(row)
                    cursor = start + quarters * Q
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 6)):
                data.reviews.append(
                    {
                        "id": len(data.reviews) + 1,
                        "user_id": rng.randint(1, n_users),
                        "premise_id": pid,
                        "reservation_id": None,
                        "rating": rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 5])[0],
                        "text": "",
                        "is_approved": rng.random() < 0.8,
                        "created_at": T0 - timedelta(days=rng.randint(1, 30)),
                    }
                )
    return data


def _reservation(
    res_id: int, rng: random.Random, n_users: int, spot_id: int, start: datetime, quarters: int, status: str
) -> dict[str, Any]:
    hold_expires = {"pending_payment": T0 + timedelta(minutes=10), "expired": T0 - timedelta(minutes=5)}
    return {
        "id": res_id,
        "user_id": rng.randint(1, n_users),
        "spot_id": spot_id,
        "starts_at": start,
        "ends_at": start + quarters * Q,
        "status": status,
        "price": 1_000 * quarters,
        "currency": "UAH",
        "hold_expires_at": hold_expires.get(status),
        "reminded_at": None,
        "arrived_at": None,
        "closed_at": None,
        "no_show": False,
        "created_at": T0 - timedelta(days=1),
        "updated_at": T0 - timedelta(days=1),
    }


async def load(db: Database, data: DataSet) -> float:
    started = time.perf_counter()
    async with db.engine.begin() as conn:  # one transaction (SQLite: one journal commit)
        await bulk_insert(conn, User, data.users)
        await bulk_insert(conn, Premise, data.premises)
        await bulk_insert(conn, Spot, data.spots)
        await bulk_insert(conn, Reservation, data.reservations)
        await bulk_insert(conn, Review, data.reviews)
    async with db.engine.begin() as conn:
        await after_load(conn, ["users", "premises", "spots", "reservations", "reviews"])
    return time.perf_counter() - started


# --- workload --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    lat: float
    lon: float
    interval: Interval


def make_queries(n: int, point: Any, rng: random.Random) -> list[Query]:
    queries = []
    for _ in range(n):
        lat, lon = point()
        start = T0 + rng.randint(0, 16) * Q  # within the next four hours, two hours long
        queries.append(Query(lat, lon, Interval(start, start + timedelta(hours=2))))
    return queries


@dataclass
class Outcome:
    samples_ms: list[float] = field(default_factory=list)
    items: int = 0
    has_more: int = 0
    empty: int = 0


async def run_queries(db: Database, queries: Sequence[Query], radius_m: int) -> Outcome:
    out = Outcome()
    for q in queries:
        started = time.perf_counter()
        async with db.read(snapshot=False) as session:  # as the search screen reads
            page = await find_nearby(
                session, q.lat, q.lon, interval=q.interval, now=T0, radius_m=radius_m, limit=10
            )
        out.samples_ms.append((time.perf_counter() - started) * 1000)
        out.items += len(page.items)
        out.has_more += page.has_more
        out.empty += not page.items
    return out


async def naive_scan(db: Database, queries: Sequence[Query], radius_m: int) -> list[float]:
    """Every premise's coordinates, no bounding box, distance for each in Python, sorted."""
    samples = []
    for q in queries:
        started = time.perf_counter()
        async with db.read(snapshot=False) as session:
            rows = await session.execute(select(Premise.id, Premise.lat, Premise.lon))
            nearest = sorted(
                (d, pid)
                for pid, plat, plon in rows.tuples()
                if (d := haversine_m(q.lat, q.lon, plat, plon)) <= radius_m
            )[:10]
        samples.append((time.perf_counter() - started) * 1000)
        assert len(nearest) <= 10
    return samples


def raw_rtree_knn(path: str, queries: Sequence[Query], radius_m: int, k: int = 10) -> list[float]:
    """The ten nearest premises straight from the R*Tree with sqlite3: boxes of growing radius
    (as the search grows its rings) until ten lie within the radius, on the index's own
    coordinates. No ORM, no event loop, no availability: the floor for the search."""
    conn = sqlite3.connect(path)
    sql = (
        "SELECT id, min_lat, min_lon FROM premises_rtree "
        "WHERE max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?"
    )
    samples = []
    try:
        for q in queries:
            started = time.perf_counter()
            ring = 60.0
            while True:
                box = bounding_box(q.lat, q.lon, ring)
                within = sorted(
                    (d, pid)
                    for lo, hi in box.lon_ranges
                    for pid, plat, plon in conn.execute(sql, (box.min_lat, box.max_lat, lo, hi))
                    if (d := haversine_m(q.lat, q.lon, plat, plon)) <= ring
                )
                if len(within) >= k or ring >= radius_m:
                    break
                growth = math.sqrt(2 * k / max(len(within), 1))
                ring = min(float(radius_m), ring * min(max(growth, 1.5), 6.0))
            samples.append((time.perf_counter() - started) * 1000)
            assert len(within[:k]) <= k
    finally:
        conn.close()
    return samples


class LatIndex:
    """An in-memory model of the (lat, lon) index: how many index entries the latitude band
    holds, how many rows fall in the bounding box and how many premises in the radius, per
    query (diagnostics, not timed)."""

    _CELL = 0.01  # degrees

    def __init__(self, premises: Sequence[dict[str, Any]]) -> None:
        self.lats = sorted(p["lat"] for p in premises)
        self.grid: dict[tuple[int, int], list[tuple[float, float]]] = collections.defaultdict(list)
        for p in premises:
            self.grid[self._cell(p["lat"], p["lon"])].append((p["lat"], p["lon"]))

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self._CELL), math.floor(lon / self._CELL)

    def counts(self, lat: float, lon: float, radius_m: int) -> tuple[int, int, int]:
        """(index entries in the latitude band, rows in the box, premises in the radius)."""
        box = bounding_box(lat, lon, radius_m)
        band = bisect.bisect_right(self.lats, box.max_lat) - bisect.bisect_left(self.lats, box.min_lat)
        in_box = in_radius = 0
        for lo, hi in box.lon_ranges:
            (c0, k0), (c1, k1) = self._cell(box.min_lat, lo), self._cell(box.max_lat, hi)
            for cell in itertools.product(range(c0, c1 + 1), range(k0, k1 + 1)):
                for plat, plon in self.grid.get(cell, ()):
                    if box.min_lat <= plat <= box.max_lat and lo <= plon <= hi:
                        in_box += 1
                        in_radius += haversine_m(lat, lon, plat, plon) <= radius_m
        return band, in_box, in_radius


# --- driver ----------------------------------------------------------------------------------


@dataclass
class BackendResult:
    backend: str
    rows: list[list[object]] = field(default_factory=list)
    uniform_p99: float = float("nan")
    weighted_p99: float = float("nan")
    slowest_uniform: list[int] = field(default_factory=list)  # query indexes, slowest first


async def bench_backend(
    backend: str,
    args: argparse.Namespace,
    data: DataSet,
    warmup: Sequence[Query],
    workloads: dict[str, list[Query]],
) -> BackendResult:
    result = BackendResult(backend)
    async with scratch_database(backend, "nearby") as url:
        db = Database.from_url(url)
        try:
            if backend == "postgres":
                version = await postgres_server_version()
                print(f"[{backend}] server {version}, scratch database {url.rsplit('/', 1)[1]}")
            seconds = await load(db, data)
            print(f"[{backend}] loaded in {seconds:.1f} s")
            await run_queries(db, warmup, args.radius)
            for name, queries in workloads.items():
                out = await run_queries(db, queries, args.radius)
                s = summarize(out.samples_ms)
                result.rows.append(
                    [
                        backend,
                        f"find_nearby, {name}",
                        s.n,
                        s.mean,
                        s.p50,
                        s.p95,
                        s.p99,
                        s.max,
                        f"{out.items / len(queries):.1f}",
                        f"{100 * out.empty / len(queries):.0f}%",
                    ]
                )
                if name == "premise-weighted points":
                    result.weighted_p99 = s.p99
                if name == "uniform points":
                    result.uniform_p99 = s.p99
                    order = sorted(range(len(queries)), key=lambda i: out.samples_ms[i], reverse=True)
                    result.slowest_uniform = order
                print(f"[{backend}] {name}: done")
            if backend == "sqlite":
                if args.profile:
                    await profile(db, workloads["uniform points"], args.radius)
                path = url.split(":///", 1)[1]
                raw = await asyncio.to_thread(raw_rtree_knn, path, workloads["uniform points"], args.radius)
                r = summarize(raw)
                result.rows.append(
                    [
                        backend,
                        "raw R*Tree 10-NN, uniform points",
                        r.n,
                        r.mean,
                        r.p50,
                        r.p95,
                        r.p99,
                        r.max,
                        "-",
                        "-",
                    ]
                )
            # A full scan of a million rows takes seconds: fewer of them at larger sizes.
            scans = max(3, args.baseline_iterations * 100_000 // len(data.premises))
            base = await naive_scan(db, workloads["uniform points"][:scans], args.radius)
            b = summarize(base)
            result.rows.append(
                [backend, "naive full scan (baseline)", b.n, b.mean, b.p50, b.p95, b.p99, b.max, "-", "-"]
            )
            print(f"[{backend}] baseline: done")
        finally:
            await db.dispose()
    return result


async def profile(db: Database, queries: Sequence[Query], radius_m: int) -> None:
    """cProfile of the query loop (the event loop's thread; aiosqlite runs SQLite in its own
    thread, so time inside sqlite3 shows as waiting in the selector)."""
    profiler = cProfile.Profile()
    profiler.enable()
    await run_queries(db, queries, radius_m)
    profiler.disable()
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    print(buf.getvalue())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/nearby.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--premises",
        type=int,
        nargs="+",
        default=[100_000],
        help="number(s) of premises, one data set each; 1000000 is the density workload (100000)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--queries", type=int, default=1_000, help="timed queries per workload (1000)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed queries first (50)")
    parser.add_argument(
        "--baseline-iterations",
        type=int,
        default=30,
        help="naive full scans at 100,000 premises, fewer above (30)",
    )
    parser.add_argument("--radius", type=int, default=2_000, help="search radius in metres (2000)")
    parser.add_argument(
        "--centre-share",
        type=float,
        default=0.3,
        help="share of premises drawn from a Gaussian (sigma 5 km) around the centre; 0 = uniform (0.3)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite uniform-point queries")
    return parser.parse_args(argv)


def run_size(args: argparse.Namespace, n_premises: int) -> list[BackendResult]:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    data = build_dataset(n_premises, Region(rng, args.centre_share), rng)
    print()
    print(f"data set  : {data.describe()}")
    print(
        f"            region 50 km x 50 km around {CENTRE}, {args.centre_share:.0%} of premises in a "
        f"Gaussian core (sigma 5 km); generated in {time.perf_counter() - started:.1f} s"
    )
    qrng = random.Random(args.seed + 3)
    region = Region(qrng, args.centre_share)
    warmup = make_queries(args.warmup, region.uniform, qrng)
    workloads: dict[str, list[Query]] = {
        "uniform points": make_queries(args.queries, region.uniform, qrng),
        "premise-weighted points": make_queries(args.queries, region.weighted, qrng),
    }
    index = LatIndex(data.premises)
    # The data set (millions of dicts) stays in memory for loading each backend: keep the
    # cyclic GC from walking it during timed queries (a service would not hold it).
    gc.collect()
    gc.freeze()
    for name, queries in workloads.items():
        counts = [index.counts(q.lat, q.lon, args.radius) for q in queries]
        band, box, radius = (summarize([float(c[i]) for c in counts]) for i in range(3))
        print(
            f"            {name}: premises in radius p50 {radius.p50:.0f} / p99 {radius.p99:.0f} / max "
            f"{radius.max:.0f}; rows in the bounding box p50 {box.p50:.0f} / p99 {box.p99:.0f}; "
            f"(lat) index band p50 {band.p50:.0f} / p99 {band.p99:.0f}"
        )
    results: list[BackendResult] = []
    for backend in backend_choices(args.backend):
        try:
            results.append(asyncio.run(bench_backend(backend, args, data, warmup, workloads)))
        except BackendUnavailable as exc:
            print(f"[{backend}] SKIPPED: {exc}")
    print()
    print(f"Results (ms; {n_premises:,} premises, {usable_cores()} cores, load average {_load()})")
    print_table(
        ["backend", "workload", "n", "mean", "p50", "p95", "p99", "max", "items/page", "empty pages"],
        [row for r in results for row in r.rows],
    )
    for r in results:
        if r.slowest_uniform:
            slow = r.slowest_uniform[: max(1, len(r.slowest_uniform) // 100)]
            queries = workloads["uniform points"]
            in_radius = [index.counts(queries[i].lat, queries[i].lon, args.radius)[2] for i in slow]
            print(
                f"{r.backend}: the slowest 1% of uniform-point queries had "
                f"{min(in_radius)}-{max(in_radius)} premises in the radius"
            )
    gc.unfreeze()
    return results


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_machine("nearby search benchmark")
    print(
        f"workload  : find_nearby(radius_m={args.radius}, limit=10, only_available) at {args.queries:,} "
        f"points per mix after {args.warmup} warm-up queries, each in its own db.read(snapshot=False) "
        f"like the search screen; 2-hour interval starting within 4 h of now"
    )
    print("            SQLite is not ANALYZEd (the service never does); PostgreSQL is, after the load")
    verdicts = []
    for n_premises in args.premises:
        results = run_size(args, n_premises)
        target = TARGET_P99_MS.get(n_premises)
        for r in results:
            if target is None:
                continue
            for name, p99 in (("uniform points", r.uniform_p99), ("premise-weighted points", r.weighted_p99)):
                verdict = "PASS" if p99 <= target else "FAIL"
                verdicts.append(
                    f"TARGET p99 <= {target:g} ms at {n_premises:,} premises, {r.backend}, {name}: "
                    f"{verdict} (p99 {p99:.2f} ms)"
                )
    print()
    for line in verdicts or ["TARGET: NOT MEASURED (no size with a target: 100000 or 1000000)"]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
