"""Opening hours on SQLite and PostgreSQL: holds, quotes, extensions and the nearby search
refuse a stay that starts or runs while the premise is closed, and say why."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.clock import ManualClock
from core.db import Database
from core.errors import ClosedAtThatTime
from core.models import Reservation, ReservationStatus
from core.rules import Interval
from core.services import booking
from core.services.availability import quote
from core.services.nearby import SearchFilters, find_nearby
from tests.factories import make_premise, make_user

KYIV = ZoneInfo("Europe/Kyiv")
LAT, LON = 50.45, 30.52


def kyiv(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in Kyiv (the 21st is a Saturday, the 22nd a Sunday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=KYIV).astimezone(UTC)


async def _premise(db: Database, hours: str, name: str = "Lot", north_m: float = 0) -> tuple[int, int]:
    async with db.transaction() as s:
        premise = await make_premise(s, name=name, lat=LAT + north_m / 111_195, lon=LON, spots=2)
        premise.opening_hours = hours
        user = await make_user(s)
        return premise.id, user.id


async def _hold(
    db: Database, user_id: int, premise_id: int, start: datetime, minutes: int, now: datetime
) -> int:
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=premise_id,
            starts_at=start,
            minutes=minutes,
            now=now,
            hold_minutes=10,
        )
        return r.id


async def _count(db: Database) -> int:
    async with db.read() as s:
        return len((await s.scalars(Reservation.__table__.select())).all())


async def test_the_issues_two_bookings_are_refused_with_the_hours(db: Database, clock: ManualClock) -> None:
    market, user = await _premise(db, "06:00–23:00")
    clock.set(kyiv(22, 3, 47))
    with pytest.raises(ClosedAtThatTime) as refused:
        await _hold(db, user, market, clock.now(), 60, clock.now())
    assert refused.value.opening_hours == "06:00–23:00"
    with pytest.raises(ClosedAtThatTime):
        async with db.read() as s:
            await quote(s, market, clock.now(), 60, clock.now())

    clock.set(kyiv(21, 11))  # Saturday
    university, user2 = await _premise(db, "Mon–Sat 07:00–21:00", name="University Deck")
    with pytest.raises(ClosedAtThatTime) as refused:
        await _hold(db, user2, university, kyiv(22, 10), 120, clock.now())  # Sunday
    assert refused.value.opening_hours == "Mon–Sat 07:00–21:00"
    assert await _count(db) == 0


async def test_in_hours_and_round_the_clock_stays_are_accepted(db: Database, clock: ManualClock) -> None:
    clock.set(kyiv(21, 11))
    university, user = await _premise(db, "Mon–Sat 07:00–21:00")
    await _hold(db, user, university, kyiv(21, 12), 9 * 60, clock.now())  # until 21:00 exactly
    always, user2 = await _premise(db, "24/7", name="Central")
    await _hold(db, user2, always, kyiv(22, 3, 45), 24 * 60, clock.now())
    async with db.read() as s:
        q = await quote(s, university, kyiv(23, 7), 60, clock.now())
    assert q.free_spots == 2


async def test_an_extension_past_closing_is_refused(db: Database, clock: ManualClock) -> None:
    clock.set(kyiv(21, 11))
    market, user = await _premise(db, "06:00–23:00")
    reservation_id = await _hold(db, user, market, kyiv(21, 20), 120, clock.now())  # until 22:00
    async with db.transaction() as s:
        await booking.confirm(s, reservation_id, clock.now())
    async with db.transaction() as s:
        extension = await booking.request_extension(
            s, reservation_id, user_id=user, minutes=60, now=clock.now()
        )
        assert extension.new_ends_at == kyiv(21, 23)  # up to closing time: fine
    with pytest.raises(ClosedAtThatTime):
        async with db.transaction() as s:
            await booking.request_extension(s, reservation_id, user_id=user, minutes=75, now=clock.now())
    async with db.read() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None and r.status == ReservationStatus.CONFIRMED and r.ends_at == kyiv(21, 22)


async def test_a_dst_night_is_as_long_as_the_clock_says(db: Database, clock: ManualClock) -> None:
    # Kyiv, 25 October 2026: the clock goes back an hour, so 22:00–06:00 lasts nine hours.
    clock.set(datetime(2026, 10, 24, 12, tzinfo=UTC))
    night, user = await _premise(db, "22:00–06:00")
    start = datetime(2026, 10, 24, 22, tzinfo=KYIV).astimezone(UTC)
    with pytest.raises(ClosedAtThatTime):
        await _hold(db, user, night, start, 9 * 60 + 15, clock.now())
    await _hold(db, user, night, start, 9 * 60, clock.now())


async def test_nearby_search_does_not_offer_a_premise_closed_for_the_interval(
    db: Database, clock: ManualClock
) -> None:
    clock.set(kyiv(21, 11))
    await _premise(db, "Mon–Sat 07:00–21:00", name="University Deck", north_m=100)
    await _premise(db, "24/7", name="Central", north_m=200)
    sunday = Interval(kyiv(22, 10), kyiv(22, 12))
    saturday = Interval(kyiv(21, 12), kyiv(21, 14))
    async with db.read() as s:
        closed = await find_nearby(s, LAT, LON, interval=sunday, now=clock.now())
        open_ = await find_nearby(s, LAT, LON, interval=saturday, now=clock.now())
        everything = await find_nearby(
            s, LAT, LON, interval=sunday, now=clock.now(), filters=SearchFilters(only_available=False)
        )
    assert [p.name for p in closed.items] == ["Central"]
    assert [p.name for p in open_.items] == ["University Deck", "Central"]
    assert [(p.name, p.free_spots) for p in everything.items] == [("University Deck", 0), ("Central", 2)]
