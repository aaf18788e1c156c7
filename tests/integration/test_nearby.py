"""Nearby search: radius, distance order, free spots for the interval, filters, paging, ratings."""

from __future__ import annotations

import math
from datetime import timedelta

from core.clock import ManualClock
from core.db import Database
from core.models import Review
from core.rules import Interval
from core.services import booking
from core.services.nearby import SearchFilters, find_nearby
from tests.conftest import T0
from tests.factories import make_premise, make_user

LAT, LON = 50.45, 30.52
SLOT = Interval(T0 + timedelta(hours=1), T0 + timedelta(hours=3))


def north(metres: float) -> float:
    return LAT + metres / 111_195


def east(metres: float) -> float:
    return LON + metres / (111_195 * math.cos(math.radians(LAT)))


async def test_nearest_first_within_radius_with_free_spots_and_ratings(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as s:
        far = await make_premise(s, lat=north(1500), name="Far", spots=2)
        near = await make_premise(
            s, lat=LAT, lon=east(300), name="Near", spots=3, features=["covered", "cctv"]
        )
        await make_premise(s, lat=north(2600), name="Outside")
        user = await make_user(s)
        s.add_all(
            [
                Review(user_id=user.id, premise_id=near.id, rating=5, text="", is_approved=True),
                Review(user_id=user.id, premise_id=near.id, rating=4, text="", is_approved=True),
                Review(user_id=user.id, premise_id=near.id, rating=1, text="spam", is_approved=False),
            ]
        )
        await booking.hold(
            s,
            user_id=user.id,
            premise_id=near.id,
            starts_at=SLOT.starts_at,
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
    async with db.read() as s:
        page = await find_nearby(s, LAT, LON, interval=SLOT, now=clock.now(), radius_m=2000)
    assert [p.name for p in page.items] == ["Near", "Far"]
    first = page.items[0]
    assert abs(first.distance_m - 300) <= 3
    assert (first.free_spots, first.rating, first.review_count) == (2, 4.5, 2)
    assert first.features == ["covered", "cctv"]
    assert page.items[1].rating is None and page.items[1].free_spots == 2
    assert page.items[0].premise_id == near.id and page.items[1].premise_id == far.id


async def test_full_premises_are_left_out_unless_asked_for(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        full = await make_premise(s, lat=north(100), name="Full", spots=1)
        user = await make_user(s)
        await booking.hold(
            s,
            user_id=user.id,
            premise_id=full.id,
            starts_at=SLOT.starts_at,
            minutes=120,
            now=clock.now(),
            hold_minutes=10,
        )
    async with db.read() as s:
        assert (await find_nearby(s, LAT, LON, interval=SLOT, now=clock.now())).items == []
        shown = await find_nearby(
            s, LAT, LON, interval=SLOT, now=clock.now(), filters=SearchFilters(only_available=False)
        )
    assert [(p.name, p.free_spots) for p in shown.items] == [("Full", 0)]
    # Once the hold lapses the spot is offered again, even before any sweep runs.
    clock.advance(timedelta(minutes=10))
    async with db.read() as s:
        again = await find_nearby(s, LAT, LON, interval=SLOT, now=clock.now())
    assert [(p.name, p.free_spots) for p in again.items] == [("Full", 1)]


async def test_filters_and_paging(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        for i in range(7):
            await make_premise(
                s,
                lat=north(100 * (i + 1)),
                name=f"P{i}",
                price_per_hour=100 * (i + 1),
                features=["ev_charging"] if i % 2 == 0 else [],
            )
    async with db.read() as s:
        p1 = await find_nearby(s, LAT, LON, interval=SLOT, now=clock.now(), limit=3)
        p3 = await find_nearby(s, LAT, LON, interval=SLOT, now=clock.now(), limit=3, offset=6)
        ev = await find_nearby(
            s,
            LAT,
            LON,
            interval=SLOT,
            now=clock.now(),
            filters=SearchFilters(features=frozenset({"ev_charging"}), max_price_per_hour=500),
        )
    assert [p.name for p in p1.items] == ["P0", "P1", "P2"] and p1.has_more
    assert [p.name for p in p3.items] == ["P6"] and not p3.has_more
    assert [p.name for p in ev.items] == ["P0", "P2", "P4"]


async def test_search_across_the_antimeridian(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        await make_premise(s, lat=-17.0, lon=-179.995, name="East side")
        await make_premise(s, lat=-17.0, lon=179.995, name="West side")
    async with db.read() as s:
        page = await find_nearby(s, -17.0, 179.999, interval=SLOT, now=clock.now(), radius_m=2000)
    assert sorted(p.name for p in page.items) == ["East side", "West side"]
