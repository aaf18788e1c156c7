"""Nearby search: premises within a radius, nearest first, with free spots for an interval.

The grid index `ix_premises_cell_lon` (latitude cells of 1/50°, then longitude) narrows the
scan to the search box: it does not grow with how wide the whole data set is. The database
orders the box by a flat-earth distance and hands it over a chunk at a time, together with
each premise's details, free-spot count and rating (correlated subqueries), so a page of ten
costs one statement in the usual case. The exact radius check runs in Python, and geopy's
geodesic distance is computed only for the premises shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo import BoundingBox, bounding_box, geodesic_m, haversine_m
from core.models import Premise, Review, UtcDateTime
from core.opening_hours import is_open
from core.rules import Interval
from core.services.availability import free_spot_count_of

MAX_RADIUS_M = 50_000
CELLS_PER_DEGREE = 50
# Must be the very text of the index expression (migration 0002), or SQLite will not use it.
CELL_SQL = "CAST((lat + 90) * 50 AS INTEGER)"
_CHUNK_SLACK = 4  # extra rows per chunk: some premises are full or filtered out


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


def _chunk_statement(lon_ranges: int) -> Select[Any]:
    """Built once per shape: candidates in the box, nearest first, with their details."""
    cell: ColumnElement[int] = literal_column(CELL_SQL, Integer)
    dlon = Premise.lon - bindparam("lon")
    # Across the antimeridian (a box in two ranges) the short way round is the one that counts;
    # otherwise the plain difference is cheaper for the thousands of rows of a dense box.
    dlon_wrapped = (
        case((dlon > 180, dlon - 360), (dlon < -180, dlon + 360), else_=dlon) if lon_ranges > 1 else dlon
    )
    d2 = (Premise.lat - bindparam("lat")) * (Premise.lat - bindparam("lat")) + (
        dlon_wrapped * bindparam("k")
    ) * (dlon_wrapped * bindparam("k"))
    lon_ok = or_(*(Premise.lon.between(bindparam(f"lo{i}"), bindparam(f"hi{i}")) for i in range(lon_ranges)))
    candidates = (
        select(Premise.id.label("id"), d2.label("d2"))
        .where(
            cell.in_(bindparam("cells", expanding=True)),
            lon_ok,
            Premise.lat.between(bindparam("min_lat"), bindparam("max_lat")),
            d2 <= bindparam("max_d2"),
        )
        .order_by(d2, Premise.id)
        .limit(bindparam("take"))
        .offset(bindparam("skip"))
        .subquery()
    )
    starts, ends, now = (bindparam(n, type_=UtcDateTime()) for n in ("starts", "ends", "now"))
    approved = and_(Review.premise_id == Premise.id, Review.is_approved.is_(True))
    return (
        select(
            Premise.id,
            Premise.name,
            Premise.address,
            Premise.lat,
            Premise.lon,
            Premise.timezone,
            Premise.price_per_hour,
            Premise.currency,
            Premise.features,
            Premise.opening_hours,
            Premise.is_active,
            free_spot_count_of(Premise.id, starts, ends, now).label("free"),
            select(func.avg(Review.rating)).where(approved).scalar_subquery().label("rating"),
            select(func.count(Review.id)).where(approved).scalar_subquery().label("reviews"),
        )
        .join(candidates, candidates.c.id == Premise.id)
        .order_by(candidates.c.d2, Premise.id)
    )


_STATEMENTS = {n: _chunk_statement(n) for n in (1, 2)}


def _box_params(lat: float, lon: float, radius_m: int, box: BoundingBox) -> dict[str, Any]:
    first = math.floor((box.min_lat + 90) * CELLS_PER_DEGREE)
    last = math.floor((box.max_lat + 90) * CELLS_PER_DEGREE)
    # One cell more on each side: PostgreSQL's CAST rounds where SQLite's truncates.
    params: dict[str, Any] = {
        "cells": list(range(first - 1, last + 2)),
        "lat": lat,
        "lon": lon,
        "k": math.cos(math.radians(lat)),
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        # Flat distance in degrees², with slack: the exact check is haversine, in Python.
        "max_d2": (radius_m * 1.02 / 111_195) ** 2,
    }
    for i, (lo, hi) in enumerate(box.lon_ranges):
        params[f"lo{i}"], params[f"hi{i}"] = lo, hi
    return params


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
    statement = _STATEMENTS[len(box.lon_ranges)]
    params = _box_params(lat, lon, radius_m, box)
    params.update(starts=interval.starts_at, ends=interval.ends_at, now=now)
    wanted = offset + limit + 1  # one more than the page tells whether there is a next page
    kept: list[tuple[float, Any]] = []
    skip = 0
    while len(kept) < wanted:
        take = wanted - len(kept) + _CHUNK_SLACK
        rows = (await session.execute(statement, {**params, "take": take, "skip": skip})).all()
        for row in (_closed_as_full(row, interval) for row in rows):
            distance = haversine_m(lat, lon, row.lat, row.lon)
            if distance <= radius_m and _passes(row, filters):
                kept.append((distance, row))
        if len(rows) < take:
            break
        skip += take
    # SQL ordered by flat distance; the exact order differs only at ties of centimetres.
    kept.sort(key=lambda item: (item[0], item[1].id))
    page = kept[offset : offset + limit]
    return NearbyPage(items=[_item(lat, lon, row) for _, row in page], has_more=len(kept) > offset + limit)


def _closed_as_full(row: Any, interval: Interval) -> Any:
    """Opening hours: a premise closed for any part of the interval has no spot to offer then
    (counted as full: left out of "only available" searches, shown with 0 free otherwise)."""
    if is_open(row.opening_hours, row.timezone, interval.starts_at, interval.ends_at):
        return row
    return SimpleNamespace(**{**row._asdict(), "free": 0})


def _passes(row: Any, filters: SearchFilters) -> bool:
    return (
        row.is_active
        and (not filters.only_available or row.free > 0)
        and filters.features <= set(row.features)
        and (filters.max_price_per_hour is None or row.price_per_hour <= filters.max_price_per_hour)
    )


def _item(lat: float, lon: float, row: Any) -> NearbyPremise:
    return NearbyPremise(
        premise_id=row.id,
        name=row.name,
        address=row.address,
        lat=row.lat,
        lon=row.lon,
        timezone=row.timezone,
        distance_m=round(geodesic_m(lat, lon, row.lat, row.lon)),
        price_per_hour=row.price_per_hour,
        currency=row.currency,
        features=list(row.features),
        free_spots=int(row.free),
        rating=round(float(row.rating), 1) if row.rating is not None else None,
        review_count=int(row.reviews),
    )
