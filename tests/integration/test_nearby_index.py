"""The nearby search on its spatial index gives what a full scan gives, on random data; the
migration fills the index with the premises already there."""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy import delete, insert, select, text, update

from core.clock import ManualClock
from core.db import Database
from core.features import FEATURES
from core.geo import geodesic_m, haversine_m
from core.migrate import alembic_config, upgrade_to_head
from core.models import Premise, Reservation, ReservationStatus, Review, Spot
from core.rules import Interval
from core.services.availability import free_spot_counts
from core.services.nearby import NearbyPage, SearchFilters, find_nearby
from tests.conftest import T0, _in_thread
from tests.factories import make_user
from tests.services import POSTGRES_URL, tcp_open, unavailable

LAT, LON = 50.45, 30.52
SLOT = Interval(T0 + timedelta(hours=1), T0 + timedelta(hours=3))
Shown = tuple[int, int, int, float | None, int]


def _point(rng: random.Random, lat: float, lon: float, within_m: float) -> tuple[float, float]:
    north, east = rng.uniform(-within_m, within_m), rng.uniform(-within_m, within_m)
    return lat + north / 111_195, lon + east / (111_195 * math.cos(math.radians(lat)))


async def _brute_force(
    db: Database,
    lat: float,
    lon: float,
    radius_m: int,
    limit: int,
    offset: int,
    filters: SearchFilters,
    clock: ManualClock,
) -> tuple[list[Shown], bool]:
    """Every premise, its distance and free spots, sorted: the search as a full scan."""
    async with db.read() as s:
        premises = list(await s.scalars(select(Premise)))
        free = await free_spot_counts(s, [p.id for p in premises], SLOT, clock.now())
        reviews = list(await s.scalars(select(Review).where(Review.is_approved.is_(True))))
    found = sorted(
        (d, p.id)
        for p in premises
        if (d := haversine_m(lat, lon, p.lat, p.lon)) <= radius_m
        and p.is_active
        and filters.features <= set(p.features)
        and (filters.max_price_per_hour is None or p.price_per_hour <= filters.max_price_per_hour)
        and (free[p.id] > 0 or not filters.only_available)
    )
    by_id = {p.id: p for p in premises}
    shown = []
    for _, pid in found[offset : offset + limit]:
        ratings = [r.rating for r in reviews if r.premise_id == pid]
        p = by_id[pid]
        shown.append(
            (
                pid,
                round(geodesic_m(lat, lon, p.lat, p.lon)),
                free[pid],
                round(sum(ratings) / len(ratings), 1) if ratings else None,
                len(ratings),
            )
        )
    return shown, len(found) > offset + limit


def _seen(page: NearbyPage) -> tuple[list[Shown], bool]:
    return [
        (p.premise_id, p.distance_m, p.free_spots, p.rating, p.review_count) for p in page.items
    ], page.has_more


async def _random_city(db: Database, rng: random.Random) -> None:
    """A dense core, a sparse ring, premises sharing a building (equal distances), full and
    inactive ones, a few across the antimeridian; then some move and some close down, so the
    index must follow updates and deletes."""
    async with db.transaction() as s:
        user = await make_user(s)
        points = [_point(rng, LAT, LON, 400) for _ in range(250)]
        points += [_point(rng, LAT, LON, 4_000) for _ in range(150)]
        points += [points[rng.randrange(len(points))] for _ in range(40)]  # same building
        points += [_point(rng, -17.0, 179.99, 1_500) for _ in range(20)]
        points = [(lat, lon - 360 if lon > 180 else lon) for lat, lon in points]
        await s.execute(
            insert(Premise),
            [
                {
                    "name": f"P{i}",
                    "address": f"{i} Random Street",
                    "lat": lat,
                    "lon": lon,
                    "timezone": "Europe/Kyiv",
                    "price_per_hour": rng.randrange(100, 900, 100),
                    "currency": "EUR",
                    "features": [f for f in FEATURES if rng.random() < 0.3],
                    "photos": [],
                    "description": "",
                    "opening_hours": "24/7",
                    "is_active": rng.random() > 0.05,
                }
                for i, (lat, lon) in enumerate(points)
            ],
        )
        ids = list(await s.scalars(select(Premise.id)))
        await s.execute(
            insert(Spot),
            [
                {"premise_id": pid, "label": f"A{n}", "is_active": rng.random() > 0.05}
                for pid in ids
                for n in range(rng.choice([0, 1, 1, 2, 3]))
            ],
        )
        spots = list(await s.scalars(select(Spot.id)))
        statuses = [
            ReservationStatus.CONFIRMED,
            ReservationStatus.PENDING_PAYMENT,
            ReservationStatus.CANCELLED,
        ]
        reservations = []
        for spot_id in rng.sample(spots, len(spots) // 2):
            status = rng.choice(statuses)
            expires = T0 + timedelta(minutes=rng.choice([-5, 10]))
            reservations.append(
                {
                    "user_id": user.id,
                    "spot_id": spot_id,
                    "starts_at": T0 + timedelta(minutes=15 * rng.randrange(0, 16)),
                    "ends_at": T0 + timedelta(hours=5),
                    "status": status,
                    "price": 100,
                    "currency": "EUR",
                    "hold_expires_at": expires if status == ReservationStatus.PENDING_PAYMENT else None,
                }
            )
        await s.execute(insert(Reservation), reservations)
        await s.execute(
            insert(Review),
            [
                {
                    "user_id": user.id,
                    "premise_id": pid,
                    "rating": rng.randint(1, 5),
                    "text": "",
                    "is_approved": rng.random() < 0.8,
                }
                for pid in rng.sample(ids, 120)
                for _ in range(rng.randint(1, 3))
            ],
        )
    async with db.transaction() as s:
        for pid in rng.sample(ids, 30):
            lat, lon = _point(rng, LAT, LON, 1_000)
            await s.execute(update(Premise).where(Premise.id == pid).values(lat=lat, lon=lon))
        gone = rng.sample(ids, 15)
        await s.execute(delete(Review).where(Review.premise_id.in_(gone)))
        await s.execute(
            delete(Reservation).where(
                Reservation.spot_id.in_(select(Spot.id).where(Spot.premise_id.in_(gone)))
            )
        )
        await s.execute(delete(Spot).where(Spot.premise_id.in_(gone)))
        await s.execute(delete(Premise).where(Premise.id.in_(gone)))


async def test_search_matches_a_full_scan_on_random_data(db: Database, clock: ManualClock) -> None:
    rng = random.Random(19)
    await _random_city(db, rng)
    for _ in range(80):
        if rng.random() < 0.1:
            lat, lon = _point(rng, -17.0, 179.99, 1_000)
            lon = lon - 360 if lon > 180 else lon
        else:
            lat, lon = _point(rng, LAT, LON, 3_000)
        radius = rng.choice([30, 150, 500, 1_000, 2_000, 5_000])
        limit, offset = rng.randint(1, 10), rng.choice([0, 0, 0, 3, 10, 25])
        filters = SearchFilters(
            features=frozenset(rng.sample(FEATURES, rng.choice([0, 0, 1, 2]))),
            max_price_per_hour=rng.choice([None, None, 300, 600]),
            only_available=rng.random() < 0.8,
        )
        async with db.read(snapshot=False) as s:
            page = await find_nearby(
                s,
                lat,
                lon,
                interval=SLOT,
                now=clock.now(),
                radius_m=radius,
                limit=limit,
                offset=offset,
                filters=filters,
            )
        expected = await _brute_force(db, lat, lon, radius, limit, offset, filters, clock)
        assert _seen(page) == expected, (lat, lon, radius, limit, offset, filters)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url_at_0002(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database migrated only to 0002, before the spatial index."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        _in_thread(lambda: command.upgrade(alembic_config(url), "0002"))
        yield url
        return
    admin = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    if not tcp_open(admin, 5432):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    name = f"parking_old_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_thread(lambda: asyncio.run(run(f'CREATE DATABASE "{name}"')))
    url = f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    try:
        _in_thread(lambda: command.upgrade(alembic_config(url), "0002"))
        yield url
    finally:
        _in_thread(lambda: asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def test_premises_from_before_the_migration_are_found(url_at_0002: str, clock: ManualClock) -> None:
    db = Database.from_url(url_at_0002)
    try:
        async with db.transaction() as s:
            # The premise and its spot as the schema of 0002 has them (the models have columns
            # added since).
            old_id = await s.scalar(
                text(
                    "INSERT INTO premises (name, address, lat, lon, timezone, price_per_hour, currency,"
                    " features, photos, description, opening_hours, is_active, created_at)"
                    " VALUES ('Old', '1 Test Street', :lat, :lon, 'Europe/Kyiv', 200, 'EUR', '[]', '[]',"
                    " '', '24/7', :on, :at) RETURNING id"
                ),
                {"lat": LAT + 0.001, "lon": LON, "on": True, "at": clock.now()},
            )
            await s.execute(
                text("INSERT INTO spots (premise_id, label, is_active) VALUES (:p, 'A1', :on)"),
                {"p": old_id, "on": True},
            )
        await db.dispose()
        _in_thread(lambda: upgrade_to_head(url_at_0002))  # creates and fills the index
        async with db.read() as s:
            page = await find_nearby(s, LAT, LON, interval=SLOT, now=clock.now())
        assert [p.name for p in page.items] == ["Old"]
    finally:
        await db.dispose()
