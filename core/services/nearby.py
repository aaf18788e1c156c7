"""Nearby search: premises within a radius, nearest first, with free spots for an interval.

A range scan of the (lat, lon) index gives the candidates in a bounding box; exact distance
sorts them; details, free-spot counts and ratings are then read only for the premises a
page shows, chunk by chunk, so the cost does not grow with the number of premises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo import bounding_box, geodesic_m, haversine_m
from core.models import Premise, Review
from core.rules import Interval
from core.services.availability import free_spot_counts

MAX_RADIUS_M = 50_000
_CHUNK = 25


@dataclass(frozen=True, slots=True)
class SearchFilters:
    features: frozenset[str] = frozenset()
    max_price_per_hour: int | None = None
    only_available: bool = True


@dataclass(frozen=True, slots=True)
class NearbyPremise:
    premise_id: int
    name: str
    address: str
    lat: float
    lon: float
    timezone: str
    distance_m: int
    price_per_hour: int
    currency: str
    features: list[str]
    free_spots: int
    rating: float | None
    review_count: int


@dataclass(frozen=True, slots=True)
class NearbyPage:
    items: list[NearbyPremise] = field(default_factory=list)
    has_more: bool = False


async def find_nearby(
    session: AsyncSession,
    lat: float,
    lon: float,
    *,
    interval: Interval,
    now: datetime,
    radius_m: int = 2_000,
    limit: int = 10,
    offset: int = 0,
    filters: SearchFilters = SearchFilters(),
) -> NearbyPage:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("coordinates out of range")
    radius_m = max(1, min(radius_m, MAX_RADIUS_M))
    box = bounding_box(lat, lon, radius_m)
    in_box = and_(
        Premise.lat.between(box.min_lat, box.max_lat),
        or_(*(Premise.lon.between(lo, hi) for lo, hi in box.lon_ranges)),
    )
    rows = await session.execute(select(Premise.id, Premise.lat, Premise.lon).where(in_box))
    candidates = sorted(
        (d, pid) for pid, plat, plon in rows.tuples() if (d := haversine_m(lat, lon, plat, plon)) <= radius_m
    )
    wanted = offset + limit + 1  # one more than the page tells whether there is a next page
    found: list[NearbyPremise] = []
    for start in range(0, len(candidates), _CHUNK):
        if len(found) >= wanted:
            break
        chunk = candidates[start : start + _CHUNK]
        found.extend(await _describe(session, lat, lon, [pid for _, pid in chunk], interval, now, filters))
    return NearbyPage(items=found[offset : offset + limit], has_more=len(found) > offset + limit)


async def _describe(
    session: AsyncSession,
    lat: float,
    lon: float,
    ids_by_distance: list[int],
    interval: Interval,
    now: datetime,
    filters: SearchFilters,
) -> list[NearbyPremise]:
    premises = {
        p.id: p
        for p in await session.scalars(
            select(Premise).where(Premise.id.in_(ids_by_distance), Premise.is_active.is_(True))
        )
    }
    kept = [
        premises[pid]
        for pid in ids_by_distance
        if pid in premises
        and filters.features <= set(premises[pid].features)
        and (filters.max_price_per_hour is None or premises[pid].price_per_hour <= filters.max_price_per_hour)
    ]
    if not kept:
        return []
    ids = [p.id for p in kept]
    free = await free_spot_counts(session, ids, interval, now)
    ratings = {
        pid: (float(avg), int(n))
        for pid, avg, n in (
            await session.execute(
                select(Review.premise_id, func.avg(Review.rating), func.count())
                .where(Review.premise_id.in_(ids), Review.is_approved.is_(True))
                .group_by(Review.premise_id)
            )
        ).tuples()
    }
    result = []
    for p in kept:
        if filters.only_available and free[p.id] == 0:
            continue
        rating, count = ratings.get(p.id, (None, 0))
        result.append(
            NearbyPremise(
                premise_id=p.id,
                name=p.name,
                address=p.address,
                lat=p.lat,
                lon=p.lon,
                timezone=p.timezone,
                distance_m=round(geodesic_m(lat, lon, p.lat, p.lon)),
                price_per_hour=p.price_per_hour,
                currency=p.currency,
                features=list(p.features),
                free_spots=free[p.id],
                rating=round(rating, 1) if rating is not None else None,
                review_count=count,
            )
        )
    return result
