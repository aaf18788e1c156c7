"""Waitlist use cases (issue 16): a driver asks to be told when a spot frees up at a full car
park, sees and withdraws their wishes, and takes an offer with one tap (a normal unpaid hold).
The offers themselves are made by core/services/waitlist.py in the transactions that free
spots; the sweep drops wishes whose time passed and passes lapsed offers on."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import NoSpotFree, NotFound, OfferLapsed, TooManyWishes, WishOver
from core.models import Premise, WaitlistEntry, WaitlistStatus
from core.rules import booking_interval
from core.services import booking, waitlist
from core.services.waitlist import LIVE, stay_as_of, wish_interval

# A wish for a stay starting within this lead is a "park now" wish: waiting until its start
# would end it at once, so it stands for NOW_WISH_HOURS instead.
NOW_LEAD = timedelta(minutes=15)
NOW_WISH_HOURS = 1
MAX_WISHES = 5


@dataclass(frozen=True, slots=True)
class Wish:
    id: int
    premise_id: int
    premise_name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: WaitlistStatus
    offer_expires_at: datetime | None


class TakeOutcome(enum.Enum):
    HELD = "held"
    GONE = "gone"  # somebody else booked the spot first: the wish waits again, in its place


@dataclass(frozen=True, slots=True)
class Taken:
    outcome: TakeOutcome
    premise_id: int
    reservation_id: int | None = None


def _wish(w: WaitlistEntry, premise: Premise) -> Wish:
    return Wish(
        w.id,
        premise.id,
        premise.name,
        premise.timezone,
        w.starts_at,
        w.ends_at,
        w.expires_at,
        w.status,
        w.offer_expires_at,
    )


class WaitlistUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    async def join(self, *, user_id: int, premise_id: int, starts_at: datetime, minutes: int) -> Wish:
        """Registers the wish for this stay (the same live wish again is not doubled). It stands
        until the stay's start, or NOW_WISH_HOURS for a stay starting now. Raises
        InvalidInterval, NotFound or TooManyWishes."""
        now = self.clock.now()
        interval = booking_interval(starts_at, minutes, now)
        lead = interval.starts_at - now
        expires = interval.starts_at if lead > NOW_LEAD else now + timedelta(hours=NOW_WISH_HOURS)
        async with self.db.transaction() as s:
            premise = await s.get(Premise, premise_id)
            if premise is None or not premise.is_active:
                raise NotFound(f"premise {premise_id}")
            same = await s.scalar(
                select(WaitlistEntry).where(
                    WaitlistEntry.user_id == user_id,
                    WaitlistEntry.premise_id == premise_id,
                    WaitlistEntry.status.in_(LIVE),
                    WaitlistEntry.starts_at == interval.starts_at,
                    WaitlistEntry.ends_at == interval.ends_at,
                )
            )
            if same is not None:
                return _wish(same, premise)
            live = await s.scalar(
                select(func.count()).where(
                    WaitlistEntry.user_id == user_id,
                    WaitlistEntry.status.in_(LIVE),
                    WaitlistEntry.expires_at > now,
                )
            )
            if (live or 0) >= MAX_WISHES:
                raise TooManyWishes(f"at most {MAX_WISHES} wishes at a time")
            wish = WaitlistEntry(
                user_id=user_id,
                premise_id=premise_id,
                starts_at=interval.starts_at,
                ends_at=interval.ends_at,
                created_at=now,
                expires_at=expires,
                status=WaitlistStatus.WAITING,
                offer_minutes=self.settings.hold_minutes,
            )
            s.add(wish)
            await s.flush()
            # A spot may have freed between the "no free spot" screen and this tap.
            await waitlist.capacity_freed(s, premise_id, interval.starts_at, interval.ends_at, now)
            return _wish(wish, premise)

    async def wait_again(self, *, user_id: int, wish_id: int) -> Wish:
        """ "Wait again" under a lapsed offer: the same stay wished for anew, at the end of the
        line, while the old wish would still stand (`join`'s rules: at most MAX_WISHES). A wish
        for that stay already waiting is returned as it is (a second tap). Raises NotFound
        (also for somebody else's wish), WishOver or TooManyWishes."""
        now = self.clock.now()
        async with self.db.read() as s:
            old = await s.get(WaitlistEntry, wish_id)
            if old is None or old.user_id != user_id:
                raise NotFound(f"wish {wish_id}")
            if old.expires_at <= now:
                raise WishOver(f"wish {wish_id} stood until {old.expires_at.isoformat()}")
            stay, premise_id = wish_interval(old, now), old.premise_id
        for wish in await self.mine(user_id):
            if wish.premise_id == premise_id and stay_as_of(wish.starts_at, wish.ends_at, now) == stay:
                return wish
        return await self.join(
            user_id=user_id, premise_id=premise_id, starts_at=stay.starts_at, minutes=stay.minutes
        )

    async def mine(self, user_id: int) -> list[Wish]:
        """The driver's live wishes, the soonest first."""
        now = self.clock.now()
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(WaitlistEntry, Premise)
                    .join(Premise, Premise.id == WaitlistEntry.premise_id)
                    .where(
                        WaitlistEntry.user_id == user_id,
                        WaitlistEntry.status.in_(LIVE),
                        WaitlistEntry.expires_at > now,
                    )
                    .order_by(WaitlistEntry.starts_at, WaitlistEntry.id)
                )
            ).tuples()
            return [_wish(w, p) for w, p in rows]

    async def cancel(self, *, user_id: int, wish_id: int) -> None:
        """Withdraws a wish (an offer it had goes to the next driver at the next sweep).
        Raises NotFound, also for somebody else's wish."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            wish = await self._owned(s, wish_id, user_id)
            if wish.status not in LIVE:
                return
            offered = wish.status == WaitlistStatus.OFFERED
            wish.status = WaitlistStatus.CANCELLED
            await s.flush()
            if offered:
                await waitlist.capacity_freed(s, wish.premise_id, None, None, now)

    async def take(self, *, user_id: int, wish_id: int) -> Taken:
        """ "Hold it" under an offer: the spot is held (unpaid, HOLD_MINUTES, the normal hold)
        for the wish's stay. Somebody else may have booked it since the offer: then the wish
        waits again in its place (GONE). Raises OfferLapsed after the offer's time, NotFound,
        and what a hold raises (TooManyHolds, ClosedAtThatTime, ...)."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            wish = await self._owned(s, wish_id, user_id)
            if wish.status == WaitlistStatus.TAKEN and wish.reservation_id is not None:
                # A second tap: the hold the first one made (its payment screen again).
                return Taken(TakeOutcome.HELD, wish.premise_id, wish.reservation_id)
            if wish.status != WaitlistStatus.OFFERED or (
                wish.offer_expires_at is not None and wish.offer_expires_at <= now
            ):
                raise OfferLapsed(f"wish {wish_id} is {wish.status.value}")
            wanted = wish_interval(wish, now)
            try:
                async with s.begin_nested():
                    reservation = await booking.hold(
                        s,
                        user_id=user_id,
                        premise_id=wish.premise_id,
                        starts_at=wanted.starts_at,
                        minutes=wanted.minutes,
                        now=now,
                        hold_minutes=self.settings.hold_minutes,
                    )
            except NoSpotFree:
                wish.status, wish.offered_at, wish.offer_expires_at = WaitlistStatus.WAITING, None, None
                return Taken(TakeOutcome.GONE, wish.premise_id)
            wish.status, wish.reservation_id = WaitlistStatus.TAKEN, reservation.id
            return Taken(TakeOutcome.HELD, wish.premise_id, reservation.id)

    async def sweep(self) -> int:
        """Drops wishes whose time passed, passes lapsed offers to the next driver, and offers
        any spot free now that no event announced (a spot whose closing ended by itself).
        Returns the offers made."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            await waitlist.expire_due(s, now)
            premises = await waitlist.premises_waiting(s, now)
        offered = 0
        for premise_id in premises:
            # One short transaction per car park: its lock is held only while it is looked at.
            async with self.db.transaction() as s:
                offered += len(await waitlist.capacity_freed(s, premise_id, None, None, now))
        return offered

    @staticmethod
    async def _owned(s: AsyncSession, wish_id: int, user_id: int) -> WaitlistEntry:
        wish = await s.scalar(
            select(WaitlistEntry)
            .where(WaitlistEntry.id == wish_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if wish is None or wish.user_id != user_id:
            raise NotFound(f"wish {wish_id}")
        return wish
