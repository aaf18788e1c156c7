"""Nearby search: premises within a radius, nearest first, with free spots for an interval.

The search stops early: a spatial index hands the premises over nearest first, in small
batches, and the search counts free spots only for those it has reached, until the page is
full of available premises or the radius is exhausted. The work grows with the page, not
with how many premises lie in the radius (up to 25,000 in a dense city centre).

- SQLite: the R*Tree `premises_rtree` (migration 0006) answers box queries, so the batches
  are rings of growing radius: everything within r of the driver, then within a larger r, ...
  A ring is complete, so its premises come out in their exact order. Of a ring's box a
  statement keeps only the premises nearest the driver (by the chord, as on PostgreSQL) that
  the page can need, and counts free spots for those alone.
- PostgreSQL: the GiST index on the premise's point on the unit sphere (a `cube`) orders by
  `<->`, the chord, which grows with the great-circle distance: true k-nearest-neighbour.

Either way the order and the radius check are the haversine distance computed here, with ties
broken by id, exactly as a full scan would give; geopy's geodesic distance (what a driver
sees) is computed only for the premises shown.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from core.db import one_trip
from core.geo import EARTH_RADIUS_M, bounding_box, geodesic_rounded_m, haversine_m
from core.models import UNIT_SPHERE_SQL, Favourite, Premise, Review, UtcDateTime
from core.opening_hours import is_open
from core.rules import Interval
from core.services.availability import free_spot_count_of

MAX_RADIUS_M = 50_000
# Rings on SQLite across the antimeridian (elsewhere the first ring is picked by the database):
# the first is small enough to hold a few dozen premises in the densest centre; each next one
# is sized from the density seen so far, within these bounds.
_FIRST_RING_M = 60.0
_RING_GROWTH = (1.5, 6.0)
# Candidates read in the first statement beyond the page: some are full or filtered out. With a
# quarter more and 5, fewer than 1 in 1,000 benchmark searches needed a second statement (with
# 4 more, 1 in 15 did).
_SLACK = (1.25, 5)
# Haversine in Python and the chord in PostgreSQL may round apart at equal distances: a
# candidate counts as surely farther only beyond this margin (metres).
_TIE_M = 1e-3


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
    # The driver's starred car parks among the items (listed first: see favourites_near).
    favourites: frozenset[int] = frozenset()


# --- candidates, nearest first -------------------------------------------------------------

# The R*Tree virtual table (not a model: see core.migrate.include_name).
_rtree = Table(
    "premises_rtree",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("min_lat", Float),
    Column("max_lat", Float),
    Column("min_lon", Float),
    Column("max_lon", Float),
)


# The premise's columns the search shows or filters on.
_SHOWN: tuple[str, ...] = ("id", "name", "address", "lat", "lon", "timezone", "price_per_hour", "currency")
_SHOWN += ("features", "opening_hours", "is_active")


def _with_details(statement: Select[Any], source: Any = Premise.__table__) -> Select[Any]:
    """A candidate with what the search shows and filters on, and its free spots for the
    interval and rating: one statement per batch of candidates, and the correlated subqueries
    run only for the candidates the batch returns. `source` has the premise's columns: the
    table, or a subquery that has read them already."""
    starts, ends, now = (bindparam(n, type_=UtcDateTime()) for n in ("starts", "ends", "now"))
    approved = and_(Review.premise_id == source.c.id, Review.is_approved.is_(True))
    return statement.add_columns(
        *(source.c[name] for name in _SHOWN),
        free_spot_count_of(source.c.id, starts, ends, now).label("free"),
        select(func.avg(Review.rating)).where(approved).scalar_subquery().label("rating"),
        select(func.count(Review.id)).where(approved).scalar_subquery().label("reviews"),
    )


def _in_lon_range(n: int, column: Any) -> ColumnElement[bool]:
    return or_(*(column.between(bindparam(f"in_lo{i}"), bindparam(f"in_hi{i}")) for i in range(n)))


# SQLite: the chord (squared) between a premise and the driver on the unit sphere, which grows
# with the great-circle distance: the order the R*Tree's boxes are read in. From the premise's
# own coordinates (the R*Tree keeps 32-bit floats, rounded outwards).
_RLAT, _RLON = func.radians(Premise.lat), func.radians(Premise.lon)
_DX = func.cos(_RLAT) * func.cos(_RLON) - bindparam("x", type_=Float)
_DY = func.cos(_RLAT) * func.sin(_RLON) - bindparam("y", type_=Float)
_DZ = func.sin(_RLAT) - bindparam("z", type_=Float)
_CHORD2: ColumnElement[float] = (_DX * _DX + _DY * _DY + _DZ * _DZ).label("chord2")


def _nearest_of(boxed: Select[Any]) -> Select[Any]:
    """The `take` premises of a box nearest the driver, then with their details. The box is
    materialised first, so the per-premise subqueries (free spots, rating) run only for the
    premises the LIMIT keeps, not for the whole box."""
    near = boxed.add_columns(Premise.id, _CHORD2).order_by(_CHORD2).limit(bindparam("take")).cte("near")
    near = near.prefix_with("MATERIALIZED")
    return _with_details(
        select(*(c for c in near.c if c.key != "id")).select_from(near.join(Premise, Premise.id == near.c.id))
    )


# SQLite: the premises of a box from the R*Tree, less those of the previous (inner) box, which
# the previous ring has already read.
_RING: Select[Any] = _nearest_of(
    select()
    .select_from(_rtree.join(Premise, Premise.id == _rtree.c.id))
    .where(
        _rtree.c.max_lat >= bindparam("min_lat"),
        _rtree.c.min_lat <= bindparam("max_lat"),
        _rtree.c.max_lon >= bindparam("min_lon"),
        _rtree.c.min_lon <= bindparam("max_lon"),
        not_(
            and_(
                Premise.lat.between(bindparam("in_min_lat"), bindparam("in_max_lat")),
                _in_lon_range(2, Premise.lon),
            )
        ),
    )
)
_NOTHING = (1.0, 0.0)  # an empty range: BETWEEN 1 AND 0 holds for nothing


def _box_holds(box: Any) -> ColumnElement[bool]:
    return and_(
        _rtree.c.max_lat >= box.c.min_lat,
        _rtree.c.min_lat <= box.c.max_lat,
        _rtree.c.max_lon >= box.c.min_lon,
        _rtree.c.min_lon <= box.c.max_lon,
    )


# SQLite, the first ring in one statement: of boxes whose radii grow by √2 from 15 m up to the
# search radius, the first that holds at least `enough` premises (a count the R*Tree stops at
# `enough`), then that box's premises. Any box it picks is correct (each is complete up to its
# radius); the smallest is the cheapest. Each box tried costs an R*Tree lookup, so they start
# where a box can hold a few dozen premises (the densest centre needs ~60 m), and the box of
# the search radius (`last`) ends the list.
_SIZES = 24
_SMALLEST_BOX_M = 15.0
_sizes = union_all(
    *(
        select(
            literal(i).label("i"),
            *(
                bindparam(f"{edge}{i}", type_=Float).label(edge)
                for edge in ("min_lat", "max_lat", "min_lon", "max_lon")
            ),
        )
        for i in range(_SIZES)
    )
).cte("sizes")
_holds_enough = (
    select(_rtree.c.id)
    .where(_box_holds(_sizes))
    .limit(1)
    .offset(bindparam("enough_less_one"))
    .scalar_subquery()
)
_picked = (
    select(_sizes)
    .where(or_(_sizes.c.i == bindparam("last"), _holds_enough.is_not(None)))
    .limit(1)
    .cte("picked")
)
_FIRST_RING: Select[Any] = _nearest_of(
    select(_picked.c.i.label("size")).select_from(
        _picked.join(_rtree, _box_holds(_picked)).join(Premise, Premise.id == _rtree.c.id)
    )
)


class _Cube(UserDefinedType[str]):
    """PostgreSQL's `cube` (contrib), given as its text form."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "cube"


# PostgreSQL: nearest first by the chord on the unit sphere (k-NN on the GiST index), within
# a box around the driver as large as the radius (the index answers both).
_UNIT_SPHERE: ColumnElement[Any] = literal_column(UNIT_SPHERE_SQL)
_HERE = cast(bindparam("here", type_=String), _Cube())
_KNN = (
    # The premise's columns come with the index scan's row (no second look-up by id).
    select(*(Premise.__table__.c[name] for name in _SHOWN), _UNIT_SPHERE.op("<->")(_HERE).label("chord"))
    .where(_UNIT_SPHERE.op("<@")(func.cube_enlarge(_HERE, bindparam("chord", type_=Float), 3)))
    # By the chord alone: a second sort key would cost the index order (a sort of the whole
    # box). Each chunk reads from the nearest again, so ties cut at a chunk's end do not matter.
    .order_by(_UNIT_SPHERE.op("<->")(_HERE))
    .limit(bindparam("take"))
    .subquery()
)
_BY_CHORD: Select[Any] = _with_details(select().select_from(_KNN).order_by(_KNN.c.chord, _KNN.c.id), _KNN)


@dataclass(frozen=True, slots=True)
class _Candidate:
    distance_m: float  # haversine
    row: Any  # a row of a search statement: the premise, its free spots and rating


def _order(candidate: _Candidate) -> tuple[float, int]:
    return candidate.distance_m, candidate.row.id


Batch = tuple[list[_Candidate], float]
"""Candidates within the radius sorted by (distance, id), and a bound: every premise not yet
handed over lies at least this far away (less the tie margin)."""


def _nearest_first(
    session: AsyncSession, lat: float, lon: float, radius_m: int, wanted: int, times: dict[str, Any]
) -> AsyncGenerator[Batch, None]:
    if session.bind.dialect.name == "sqlite":
        return _rings(session, lat, lon, radius_m, wanted, times)
    return _knn(session, lat, lon, radius_m, wanted, times)


async def _rings(
    session: AsyncSession, lat: float, lon: float, radius_m: int, wanted: int, times: dict[str, Any]
) -> AsyncGenerator[Batch, None]:
    """SQLite: boxes of growing radius from the R*Tree. A box holds every premise within its
    radius r; a statement reads the `take` of them nearest the driver (by the chord), so its
    premises come out complete and in order up to the last one read (or up to r, when the box
    had no more); the rest of the box waits for a later read. The first box is picked by the
    database (_FIRST_RING), which usually fills the page in one statement. A box cut short by
    `take` is read again with twice as many (from the nearest again); a box read to the end is
    followed by a larger one whose radius aims at twice the candidates the page needs, from
    the density seen so far (skipping the box already read)."""
    p, lam = math.radians(lat), math.radians(lon)
    here = {"x": math.cos(p) * math.cos(lam), "y": math.cos(p) * math.sin(lam), "z": math.sin(p)}
    take = math.ceil(wanted * _SLACK[0]) + _SLACK[1]
    seen: set[int] = set()
    waiting: list[_Candidate] = []  # read, but possibly farther than some premise not yet read
    within = 0
    ring = min(_FIRST_RING_M, float(radius_m))
    inner: dict[str, Any] = {"in_min_lat": _NOTHING[0], "in_max_lat": _NOTHING[1]}
    for i in range(2):
        inner[f"in_lo{i}"], inner[f"in_hi{i}"] = _NOTHING
    first = len(bounding_box(lat, lon, radius_m).lon_ranges) == 1  # else (antimeridian) rings only
    conn = await session.connection()

    def read(rows: Sequence[Any]) -> float:
        """Takes in a statement's rows; returns how far its box is known to be read: to the
        last row if the LIMIT cut it short, else to the ring."""
        for row in rows:
            if row.id not in seen:  # read again, or on the antimeridian in both ranges
                seen.add(row.id)
                waiting.append(_Candidate(haversine_m(lat, lon, row.lat, row.lon), row))
        return haversine_m(lat, lon, rows[-1].lat, rows[-1].lon) if len(rows) >= take else math.inf

    while True:
        if first:
            first = False
            radii = [min(float(radius_m), _SMALLEST_BOX_M * math.sqrt(2) ** i) for i in range(_SIZES)]
            radii[-1] = float(radius_m)
            params = {
                **times,
                **here,
                "take": take,
                "enough_less_one": math.ceil(2.55 * wanted) - 1,
                "last": radii.index(float(radius_m)),  # the boxes after it are never tried
            }
            for i, r in enumerate(radii):
                if i <= params["last"]:  # the rest repeat the last (never read, but bound)
                    b = bounding_box(lat, lon, r)
                    ((lo, hi),) = b.lon_ranges
                params.update(
                    {f"min_lat{i}": b.min_lat, f"max_lat{i}": b.max_lat, f"min_lon{i}": lo, f"max_lon{i}": hi}
                )
            rows = await one_trip(conn, _FIRST_RING, params)
            # No row: not even the largest box holds a premise.
            ring = radii[rows[0].size] if rows else float(radius_m)
            cut = read(rows) if rows else math.inf
        else:
            box = bounding_box(lat, lon, ring)
            cut = math.inf
            for lo, hi in box.lon_ranges:
                params = {
                    **times,
                    **here,
                    **inner,
                    "take": take,
                    "min_lat": box.min_lat,
                    "max_lat": box.max_lat,
                    "min_lon": lo,
                    "max_lon": hi,
                }
                rows = await one_trip(conn, _RING, params)
                if rows:
                    cut = min(cut, read(rows))
        done = cut == math.inf  # the box is read to the end
        last = done and ring >= radius_m
        reach = min(cut, ring)
        reached = [c for c in waiting if c.distance_m <= reach]
        waiting = [c for c in waiting if c.distance_m > reach]
        reached.sort(key=_order)
        within += len(reached)
        yield reached, math.inf if last else reach
        if last:
            return
        if not done:
            take *= 2
            continue
        box = bounding_box(lat, lon, ring)
        inner = {"in_min_lat": box.min_lat, "in_max_lat": box.max_lat}
        for i in range(2):
            inner[f"in_lo{i}"], inner[f"in_hi{i}"] = _NOTHING
        for i, (lo, hi) in enumerate(box.lon_ranges):
            inner[f"in_lo{i}"], inner[f"in_hi{i}"] = lo, hi
        growth = math.sqrt(2 * wanted / max(within, 1))
        ring = min(float(radius_m), ring * min(max(growth, _RING_GROWTH[0]), _RING_GROWTH[1]))


async def _knn(
    session: AsyncSession, lat: float, lon: float, radius_m: int, wanted: int, times: dict[str, Any]
) -> AsyncGenerator[Batch, None]:
    """PostgreSQL: the first `take` of the k-NN order, then twice as many, ... (rarely more
    than one: only when filters leave out most of the nearest). Each yields what the one
    before did not."""
    p, lam = math.radians(lat), math.radians(lon)
    here = f"({math.cos(p) * math.cos(lam)!r}, {math.cos(p) * math.sin(lam)!r}, {math.sin(p)!r})"
    # The chord of the radius on the unit sphere, a hair larger: the exact check is haversine.
    chord = 2 * math.sin(radius_m / EARTH_RADIUS_M / 2) * (1 + 1e-9) + 1e-12
    take = math.ceil(wanted * _SLACK[0]) + _SLACK[1]
    seen: set[int] = set()
    conn = await session.connection()
    while True:
        rows = await one_trip(conn, _BY_CHORD, {**times, "here": here, "chord": chord, "take": take})
        batch = []
        for row in rows:
            if row.id not in seen and (d := haversine_m(lat, lon, row.lat, row.lon)) <= radius_m:
                seen.add(row.id)
                batch.append(_Candidate(d, row))
        batch.sort(key=_order)
        if len(rows) < take:
            yield batch, math.inf
            return
        yield batch, haversine_m(lat, lon, rows[-1].lat, rows[-1].lon)
        take *= 2


# --- the search ------------------------------------------------------------------------------


def free_spots(candidate: Any, interval: Interval) -> int:
    """Free spots of a candidate for the interval: the availability step of the search, run
    only for the candidates the search reaches. The count itself is made by the database with
    the candidate (availability.free_spot_count_of); whatever else makes a premise unbookable
    for the interval belongs here (answer 0): a premise closed for any part of the interval
    has no spot to offer then (left out of "only available" searches, shown with 0 free)."""
    if not is_open(candidate.opening_hours, candidate.timezone, interval.starts_at, interval.ends_at):
        return 0
    return int(candidate.free)


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
    wanted = offset + limit + 1  # one more than the page tells whether there is a next page
    times = {"starts": interval.starts_at, "ends": interval.ends_at, "now": now}
    kept: list[tuple[_Candidate, int]] = []

    def settled(next_distance_m: float) -> bool:
        """The first `wanted` are known: whatever comes next is farther than all of them."""
        if len(kept) < wanted:
            return False
        kept.sort(key=lambda item: _order(item[0]))
        return kept[wanted - 1][0].distance_m + _TIE_M < next_distance_m

    async with aclosing(_nearest_first(session, lat, lon, radius_m, wanted, times)) as batches:
        async for batch, bound in batches:
            for candidate in batch:
                if settled(candidate.distance_m):
                    break
                if _listed(candidate.row, filters):
                    free = free_spots(candidate.row, interval)
                    if free > 0 or not filters.only_available:
                        kept.append((candidate, free))
            if settled(bound):
                break
    kept.sort(key=lambda item: _order(item[0]))
    page = kept[offset : offset + limit]
    return NearbyPage(
        items=[_item(lat, lon, c.row, free) for c, free in page], has_more=len(kept) > offset + limit
    )


# Every search with a driver reads their starred car parks: built and compiled once.
_FAVOURITES: Select[Any] = _with_details(
    select(Favourite.user_id)
    .join_from(Favourite, Premise, Premise.id == Favourite.premise_id)
    .where(Favourite.user_id == bindparam("user_id"))
)


async def favourites_near(
    session: AsyncSession,
    user_id: int,
    lat: float,
    lon: float,
    *,
    interval: Interval,
    now: datetime,
    radius_m: int,
    filters: SearchFilters = SearchFilters(),
    limit: int = 5,
) -> list[NearbyPremise]:
    """The driver's starred car parks within the radius that the search would list (the same
    filters and free-spot rule), nearest first. A driver stars a handful, so this reads them
    all rather than the spatial index."""
    radius_m = max(1, min(radius_m, MAX_RADIUS_M))
    params = {"user_id": user_id, "starts": interval.starts_at, "ends": interval.ends_at, "now": now}
    found: list[tuple[float, Any, int]] = []
    for row in await one_trip(await session.connection(), _FAVOURITES, params):
        distance = haversine_m(lat, lon, row.lat, row.lon)
        if distance > radius_m or not _listed(row, filters):
            continue
        free = free_spots(row, interval)
        if free > 0 or not filters.only_available:
            found.append((distance, row, free))
    found.sort(key=lambda item: (item[0], item[1].id))
    return [_item(lat, lon, row, free) for _d, row, free in found[:limit]]


def _listed(row: Any, filters: SearchFilters) -> bool:
    """What the premise itself must be to be listed, whatever the interval."""
    return bool(
        row.is_active
        and filters.features <= set(row.features)
        and (filters.max_price_per_hour is None or row.price_per_hour <= filters.max_price_per_hour)
    )


def _item(lat: float, lon: float, row: Any, free: int) -> NearbyPremise:
    return NearbyPremise(
        premise_id=row.id,
        name=row.name,
        address=row.address,
        lat=row.lat,
        lon=row.lon,
        timezone=row.timezone,
        distance_m=geodesic_rounded_m(lat, lon, row.lat, row.lon),
        price_per_hour=row.price_per_hour,
        currency=row.currency,
        features=list(row.features),
        free_spots=free,
        rating=round(float(row.rating), 1) if row.rating is not None else None,
        review_count=int(row.reviews),
    )
