"""After the stay, on SQLite and PostgreSQL: reviews (who may write one, one per booking, the
status seam, the card's average of approved ones), the calendar file (UID, UTC times, SEQUENCE
after an extension), "Book again" (the next free start) and favourites first in the search."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar, vGeo
from sqlalchemy import func, select, update

from bot.calendar import ics
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import CannotReview, InvalidTransition, NoSpotFree, NotFound
from core.models import Premise, Review, ReviewStatus, Spot, WalletTxKind
from core.rules import Interval
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.booking import BookingUseCases, ExtendOutcome
from core.usecases.calendar import CalendarUseCases
from core.usecases.rebook import RebookUseCases
from core.usecases.reviews import ReviewUseCases
from core.usecases.search import SearchUseCases
from tests.factories import guard_spots, make_premise, make_user

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, bot_token="1:x", public_url="https://parking.example")


async def _setup(db: Database, *, spots: int = 1) -> tuple[int, int, int]:
    """A driver, another driver and a car park: their ids."""
    async with db.transaction() as s:
        user, other = await make_user(s, name="Olena"), await make_user(s, name="Petro")
        premise = await make_premise(s, spots=spots, price_per_hour=200, name="Central Garage", now=NOW)
        return user.id, other.id, premise.id


async def _paid(
    db: Database, clock: ManualClock, user_id: int, premise_id: int, start: datetime, minutes: int
) -> int:
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=premise_id,
            starts_at=start,
            minutes=minutes,
            now=clock.now(),
            hold_minutes=10,
        )
        await wallet.credit(
            s, user_id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="test", now=clock.now()
        )
    async with db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=user_id, now=clock.now())
    return r.id


async def _completed(
    db: Database, clock: ManualClock, user_id: int, premise_id: int, *, arrived: bool = True
) -> int:
    """A stay of an hour from now that happened (or nobody came to), then the clock past it."""
    reservation_id = await _paid(db, clock, user_id, premise_id, clock.now(), 60)
    if arrived:
        async with db.transaction() as s:
            await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())
    clock.advance(timedelta(minutes=61))
    async with db.transaction() as s:
        await booking.complete_due(s, clock.now())
    return reservation_id


async def test_a_completed_stay_gets_one_review_editable_for_seven_days(db: Database) -> None:
    clock = ManualClock(NOW)
    user, other, premise = await _setup(db)
    uc = ReviewUseCases(db, clock)
    stay = await _completed(db, clock, user, premise)

    # Forged callbacks: another's booking is "not found", a sixth star is no rating.
    with pytest.raises(NotFound):
        await uc.rate(user_id=other, reservation_id=stay, rating=5)
    with pytest.raises(CannotReview) as refused:
        await uc.rate(user_id=user, reservation_id=stay, rating=6)
    assert refused.value.reason == "rating"
    with pytest.raises(NotFound):  # the text comes after the stars
        await uc.write(user_id=user, reservation_id=stay, text="Nice")

    mine = await uc.rate(user_id=user, reservation_id=stay, rating=4)
    assert (mine.rating, mine.status, mine.editable) == (4, ReviewStatus.PENDING, True)
    mine = await uc.write(user_id=user, reservation_id=stay, text="  Easy to find <b>, friendly guard  ")
    assert mine.text == "Easy to find <b>, friendly guard"  # stored as typed; escaped where shown
    with pytest.raises(CannotReview) as refused:
        await uc.write(user_id=user, reservation_id=stay, text="x" * 501)
    assert refused.value.reason == "too_long"
    await uc.write(user_id=user, reservation_id=stay, text="y" * 500)

    # Approved by the moderators (the console's queue), then changed: moderated again, one row.
    async with db.transaction() as s:
        await s.execute(update(Review).values(is_approved=True, status=ReviewStatus.APPROVED))
    assert (await uc.of_booking(user_id=user, reservation_id=stay)).status == ReviewStatus.APPROVED  # type: ignore[union-attr]
    mine = await uc.rate(user_id=user, reservation_id=stay, rating=5)
    assert (mine.rating, mine.status) == (5, ReviewStatus.PENDING)
    async with db.read() as s:
        assert await s.scalar(select(func.count(Review.id))) == 1

    clock.advance(timedelta(days=7))
    with pytest.raises(CannotReview) as refused:
        await uc.rate(user_id=user, reservation_id=stay, rating=3)
    assert refused.value.reason == "closed"
    assert [(r.rating, r.editable) for r in await uc.mine(user_id=user)] == [(5, False)]


async def test_no_review_of_a_no_show_a_cancelled_or_a_running_booking(db: Database) -> None:
    clock = ManualClock(NOW)
    user, _other, premise = await _setup(db, spots=3)
    async with db.transaction() as s:
        await guard_spots(s, premise)  # a blocker sees that nobody came
    uc = ReviewUseCases(db, clock)
    no_show = await _completed(db, clock, user, premise, arrived=False)
    running = await _paid(db, clock, user, premise, clock.now(), 60)
    async with db.transaction() as s:
        later = await booking.hold(
            s, user_id=user, premise_id=premise, starts_at=clock.now() + timedelta(hours=5),
            minutes=60, now=clock.now(), hold_minutes=10,
        )  # fmt: skip
        await booking.cancel(s, later.id, user_id=user, now=clock.now(), reason="user")
    for reservation_id, reason in (
        (no_show, "no_show"),
        (running, "not_completed"),
        (later.id, "not_completed"),
    ):
        with pytest.raises(CannotReview) as refused:
            await uc.rate(user_id=user, reservation_id=reservation_id, rating=5)
        assert refused.value.reason == reason
        assert not await uc.can_review(user_id=user, reservation_id=reservation_id)


async def test_the_card_and_the_search_show_the_average_of_approved_reviews(
    db: Database, settings: Settings
) -> None:
    clock = ManualClock(NOW)
    user, other, premise = await _setup(db, spots=2)
    uc = ReviewUseCases(db, clock)
    first = await _completed(db, clock, user, premise)
    second = await _completed(db, clock, other, premise)
    await uc.rate(user_id=user, reservation_id=first, rating=5)
    await uc.write(user_id=user, reservation_id=first, text="Great")
    await uc.rate(user_id=other, reservation_id=second, rating=2)
    search = SearchUseCases(db, clock, settings)
    card = await search.card(premise, starts_at=None, minutes=60)
    assert (card.rating, card.review_count, card.reviews) == (None, 0, [])  # nothing approved yet
    async with db.transaction() as s:
        await s.execute(update(Review).values(is_approved=True, status=ReviewStatus.APPROVED))
    card = await search.card(premise, starts_at=None, minutes=60)
    assert (card.rating, card.review_count, [r.text for r in card.reviews]) == (3.5, 2, ["", "Great"])
    start = clock.now().replace(second=0, microsecond=0)
    page = await search.nearby(
        50.45, 30.52, interval=Interval(start, start + timedelta(hours=1)), radius_m=1000, limit=5
    )
    assert [(p.rating, p.review_count) for p in page.items] == [(3.5, 2)]


async def test_the_calendar_file_parses_back_and_an_extension_raises_its_sequence(
    db: Database, settings: Settings
) -> None:
    clock = ManualClock(NOW)
    user, other, premise = await _setup(db)
    start = NOW + timedelta(hours=2)
    stay = await _paid(db, clock, user, premise, start, 60)
    calendar = CalendarUseCases(db, clock, settings)
    with pytest.raises(NotFound):
        await calendar.event(user_id=other, reservation_id=stay)

    def parsed(data: bytes) -> tuple[str, int, datetime, datetime, str, tuple[float, float], timedelta]:
        (event,) = Calendar.from_ical(data).walk("VEVENT")
        (alarm,) = event.walk("VALARM")
        geo = event["GEO"]
        assert isinstance(geo, vGeo)
        return (
            str(event["UID"]),
            int(str(event["SEQUENCE"])),
            event.decoded("DTSTART"),
            event.decoded("DTEND"),
            str(event["LOCATION"]),
            (geo.latitude, geo.longitude),
            alarm.decoded("TRIGGER"),
        )

    before = parsed(ics(await calendar.event(user_id=user, reservation_id=stay), "en"))
    assert before == (
        f"booking-{stay}@parking.example",
        0,
        start,
        start + timedelta(hours=1),
        "Central Garage, 1 Test Street",
        (50.45, 30.52),
        timedelta(minutes=-30),
    )
    assert b"DTSTART:20261121T110000Z" in ics(await calendar.event(user_id=user, reservation_id=stay), "uk")

    async with db.transaction() as s:
        await wallet.credit(s, user, 1000, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=NOW)
    extended = await BookingUseCases(db, clock, settings).extend(
        user_id=user, reservation_id=stay, minutes=30
    )
    assert extended.outcome == ExtendOutcome.PAID_FROM_WALLET
    after = parsed(ics(await calendar.event(user_id=user, reservation_id=stay), "en"))
    assert after[:4] == (before[0], 1, start, start + timedelta(minutes=90))  # same UID, next SEQUENCE

    # Over: nothing to put in a calendar.
    clock.advance(timedelta(hours=4))
    async with db.transaction() as s:
        await booking.complete_due(s, clock.now())
    with pytest.raises(InvalidTransition):
        await calendar.event(user_id=user, reservation_id=stay)


async def test_book_again_starts_when_a_spot_frees_up(db: Database) -> None:
    clock = ManualClock(NOW)
    user, other, premise = await _setup(db, spots=2)
    rebook = RebookUseCases(db, clock)
    past = await _completed(db, clock, user, premise)  # an hour's stay, now over
    now = clock.now()
    again = await rebook.again(user_id=user, reservation_id=past)
    assert (again.premise_id, again.starts_at, again.minutes) == (premise, now.replace(second=0), 60)
    with pytest.raises(NotFound):
        await rebook.again(user_id=other, reservation_id=past)

    # The next 2 hours are taken on every spot (one of them 15 minutes longer).
    await _paid(db, clock, other, premise, now, 120)
    await _paid(db, clock, other, premise, now, 135)
    again = await rebook.again(user_id=user, reservation_id=past)
    assert again.starts_at == now + timedelta(hours=2)
    assert (await rebook.last_stay(user_id=user)).reservation_id == past  # type: ignore[union-attr]

    # A spot off sale does not count; with none on sale there is nothing to offer.
    async with db.transaction() as s:
        await s.execute(update(Spot).where(Spot.premise_id == premise).values(is_active=False))
    with pytest.raises(NoSpotFree):
        await rebook.again(user_id=user, reservation_id=past)


async def test_book_again_keeps_to_opening_hours(db: Database) -> None:
    clock = ManualClock(NOW)  # 11:00 in Kyiv
    user, _other, premise = await _setup(db)
    past = await _completed(db, clock, user, premise)
    async with db.transaction() as s:
        await s.execute(update(Premise).where(Premise.id == premise).values(opening_hours="14:00–18:00"))
    again = await RebookUseCases(db, clock).again(user_id=user, reservation_id=past)
    assert again.starts_at == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 14:00 in Kyiv


async def test_favourites_come_first_when_within_the_radius(db: Database, settings: Settings) -> None:
    clock = ManualClock(NOW)
    user, other, near = await _setup(db)
    async with db.transaction() as s:
        far = (await make_premise(s, lat=50.4545, lon=30.52, name="Riverside", now=NOW)).id  # ~500 m
        away = (await make_premise(s, lat=50.60, lon=30.52, name="Suburb", now=NOW)).id  # ~17 km
    rebook = RebookUseCases(db, clock)
    assert await rebook.set_favourite(user_id=user, premise_id=far, starred=True)
    assert await rebook.set_favourite(user_id=user, premise_id=far, starred=True)  # a second tap
    assert await rebook.set_favourite(user_id=user, premise_id=away, starred=True)
    assert await rebook.is_favourite(user_id=user, premise_id=far)
    with pytest.raises(NotFound):
        await rebook.set_favourite(user_id=user, premise_id=9999, starred=True)
    search = SearchUseCases(db, clock, settings)
    start = clock.now()
    window = Interval(start, start + timedelta(hours=1))
    page = await search.nearby(50.45, 30.52, interval=window, radius_m=2000, limit=5, user_id=user)
    assert [p.premise_id for p in page.items] == [far, near] and page.favourites == {far}
    page = await search.nearby(50.45, 30.52, interval=window, radius_m=2000, limit=5, user_id=other)
    assert [p.premise_id for p in page.items] == [near, far]
    assert not await rebook.set_favourite(user_id=user, premise_id=far, starred=False)
    page = await search.nearby(50.45, 30.52, interval=window, radius_m=2000, limit=5, user_id=user)
    assert [p.premise_id for p in page.items] == [near, far]


async def test_two_taps_at_once_make_one_review(db: Database) -> None:
    """Two processes take stars for one booking at the same moment (a double tap, a retried
    update): the unique reservation_id lets one insert, and the other changes that review."""
    clock = ManualClock(NOW)
    user, _other, premise = await _setup(db)
    stay = await _completed(db, clock, user, premise)
    uc = ReviewUseCases(db, clock)
    done = await asyncio.gather(*(uc.rate(user_id=user, reservation_id=stay, rating=n) for n in (5, 3, 4)))
    async with db.read() as s:
        (review,) = (await s.scalars(select(Review))).all()
    assert review.rating in {r.rating for r in done}
