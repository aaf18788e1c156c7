"""Search use cases and the remembered place: what the find screens read."""

from __future__ import annotations

from datetime import timedelta

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import Premise
from core.rules import Interval
from core.services import booking
from core.usecases.search import SearchUseCases, StayQuote
from core.usecases.users import LastLocation, UserUseCases
from tests.factories import make_premise, make_user

LAT, LON = 50.45, 30.52


def _search(db: Database, clock: ManualClock, settings: Settings) -> SearchUseCases:
    return SearchUseCases(db, clock, settings)


async def test_the_last_place_searched_is_remembered(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    async with db.transaction() as s:
        user_id = (await make_user(s)).id
    users = UserUseCases(db, clock, settings)
    assert await users.last_location(user_id) is None
    await users.remember_location(user_id, LAT, LON)
    assert await users.last_location(user_id) == LastLocation(LAT, LON, "", clock.now())
    clock.advance(timedelta(days=1))
    await users.remember_location(user_id, 50.4, 30.6, "Khreshchatyk 1" + "!" * 300)
    assert await users.last_location(user_id) == LastLocation(
        50.4, 30.6, "Khreshchatyk 1" + "!" * 186, clock.now()
    )


async def test_the_card_has_the_distance_the_stay_and_the_totals_of_the_durations(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    async with db.transaction() as s:
        premise = await make_premise(s, lat=LAT + 0.002, lon=LON, spots=2, price_per_hour=250)
        premise.photos = ["AgACAgIAAxkBAAIBphoto1", "AgACAgIAAxkBAAIBphoto2"]
        premise_id = premise.id
        user_id = (await make_user(s)).id
    search = _search(db, clock, settings)
    card = await search.card(premise_id, starts_at=None, minutes=120, durations=(60, 90), near=(LAT, LON))
    start = clock.now().replace(second=0, microsecond=0)
    assert card.distance_m == 222
    assert card.photo == "AgACAgIAAxkBAAIBphoto1"
    assert card.stay == StayQuote(Interval(start, start + timedelta(hours=2)), 120, 2, 500, "EUR")
    assert card.durations == [(60, 250), (90, 375)]

    # One spot taken for that time: one left; both: none.
    free = []
    for _ in range(2):
        async with db.transaction() as s:
            await booking.hold(
                s,
                user_id=user_id,
                premise_id=premise_id,
                starts_at=start,
                minutes=60,
                now=clock.now(),
                hold_minutes=10,
            )
        card = await search.card(premise_id, starts_at=None, minutes=120)
        assert card.stay is not None and card.distance_m is None  # no search point given
        free.append(card.stay.free_spots)
    assert free == [1, 0]


async def test_the_card_says_when_the_car_park_is_closed_for_the_stay(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    async with db.transaction() as s:
        premise = await make_premise(s)
        premise_id = premise.id
    async with db.transaction() as s:
        found = await s.get(Premise, premise_id)
        assert found is not None
        found.opening_hours = "Mon–Fri 08:00–18:00"  # the clock's day is a Saturday
    card = await _search(db, clock, settings).card(premise_id, starts_at=None, minutes=60)
    assert card.stay is not None and card.stay.closed and card.stay.free_spots == 0
