"""Search use cases: car parks near a point, one car park's card for the stay being looked
for, the quote for a stay, and the start times a premise is open for. Read-only: each method
is one short read, the screens render what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import ClosedAtThatTime, InvalidInterval, NotFound
from core.geo import haversine_m
from core.models import Premise
from core.money import price_for_minutes
from core.opening_hours import open_starts
from core.rules import STEP_MINUTES, Interval, start_now
from core.services.availability import Quote, quote
from core.services.catalog import premise_card
from core.services.nearby import NearbyPage, SearchFilters, favourites_near, find_nearby
from core.services.pricing import PlanInForce, plan_in_force, price_with


@dataclass(frozen=True, slots=True)
class ReviewView:
    rating: int
    text: str


@dataclass(frozen=True, slots=True)
class StayQuote:
    """The stay being looked for at this premise: free spots and its total, or why not."""

    interval: Interval
    minutes: int
    free_spots: int
    price: int
    currency: str
    closed: bool = False  # the premise is closed for (part of) that stay
    passed: bool = False  # the start has passed


@dataclass(frozen=True, slots=True)
class PremiseCardView:
    premise_id: int
    name: str
    address: str
    lat: float
    lon: float
    timezone: str
    price_per_hour: int
    currency: str
    opening_hours: str
    features: list[str]
    description: str
    photo: str | None  # the first photo's Telegram file id
    rating: float | None
    review_count: int
    reviews: list[ReviewView]
    distance_m: int | None  # from the search point, when there is one
    stay: StayQuote | None
    # The premise's short numeric code (core/premise_codes.py): what an SMS names it by.
    code: str = ""
    # The totals of the durations the card offers: (minutes, price in minor units).
    durations: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A quote with the premise it is for."""

    name: str
    address: str
    timezone: str
    price_per_hour: int
    quote: Quote


class SearchUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def start_or_now(self, starts_at: datetime | None) -> datetime:
        """The chosen start, or "now" (this minute) when none was chosen."""
        return starts_at if starts_at is not None else start_now(self.clock.now())

    async def nearby(
        self,
        lat: float,
        lon: float,
        *,
        interval: Interval,
        radius_m: int,
        limit: int,
        offset: int = 0,
        filters: SearchFilters | None = None,
        user_id: int | None = None,
    ) -> NearbyPage:
        """A page of car parks near a point, nearest first; with `user_id`, the driver's
        starred ones within the radius come first on the first page (and are not repeated on
        any page)."""
        now, filters = self.clock.now(), filters or SearchFilters()
        async with self.db.read(snapshot=False) as s:
            page = await find_nearby(
                s,
                lat,
                lon,
                interval=interval,
                now=now,
                radius_m=radius_m,
                limit=limit,
                offset=offset,
                filters=filters,
            )
            if user_id is None:
                return page
            starred = await favourites_near(
                s, user_id, lat, lon, interval=interval, now=now, radius_m=radius_m, filters=filters
            )
        ids = frozenset(p.premise_id for p in starred)
        rest = [p for p in page.items if p.premise_id not in ids]
        return NearbyPage(
            items=(starred if offset == 0 else []) + rest, has_more=page.has_more, favourites=ids
        )

    async def card(
        self,
        premise_id: int,
        *,
        starts_at: datetime | None,
        minutes: int,
        durations: tuple[int, ...] = (),
        near: tuple[float, float] | None = None,
    ) -> PremiseCardView:
        """A car park as its card shows it, with the stay being looked for (free spots and
        total) and the totals of `durations`; raises NotFound."""
        now = self.clock.now()
        async with self.db.read() as s:
            card = await premise_card(s, premise_id)
            # Read once for the stay and the durations' totals.
            current = await plan_in_force(s, card.premise, now)
            stay: StayQuote | None
            start = self.start_or_now(starts_at)
            try:
                q = await quote(s, premise_id, start, minutes, now, plan=current)
                stay = StayQuote(q.interval, minutes, q.free_spots, q.price, q.currency)
            except ClosedAtThatTime:
                stay = _refused(card.premise, start, minutes, closed=True)
            except InvalidInterval:
                stay = _refused(card.premise, start, minutes, passed=True)
            prices = _totals_with(current, card.premise, start, durations)
        p = card.premise
        return PremiseCardView(
            premise_id=p.id,
            name=p.name,
            address=p.address,
            lat=p.lat,
            lon=p.lon,
            timezone=p.timezone,
            price_per_hour=p.price_per_hour,
            currency=p.currency,
            opening_hours=p.opening_hours,
            features=list(p.features),
            description=p.description,
            photo=p.photos[0] if p.photos else None,
            rating=card.rating,
            review_count=card.review_count,
            reviews=[ReviewView(r.rating, r.text) for r in card.latest_reviews],
            distance_m=round(haversine_m(near[0], near[1], p.lat, p.lon)) if near else None,
            stay=stay,
            durations=prices,
            code=p.code or "",
        )

    async def quote(self, premise_id: int, starts_at: datetime | None, minutes: int) -> QuoteView:
        """Price and free spots for a stay; raises InvalidInterval, ClosedAtThatTime, NotFound."""
        async with self.db.read() as s:
            premise = await s.get(Premise, premise_id)
            if premise is None or not premise.is_active:
                raise NotFound(f"premise {premise_id}")
            q = await quote(s, premise_id, self.start_or_now(starts_at), minutes, self.clock.now())
            return QuoteView(premise.name, premise.address, premise.timezone, premise.price_per_hour, q)

    async def durations(
        self, premise_id: int, presets: tuple[int, ...], starts_at: datetime | None = None
    ) -> list[tuple[int, int, str]]:
        """The totals of `presets` at this premise from `starts_at` (now when None), under the
        rate plan in force: (minutes, price, currency)."""
        now = self.clock.now()
        async with self.db.read() as s:
            premise = await s.get(Premise, premise_id)
            if premise is None:
                raise NotFound(f"premise {premise_id}")
            totals = await _totals(s, premise, self.start_or_now(starts_at), presets, now)
        return [(m, price, premise.currency) for m, price in totals]

    async def timezone_of(self, premise_id: int) -> str:
        async with self.db.read() as s:
            premise = await s.get(Premise, premise_id)
        if premise is None:
            raise NotFound(f"premise {premise_id}")
        return premise.timezone

    async def open_starts(self, premise_id: int, day: date, minutes: int) -> tuple[list[datetime], str, str]:
        """The start times still ahead on `day` whose whole stay lies within the premise's
        opening hours, with its time zone and hours."""
        async with self.db.read() as s:
            premise = await s.get(Premise, premise_id)
        if premise is None:
            raise NotFound(f"premise {premise_id}")
        starts = open_starts(
            premise.opening_hours,
            premise.timezone,
            day,
            minutes,
            after=self.clock.now(),
            step_minutes=STEP_MINUTES,
        )
        return starts, premise.timezone, premise.opening_hours


async def _totals(
    session: AsyncSession, premise: Premise, start: datetime, durations: tuple[int, ...], now: datetime
) -> list[tuple[int, int]]:
    """What each stay of `durations` from `start` costs under the rate plan in force (a first
    hour or a night rate makes a total other than hours × the "from" price)."""
    return _totals_with(await plan_in_force(session, premise, now), premise, start, durations)


def _totals_with(
    current: PlanInForce, premise: Premise, start: datetime, durations: tuple[int, ...]
) -> list[tuple[int, int]]:
    return [(m, price_with(current, premise, start, start + timedelta(minutes=m)).total) for m in durations]


def _refused(
    premise: Premise, start: datetime, minutes: int, *, closed: bool = False, passed: bool = False
) -> StayQuote:
    interval = Interval(start, start + timedelta(minutes=minutes))
    price = price_for_minutes(premise.price_per_hour, minutes)
    return StayQuote(interval, minutes, 0, price, premise.currency, closed=closed, passed=passed)
