"""Booking use cases: hold a spot, release the hold, cancel, end now, extend from the reminder,
and one booking's details as its screen shows them (with what the rules allow on it now).

Each method is one unit of work; what may happen to a booking is decided by `core/rules.py`
(checked again in `core/services/booking.py` under the row lock), never by the caller."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import InvalidTransition, PriceChanged, SpotTaken
from core.models import (
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
)
from core.pricing import PriceLine, price_stay, whole_minutes
from core.rules import EXTENDABLE, can_cancel, can_end_now, is_paid, is_payable
from core.services import booking, reminders, vehicles, wallet
from core.services import payments as pay_rules
from core.services.availability import next_booking_on_spot
from core.services.catalog import BookingScope, BookingView, booking_view, user_bookings
from core.services.places import place_of
from core.services.pricing import plan_by_id
from core.usecases.arrival import blocker_of, lowering_refusal


@dataclass(frozen=True, slots=True)
class Held:
    """An unpaid hold, as the payment screen needs it."""

    reservation_id: int
    price: int
    currency: str
    hold_expires_at: datetime


class Released(enum.Enum):
    RELEASED = "released"
    PAID = "paid"  # paid meanwhile (another device, a webhook): it stays booked
    GONE = "gone"  # expired or released already: nothing is held any more


@dataclass(frozen=True, slots=True)
class Cancelled:
    reservation_id: int
    currency: str
    refunded_to_wallet: int  # credited back already
    refund_to_card: int  # on its way back to the card (a Stripe refund)


@dataclass(frozen=True, slots=True)
class Ended:
    reservation_id: int
    ends_at: datetime
    refund: int = 0  # credited back to the wallet already: the unused whole 15-minute steps
    unused_minutes: int = 0
    currency: str = ""
    refunds_on: bool = True  # the car park refunds unused time on such an end


class ExtendOutcome(enum.Enum):
    PAID_FROM_WALLET = "paid_from_wallet"  # applied: the booking ends later already
    FREE = "free"  # applied at no charge: the daily cap is reached (a payment is never of 0)
    NEEDS_PAYMENT = "needs_payment"  # quoted; the wallet is short: a card or the payment page
    STALE = "stale"  # the booking no longer ends when the reminder said


@dataclass(frozen=True, slots=True)
class Extension:
    outcome: ExtendOutcome
    timezone: str  # the premise's
    ends_at: datetime  # the end once extended (for STALE: the booking's current end)
    extension_id: int | None = None
    price: int = 0
    currency: str = ""
    balance: int = 0  # the wallet's before paying, in the extension's currency
    premise_name: str = ""
    spot: str = ""


@dataclass(frozen=True, slots=True)
class ExtensionChoice:
    minutes: int
    price: int


@dataclass(frozen=True, slots=True)
class ExtensionChoices:
    """What "Extend" offers on a booking now: its end, and the extensions still possible (none
    when it cannot be extended: not paid or over, the spot booked next, closing time)."""

    reservation_id: int
    premise_name: str
    spot: str
    timezone: str
    ends_at: datetime
    currency: str
    options: list[ExtensionChoice]
    next_starts_at: datetime | None  # someone else's booking of the spot right after


@dataclass(frozen=True, slots=True)
class BookingDetails:
    """One booking for its owner's screen, and what the rules allow on it now."""

    reservation: Reservation
    spot: Spot
    premise: Premise
    payments: list[Payment]
    can_pay: bool
    can_cancel: bool
    can_end_now: bool
    # Ending it now gives the unused whole 15-minute steps back (the car park's setting).
    end_refunds: bool
    can_extend: bool  # paid and not over: "Extend" offers what is still possible
    # The lowering window and the blocker's row; whether blockers are reachable at all (MQTT
    # configured) is the front end's to add.
    can_lower: bool
    refund_wallet: int  # what cancelling now would give back, by where it goes
    refund_card: int
    # The price's lines under the plan it was priced with (core/pricing.py); empty when they
    # no longer add up to the price (priced before plans, or ended early).
    price_lines: tuple[PriceLine, ...] = ()


@dataclass(frozen=True, slots=True)
class BookingPlace:
    """One booking and where it is, for its owner: what the payment screens show."""

    reservation: Reservation
    spot: Spot
    premise: Premise


@dataclass(frozen=True, slots=True)
class BookingList:
    """A page of "My bookings": the tab shown, its bookings, and whether the driver has any
    booking at all (an empty tab then points at the others)."""

    scope: BookingScope
    items: list[BookingView]
    has_more: bool
    any_at_all: bool


class BookingUseCases:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        refund_cards: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        # Carries out the card refunds a cancellation owes (the payments adapter); without it
        # (no Stripe configured) the refund job does them.
        self.refund_cards = refund_cards

    async def hold(
        self,
        *,
        user_id: int,
        premise_id: int,
        starts_at: datetime,
        minutes: int,
        plate: str | None = None,
        expected_price: int | None = None,
    ) -> Held:
        """Holds a free spot of the premise, unpaid, for the configured hold time, for the
        vehicle with `plate` (optional: saved to the driver's vehicles and made their default,
        the one the next booking offers). With `expected_price` (the total the driver was
        shown) nothing is held at another price: PriceChanged instead. Raises InvalidPlate,
        TooManyVehicles, InvalidInterval, ClosedAtThatTime, NotFound, TooManyHolds,
        NoSpotFree or PriceChanged."""
        async with self.db.transaction() as s:
            if plate is not None:
                plate = (await vehicles.save(s, user_id, plate, self.clock.now(), default=True)).plate
            reservation = await booking.hold(
                s,
                user_id=user_id,
                premise_id=premise_id,
                starts_at=starts_at,
                minutes=minutes,
                now=self.clock.now(),
                hold_minutes=self.settings.hold_minutes,
                plate=plate,
            )
            if expected_price is not None and reservation.price != expected_price:
                # Raised inside the transaction: the hold is rolled back, nothing is held.
                raise PriceChanged(reservation.price, reservation.currency)
            assert reservation.hold_expires_at is not None
            return Held(reservation.id, reservation.price, reservation.currency, reservation.hold_expires_at)

    async def details(self, *, user_id: int, reservation_id: int) -> BookingDetails:
        """The booking, its place and payments, read once. Raises NotFound (also for somebody
        else's booking)."""
        now = self.clock.now()
        async with self.db.read() as s:
            v = await booking_view(s, reservation_id, user_id)
            blocker = await blocker_of(s, v.spot.id)
            plan = await plan_by_id(s, v.reservation.rate_plan_id) if v.reservation.rate_plan_id else None
        r = v.reservation
        lines: tuple[PriceLine, ...] = ()
        if plan is not None and whole_minutes(r.starts_at, r.ends_at):
            priced = price_stay(plan, r.starts_at, r.ends_at, v.premise.timezone)
            if priced.total == r.price and priced.currency == r.currency:
                lines = priced.lines
        paid = [p for p in v.payments if p.status == PaymentStatus.SUCCEEDED]
        cancellable = can_cancel(r.status, r.starts_at, now)
        return BookingDetails(
            reservation=r,
            spot=v.spot,
            premise=v.premise,
            payments=v.payments,
            can_pay=is_payable(r.status, r.hold_expires_at, now),
            can_cancel=cancellable,
            can_end_now=can_end_now(r.status, r.starts_at, now),
            end_refunds=booking.end_refunds(
                v.premise, no_show=r.status == ReservationStatus.CONFIRMED and blocker is not None
            ),
            can_extend=r.status in EXTENDABLE and now < r.ends_at,
            can_lower=lowering_refusal(r, blocker, now, self.settings.early_arrival_minutes) is None,
            refund_wallet=sum(p.amount for p in paid if p.method == PaymentMethodKind.WALLET),
            refund_card=sum(p.amount for p in paid if p.method == PaymentMethodKind.CARD),
            price_lines=lines,
        )

    async def place(self, *, user_id: int, reservation_id: int) -> BookingPlace:
        """The booking, its spot and car park, read once: half the reads of `details` (no
        payments, blocker or price lines), for the screens that show only those. Raises
        NotFound (also for somebody else's booking)."""
        async with self.db.read() as s:
            r = await booking.get_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, r)
        return BookingPlace(r, spot, premise)

    async def bookings(
        self, *, user_id: int, scope: BookingScope | None, offset: int = 0, limit: int = 5
    ) -> BookingList:
        """A page of the driver's bookings in a tab; without a tab, the one that matters now:
        a booking in progress, else the upcoming ones."""
        now = self.clock.now()
        async with self.db.read() as s:
            if scope is None:
                active, _more = await user_bookings(s, user_id, BookingScope.ACTIVE, now, limit=1)
                scope = BookingScope.ACTIVE if active else BookingScope.UPCOMING
            views, has_more = await user_bookings(s, user_id, scope, now, limit=limit, offset=offset)
            any_at_all = bool(views)
            for other in BookingScope:
                if not any_at_all and other != scope:
                    any_at_all = bool((await user_bookings(s, user_id, other, now, limit=1))[0])
        return BookingList(scope, views, has_more, any_at_all)

    async def release_hold(self, *, user_id: int, reservation_id: int) -> Released:
        """The driver lets an unpaid hold go. Anything but an unpaid hold is left as it is: a tap
        on an old payment screen after the booking was paid never cancels it. Raises NotFound."""
        try:
            async with self.db.transaction() as s:
                await booking.release_hold(s, reservation_id, user_id=user_id, now=self.clock.now())
        except InvalidTransition as exc:
            return Released.PAID if is_paid(ReservationStatus(exc.status)) else Released.GONE
        return Released.RELEASED

    async def cancel(self, *, user_id: int, reservation_id: int, reason: str = "user") -> Cancelled:
        """The one way to cancel: an unpaid hold, or a paid booking before its start, refunded in
        full to where the money came from (the wallet in the same transaction; cards right after
        it commits, never inside it). Raises TooLateToCancel after the start (end it instead),
        InvalidTransition, NotFound."""
        async with self.db.transaction() as s:
            result = await booking.cancel(
                s, reservation_id, user_id=user_id, now=self.clock.now(), reason=reason
            )
            cancelled = Cancelled(
                reservation_id=result.reservation.id,
                currency=result.reservation.currency,
                refunded_to_wallet=result.refunded_to_wallet,
                refund_to_card=sum(p.amount - p.refunded_amount for p in result.card_refunds),
            )
        if result.card_refunds and self.refund_cards is not None:
            await self.refund_cards()
        return cancelled

    async def end_now(self, *, user_id: int, reservation_id: int) -> Ended:
        """The driver leaves early: the booking completes now and its unused whole 15-minute
        steps go back to the wallet where the car park refunds them (as when the car leaves).
        Raises NotStarted before the start (cancel instead), InvalidTransition, NotFound."""
        async with self.db.transaction() as s:
            ended = await booking.end_now(s, reservation_id, user_id=user_id, now=self.clock.now())
            r = ended.reservation
            return Ended(
                r.id,
                r.ends_at,
                refund=ended.refund.amount,
                unused_minutes=ended.refund.unused_minutes,
                currency=r.currency,
                refunds_on=ended.refunds_on,
            )

    async def extend(
        self, *, user_id: int, reservation_id: int, minutes: int, reminded_end: datetime | None = None
    ) -> Extension:
        """The reminder's "Extend": quotes `minutes` more on the same spot and, when the wallet
        covers the price, pays it from there at once (the booking ends later when this returns);
        otherwise the extension waits for a card or the payment page. With `reminded_end`, a
        booking that no longer ends then (extended or ended meanwhile) is STALE, nothing done.
        Raises NotFound, SpotTaken, ClosedAtThatTime, InvalidTransition or InvalidInterval."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            # Every money path locks the driver's ledger before the booking (see payable_booking).
            await wallet.lock_ledger(s, user_id)
            current = await booking.lock_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, current)
            if reminded_end is not None and int(current.ends_at.timestamp()) != int(reminded_end.timestamp()):
                return Extension(
                    ExtendOutcome.STALE,
                    premise.timezone,
                    current.ends_at,
                    premise_name=premise.name,
                    spot=spot.label,
                )
            extension = await booking.request_extension(
                s, current.id, user_id=user_id, minutes=minutes, now=now
            )
            balance = await wallet.balance(s, user_id, extension.currency)
            outcome = ExtendOutcome.NEEDS_PAYMENT
            if extension.price == 0:
                # The daily cap is reached: the added time costs nothing, so no payment (a
                # payment is never of 0) and the booking ends later at once.
                applied = await booking.apply_extension(s, extension.id, now)
                if applied != booking.ExtensionOutcome.APPLIED:
                    raise SpotTaken("the spot was booked by someone else meanwhile")
                outcome = ExtendOutcome.FREE
            elif balance >= extension.price:
                await pay_rules.pay_extension_with_wallet(
                    s, extension_id=extension.id, user_id=user_id, now=now
                )
                outcome = ExtendOutcome.PAID_FROM_WALLET
            return Extension(
                outcome=outcome,
                timezone=premise.timezone,
                ends_at=extension.new_ends_at,
                extension_id=extension.id,
                price=extension.price,
                currency=extension.currency,
                balance=balance,
                premise_name=premise.name,
                spot=spot.label,
            )

    async def extension_choices(self, *, user_id: int, reservation_id: int) -> ExtensionChoices:
        """The extensions "Extend" may offer now (the reminder's choices, as of this moment).
        Raises NotFound (also for somebody else's booking)."""
        now = self.clock.now()
        async with self.db.read() as s:
            r = await booking.get_owned(s, reservation_id, user_id)
            spot, premise = await place_of(s, r)
            extendable = r.status in EXTENDABLE and now < r.ends_at
            options = await reminders.extension_options(s, r, premise, now) if extendable else []
            following = await next_booking_on_spot(s, r.spot_id, r.ends_at, now) if extendable else None
        return ExtensionChoices(
            reservation_id=r.id,
            premise_name=premise.name,
            spot=spot.label,
            timezone=premise.timezone,
            ends_at=r.ends_at,
            currency=premise.currency,
            options=[ExtensionChoice(int(o["minutes"]), int(o["price"])) for o in options],
            next_starts_at=following.starts_at if following else None,
        )
