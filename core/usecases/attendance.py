"""The driver's answer to "Still coming?" (no-show release, core/services/presence.py): keep the
booking, or release the spot now. Callback data is never trusted: the booking is loaded under
its lock and must be the caller's."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.db import Database
from core.models import ReservationStatus
from core.services import booking, presence, wallet
from core.services.places import place_of


class Answer(enum.Enum):
    KEPT = "kept"  # kept (again): it is not released as a no-show
    RELEASED = "released"  # completed now, the rest bookable by others
    ARRIVED = "arrived"  # the driver has lowered the blocker meanwhile: nothing to keep or free
    GONE = "gone"  # ended, cancelled or released already


@dataclass(frozen=True, slots=True)
class Attendance:
    answer: Answer
    reservation_id: int
    spot: str = ""
    premise_name: str = ""
    timezone: str = "UTC"
    ends_at: datetime | None = None
    refund: int = 0
    currency: str = ""


class AttendanceUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def keep(self, *, user_id: int, reservation_id: int) -> Attendance:
        """ "Yes, keep it": the booking stays the driver's to the end (no second question, no
        release). Raises NotFound / NotOwner."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            r = await booking.lock_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, r)
            answer = _state_answer(r.status)
            if answer is None:
                if r.kept_at is None:
                    r.kept_at = now
                    r.updated_at = now
                answer = Answer.KEPT
            return Attendance(answer, r.id, spot.label, premise.name, premise.timezone, r.ends_at)

    async def release(self, *, user_id: int, reservation_id: int) -> Attendance:
        """ "Release the spot": the booking completes as a no-show now and the rest of its time is
        bookable by others (refunded only where the premise refunds no-shows). Raises NotFound /
        NotOwner."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            await wallet.lock_ledger(s, user_id)  # every money path: the ledger before the booking
            r = await booking.lock_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, r)
            answer = _state_answer(r.status)
            refund = presence.Refund(0, 0)
            if answer is None:
                if now < r.starts_at:  # the question comes after the start; before, cancel refunds
                    answer = Answer.KEPT
                else:
                    refund = await presence.release(s, r, now, presence.ReleaseReason.DRIVER)
                    answer = Answer.RELEASED
            return Attendance(
                answer,
                r.id,
                spot.label,
                premise.name,
                premise.timezone,
                r.ends_at,
                refund.amount,
                r.currency,
            )


def _state_answer(status: ReservationStatus) -> Answer | None:
    """What the booking's state answers already; None while it waits for the driver."""
    if status == ReservationStatus.CONFIRMED:
        return None
    if status == ReservationStatus.ACTIVE:
        return Answer.ARRIVED
    return Answer.GONE
