"""Book again and favourites: the same car park and stay length from the next free start (the
quote, then the usual hold and payment), and the car parks a driver starred."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.clock import Clock
from core.db import Database
from core.errors import NoSpotFree, NotFound
from core.models import Favourite, Premise, Reservation, ReservationStatus, Spot
from core.services.booking import get_owned
from core.services.rebook import next_free_start, stay_minutes


@dataclass(frozen=True, slots=True)
class Again:
    """What "Book again" proposes: the quote screen prices and holds it as any other stay."""

    premise_id: int
    premise_name: str
    starts_at: datetime
    minutes: int


@dataclass(frozen=True, slots=True)
class LastStay:
    reservation_id: int
    premise_name: str


class RebookUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def again(self, *, user_id: int, reservation_id: int) -> Again:
        """The caller's earlier booking again: its car park, its length, the next free start.
        Raises NotFound (also for another's booking or a car park no longer taking bookings),
        NoSpotFree (nothing free within the booking horizon)."""
        now = self.clock.now()
        async with self.db.read() as s:
            reservation = await get_owned(s, reservation_id, user_id)
            spot = await s.get(Spot, reservation.spot_id)
            premise = await s.get(Premise, spot.premise_id) if spot is not None else None
            if premise is None or not premise.is_active:
                raise NotFound(f"premise of reservation {reservation_id}")
            minutes = stay_minutes(reservation)
            start = await next_free_start(s, premise, minutes, now)
        if start is None:
            raise NoSpotFree(f"premise {premise.id}: nothing free for {minutes} min")
        return Again(premise.id, premise.name, start, minutes)

    async def last_stay(self, *, user_id: int) -> LastStay | None:
        """The driver's latest completed stay at a car park still taking bookings: the main
        menu offers to book it again."""
        async with self.db.read() as s:
            row = (
                await s.execute(
                    select(Reservation.id, Premise.name)
                    .join(Spot, Spot.id == Reservation.spot_id)
                    .join(Premise, Premise.id == Spot.premise_id)
                    .where(
                        Reservation.user_id == user_id,
                        Reservation.status == ReservationStatus.COMPLETED,
                        Premise.is_active.is_(True),
                    )
                    .order_by(Reservation.ends_at.desc(), Reservation.id.desc())
                    .limit(1)
                )
            ).first()
        return LastStay(row[0], row[1]) if row is not None else None

    async def is_favourite(self, *, user_id: int, premise_id: int) -> bool:
        async with self.db.read() as s:
            found = await s.scalar(
                select(Favourite.id).where(Favourite.user_id == user_id, Favourite.premise_id == premise_id)
            )
        return found is not None

    async def set_favourite(self, *, user_id: int, premise_id: int, starred: bool) -> bool:
        """Stars or unstars a car park for the driver; returns whether it is starred now.
        Raises NotFound for a car park that does not exist. Repeating a tap changes nothing."""
        try:
            async with self.db.transaction() as s:
                if await s.get(Premise, premise_id) is None:
                    raise NotFound(f"premise {premise_id}")
                if not starred:
                    await s.execute(
                        delete(Favourite).where(
                            Favourite.user_id == user_id, Favourite.premise_id == premise_id
                        )
                    )
                    return False
                exists_ = await s.scalar(
                    select(Favourite.id).where(
                        Favourite.user_id == user_id, Favourite.premise_id == premise_id
                    )
                )
                if exists_ is None:
                    s.add(Favourite(user_id=user_id, premise_id=premise_id, created_at=self.clock.now()))
        except IntegrityError:
            pass  # starred by a concurrent tap: starred all the same
        return True
