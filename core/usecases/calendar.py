"""A booking as a calendar event ("Add to calendar"): what the .ics file says, for the owner of
a paid booking that is not over. The event keeps one UID per booking; each applied extension
raises its SEQUENCE, so a calendar that imports the file again updates the event in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import InvalidTransition
from core.models import ExtensionStatus, ReservationExtension, ReservationStatus
from core.services.booking import get_owned
from core.services.places import place_of

# Bookings a calendar entry is offered for: paid and not over.
IN_CALENDAR = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE})


@dataclass(frozen=True, slots=True)
class BookingEvent:
    reservation_id: int
    uid: str
    sequence: int  # applied extensions: each one moved the end
    starts_at: datetime  # UTC
    ends_at: datetime
    stamp: datetime  # when the file was made
    premise_name: str
    address: str
    lat: float
    lon: float
    timezone: str
    spot: str


class CalendarUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        # The UID's domain part: this installation (RFC 5545 asks for a globally unique id).
        self.domain = urlsplit(settings.public_url).hostname or "smart-parking-bot"

    async def event(self, *, user_id: int, reservation_id: int) -> BookingEvent:
        """The caller's paid, unfinished booking as an event. Raises NotFound (also for another's
        booking), InvalidTransition (unpaid, cancelled, over)."""
        now = self.clock.now()
        async with self.db.read() as s:
            r = await get_owned(s, reservation_id, user_id)
            if r.status not in IN_CALENDAR or r.ends_at <= now:
                raise InvalidTransition(r.id, r.status.value, "add to calendar")
            spot, premise = await place_of(s, r)
            extensions = await s.scalar(
                select(func.count(ReservationExtension.id)).where(
                    ReservationExtension.reservation_id == r.id,
                    ReservationExtension.status == ExtensionStatus.APPLIED,
                )
            )
        return BookingEvent(
            reservation_id=r.id,
            uid=f"booking-{r.id}@{self.domain}",
            sequence=int(extensions or 0),
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            stamp=now,
            premise_name=premise.name,
            address=premise.address,
            lat=premise.lat,
            lon=premise.lon,
            timezone=premise.timezone,
            spot=spot.label,
        )
