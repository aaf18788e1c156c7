"""The driver's answer to a blocked bay (core/services/blocked_bay.py): "Move me to spot B7" or
"Refund me". Callback data is never trusted: the booking is loaded under its lock and must be
the caller's, still offered (on the spot the offer was for), confirmed and not entered. A second
tap, from any device or process, finds the booking moved or cancelled by the first."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.db import Database
from core.errors import DomainError
from core.models import Reservation, ReservationStatus
from core.services import blocked_bay, booking, wallet
from core.services.blocked_bay import Offer
from core.services.places import place_of
from core.usecases.spots import RefundCards, move_to_free_spot

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    MOVED = "moved"
    REFUNDED = "refunded"
    NO_SPOT = "no_spot"  # the free spot went meanwhile and none is left: the refund is still there
    MOVED_ALREADY = "moved_already"  # an earlier tap moved it
    GONE = "gone"  # entered, ended, cancelled or refunded already: nothing to choose any more


@dataclass(frozen=True, slots=True)
class Choice:
    outcome: Outcome
    reservation_id: int
    spot: str = ""  # the spot now
    premise_name: str = ""
    timezone: str = "UTC"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    credit: int = 0
    refund_wallet: int = 0
    refund_card: int = 0
    currency: str = ""


class BlockedBayUseCases:
    def __init__(
        self, db: Database, clock: Clock, *, early_minutes: int, refund_cards: RefundCards | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.early_minutes = early_minutes
        self.refund_cards = refund_cards

    def _open(self, r: Reservation, now: datetime) -> bool:
        return (
            r.bay_blocked_at is not None
            and r.bay_blocked_spot_id == r.spot_id
            and blocked_bay.blocked(r, now, self.early_minutes)
        )

    async def offer(self, *, user_id: int, reservation_id: int) -> Offer | None:
        """The offer as it stands now, for the driver's message; None when it is over."""
        now = self.clock.now()
        async with self.db.read() as s:
            r = await booking.get_owned(s, reservation_id, user_id)
            if not self._open(r, now):
                return None
            return await blocked_bay.build_offer(s, r, now)

    async def move(self, *, user_id: int, reservation_id: int) -> Choice:
        """ "Move me": the booking moves to the spot offered (or another free one of the premise)
        for its whole interval at the same price, and the premise's credit goes to the wallet
        once. Raises NotFound / NotOwner."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            await wallet.lock_ledger(s, user_id)  # every money path: the ledger before the booking
            r = await booking.lock_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, r)
            if not self._open(r, now):
                moved = r.bay_blocked_spot_id is not None and r.bay_blocked_spot_id != r.spot_id
                outcome = (
                    Outcome.MOVED_ALREADY
                    if moved and r.status is ReservationStatus.CONFIRMED
                    else Outcome.GONE
                )
                return self._choice(outcome, r, spot.label, premise.name, premise.timezone)
            try:
                to = await move_to_free_spot(s, r, premise.id, now, to_spot_id=r.bay_offer_spot_id)
                if to is None:
                    to = await move_to_free_spot(s, r, premise.id, now)
            except DomainError:
                to = None
            if to is None:
                return self._choice(Outcome.NO_SPOT, r, spot.label, premise.name, premise.timezone)
            credit = await blocked_bay.give_credit(
                s, r, await blocked_bay.credit_for(s, r, premise, now), now
            )
            log.info(
                "reservation %s moved off blocked spot %s to %s (credit %s)", r.id, spot.id, to.id, credit
            )
            return self._choice(Outcome.MOVED, r, to.label, premise.name, premise.timezone, credit=credit)

    async def refund(self, *, user_id: int, reservation_id: int) -> Choice:
        """ "Refund me": the booking is cancelled although it has started (the one path that may:
        the driver could not get in through no fault of theirs) and refunded in full to where
        the money came from. Raises NotFound / NotOwner."""
        now = self.clock.now()
        cards = False
        async with self.db.transaction() as s:
            await wallet.lock_ledger(s, user_id)
            r = await booking.lock_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, r)
            if not self._open(r, now):
                return self._choice(Outcome.GONE, r, spot.label, premise.name, premise.timezone)
            result = await booking.cancel_blocked(s, r, now=now)
            cards = bool(result.card_refunds)
            log.info("reservation %s refunded: bay blocked (%s)", r.id, r.bay_blocked_reason)
            choice = self._choice(
                Outcome.REFUNDED,
                r,
                spot.label,
                premise.name,
                premise.timezone,
                refund_wallet=result.refunded_to_wallet,
                refund_card=sum(p.amount - p.refunded_amount for p in result.card_refunds),
            )
        if cards and self.refund_cards is not None:
            await self.refund_cards()
        return choice

    @staticmethod
    def _choice(
        outcome: Outcome,
        r: Reservation,
        spot: str,
        premise_name: str,
        tz: str,
        *,
        credit: int = 0,
        refund_wallet: int = 0,
        refund_card: int = 0,
    ) -> Choice:
        return Choice(
            outcome,
            r.id,
            spot,
            premise_name,
            tz,
            r.starts_at,
            r.ends_at,
            credit,
            refund_wallet,
            refund_card,
            r.currency,
        )

    async def offer_car_present(self) -> int:
        """The sweep: confirmed bookings whose bay has a car before their driver arrived get the
        offer (once per spot); one transaction each, claimed under the booking's lock."""
        now = self.clock.now()
        async with self.db.read() as s:
            due = await blocked_bay.car_present_candidates(s, now, self.early_minutes)
        offered = 0
        for reservation_id, user_id, _blocker in due:
            async with self.db.transaction() as s:
                done = await blocked_bay.offer_if_car_present(
                    s, reservation_id, user_id, now, self.early_minutes
                )
            offered += done is not None
        return offered


__all__ = ["BlockedBayUseCases", "Choice", "Outcome"]
