"""Booking use cases: hold a spot, and (to come) cancel, release, end now, extend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.services import booking


@dataclass(frozen=True, slots=True)
class Held:
    """An unpaid hold, as the payment screen needs it."""

    reservation_id: int
    price: int
    currency: str
    hold_expires_at: datetime


class BookingUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    async def hold(self, *, user_id: int, premise_id: int, starts_at: datetime, minutes: int) -> Held:
        """Holds a free spot of the premise, unpaid, for the configured hold time.
        Raises InvalidInterval, ClosedAtThatTime, NotFound, TooManyHolds or NoSpotFree."""
        async with self.db.transaction() as s:
            reservation = await booking.hold(
                s,
                user_id=user_id,
                premise_id=premise_id,
                starts_at=starts_at,
                minutes=minutes,
                now=self.clock.now(),
                hold_minutes=self.settings.hold_minutes,
            )
            assert reservation.hold_expires_at is not None
            return Held(reservation.id, reservation.price, reservation.currency, reservation.hold_expires_at)
