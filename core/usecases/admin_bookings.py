"""The operator console's Bookings section (DESIGN.md §11, issue 13 item 3): find a booking
(by its number, by the driver's phone, or in a premise's list of today's and upcoming
bookings), read its whole history, and act on it: refund in full or in part, end now, extend
for free, move to another free spot, cancel.

Every action follows core/usecases/admin.py's pattern (role checked at the booking's premise
in the database, the change, the driver's notification and the audit entry in one
transaction, refusals audited on their own). Staff see only bookings of premises where they
have a role: any other booking is NotFound to them, whatever its number.

Refunds are the money path, so:
- the driver's ledger, the booking and its payments are locked (FOR UPDATE on PostgreSQL,
  BEGIN IMMEDIATE on SQLite) and what is left to refund is computed under that lock; the
  refund's rows are written and the payments' `refunded_amount` raised in the same
  transaction, so two refunds at once can never give back more than was paid (the second
  sees the first's amount, and `refunded_amount <= amount` is a CHECK of the table too);
- wallet money is credited in that transaction; card money goes to the provider only after
  it commits (no network call inside a transaction), with the refund row's id as the
  idempotency key, and is settled in a transaction of its own. A crash in between leaves the
  row pending: `retry_pending_refunds` (run with the refunds sweep) calls again with the same
  key, which the provider answers with the same refund, never a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import (
    InvalidRefund,
    InvalidTransition,
    NoSpotToMoveTo,
    NotFound,
    NotPermitted,
    PaymentUnavailable,
    RefundTooLarge,
    SpotTaken,
)
from core.models import (
    AuditEntry,
    AuditOutcome,
    Blocker,
    ExtensionStatus,
    Notification,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Premise,
    Refund,
    RefundStatus,
    Reservation,
    ReservationExtension,
    ReservationStatus,
    Spot,
    User,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.payments import PaymentProvider, PaymentProviderError
from core.permissions import Permission, allowed
from core.rules import Interval, can_cancel
from core.services import booking, outbox, wallet
from core.services.availability import free_spot_ids
from core.services.users import normalise_phone
from core.usecases.admin import AdminUseCases, Audit, role_at
from core.usecases.spots import move_to_free_spot

log = logging.getLogger(__name__)

LIST_PAGE = 8  # bookings a page in a premise's list
HISTORY_PAGE = 12  # events a page in a booking's history
FOUND_BY_PHONE = 10  # a driver's most recent bookings found by their phone
UPCOMING_DAYS = 7  # a premise's list: today and the next days
MAX_REASON = 200
# A card refund still pending this long after it was reserved was interrupted (a crash
# between the reservation and the provider's answer): the retry calls again with its key.
RETRY_AFTER = timedelta(minutes=2)
# Extensions go in these steps (the extension rules of core/rules.py decide the rest).
FREE_EXTENSIONS = (15, 30, 60)

# Moving makes sense before the car is on the spot: an unpaid hold still running, or a paid
# booking the driver has not entered yet (also after its start: a blocked bay).
_MOVABLE = (ReservationStatus.PENDING_PAYMENT, ReservationStatus.CONFIRMED)
# Driver-facing kinds whose payload names the booking: its notifications in the history.
_ADMIN_BOOKING_ALERTS = (NotificationKind.ADMIN_BLOCKER_FAILED, NotificationKind.ADMIN_OVERSTAY)

RefundCards = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class BookingCard:
    """One booking as the console shows it (list line and the head of its screen)."""

    reservation_id: int
    premise_id: int
    premise_name: str
    timezone: str
    spot_id: int
    spot_label: str
    driver_name: str
    driver_phone: str | None
    starts_at: datetime
    ends_at: datetime
    status: ReservationStatus
    price: int
    currency: str
    paid: int  # succeeded payments, refunds not deducted
    refunded: int
    arrived: bool
    hold_alive: bool  # an unpaid hold that still holds its spot

    @property
    def refundable(self) -> int:
        return self.paid - self.refunded


@dataclass(frozen=True, slots=True)
class BookingList:
    premise_id: int
    premise_name: str
    timezone: str
    bookings: list[BookingCard]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a booking's history: `kind` names its text (admin.history.<kind>), `values`
    fill it in (plain values: amounts in minor units with `currency`, times as datetimes,
    statuses as stored). A payment's `method` is "wallet", "card" or "page" (_paid_by); the
    arrival is "lowered" at a spot with a blocker, "arrived" at one without."""

    at: datetime
    kind: str
    values: dict[str, Any] = field(default_factory=dict)


def _paid_by(payment: Payment) -> str:
    """How a payment was made, as its history line names it: "wallet", "card" (a saved card
    charged in the bot) or "page" (a card typed on the provider's payment page)."""
    if payment.method is PaymentMethodKind.CARD and payment.stripe_checkout_session_id is not None:
        return "page"
    return payment.method.value


@dataclass(frozen=True, slots=True)
class History:
    booking: BookingCard
    events: list[Event]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class RefundPart:
    refund_id: int
    payment_id: int
    method: PaymentMethodKind
    amount: int
    status: RefundStatus


@dataclass(frozen=True, slots=True)
class Refunded:
    reservation_id: int
    amount: int
    currency: str
    parts: list[RefundPart]
    refundable_left: int
    repeated: bool = False  # the same confirmation tapped twice: nothing new was refunded

    @property
    def to_wallet(self) -> int:
        return sum(p.amount for p in self.parts if p.method is PaymentMethodKind.WALLET)

    @property
    def to_card(self) -> int:
        return sum(p.amount for p in self.parts if p.method is PaymentMethodKind.CARD)

    @property
    def failed(self) -> int:
        return sum(p.amount for p in self.parts if p.status is RefundStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Changed:
    """What "end now", "extend", "move" and "cancel" did, for the answer on the screen."""

    reservation_id: int
    status: ReservationStatus
    ends_at: datetime
    spot_label: str
    timezone: str
    refunded_to_wallet: int = 0
    refund_to_card: int = 0
    currency: str = ""


@dataclass(frozen=True, slots=True)
class FreeSpot:
    spot_id: int
    label: str


def _reason(text: str) -> str:
    return " ".join(text.split())[:MAX_REASON]


class BookingAdminUseCases(AdminUseCases):
    """The Bookings section. `provider` refunds cards (None without Stripe: a card refund is
    refused as PaymentUnavailable); `refund_cards` carries out the full card refunds a
    cancellation owes (PaymentUseCases.process_refunds)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        provider: PaymentProvider | None = None,
        refund_cards: RefundCards | None = None,
    ) -> None:
        super().__init__(db, clock, settings)
        self.provider = provider
        self.refund_cards = refund_cards

    # ------------------------------------------------------------------ where a booking is
    async def _premise_of(self, actor_id: int, reservation_id: int, action: str) -> int:
        """The premise of the booking, when the actor has a role there. A booking of a premise
        where they have none is NotFound to them, as one that does not exist (numbers cannot
        be probed); the refusal is audited."""
        async with self.db.read() as s:
            premise_id = await s.scalar(
                select(Spot.premise_id)
                .join(Reservation, Reservation.spot_id == Spot.id)
                .where(Reservation.id == reservation_id)
            )
            role = await role_at(s, actor_id, premise_id) if premise_id is not None else None
        if premise_id is None or role is None:
            error = NotFound(f"reservation {reservation_id}")
            await self._refused(
                actor_id, Audit(action, premise_id, before={"reservation_id": reservation_id}), error
            )
            raise error
        return premise_id

    async def _lock(self, s: AsyncSession, reservation_id: int, premise_id: int) -> tuple[Reservation, Spot]:
        """The booking row-locked, its driver's ledger first (every money path locks user, then
        reservation: the other order deadlocks against a payment)."""
        user_id = await s.scalar(select(Reservation.user_id).where(Reservation.id == reservation_id))
        if user_id is None:
            raise NotFound(f"reservation {reservation_id}")
        await wallet.lock_ledger(s, user_id)
        reservation = await booking.lock_owned(s, reservation_id)
        spot = await s.get(Spot, reservation.spot_id)
        if spot is None or spot.premise_id != premise_id:  # moved to another premise meanwhile
            raise NotFound(f"reservation {reservation_id} at premise {premise_id}")
        return reservation, spot

    async def _cards(self, s: AsyncSession, reservations: list[Reservation]) -> list[BookingCard]:
        if not reservations:
            return []
        ids = [r.id for r in reservations]
        money = await s.execute(
            select(
                Payment.reservation_id,
                func.coalesce(func.sum(Payment.amount), 0),
                func.coalesce(func.sum(Payment.refunded_amount), 0),
            )
            .where(
                Payment.reservation_id.in_(ids),
                Payment.status.in_(
                    (
                        PaymentStatus.SUCCEEDED,
                        PaymentStatus.REFUND_PENDING,
                        PaymentStatus.REFUNDED,
                        PaymentStatus.REFUND_FAILED,
                    )
                ),
            )
            .group_by(Payment.reservation_id)
        )
        paid = {rid: (int(total), int(back)) for rid, total, back in money.tuples()}
        # Card refunds owed in full (refund_pending, or refund_failed: an admin was alerted) count
        # as refunded: the refund path owes them already, nothing is left to give here.
        owed = await s.execute(
            select(Payment.reservation_id, func.sum(Payment.amount - Payment.refunded_amount))
            .where(
                Payment.reservation_id.in_(ids),
                Payment.status.in_((PaymentStatus.REFUND_PENDING, PaymentStatus.REFUND_FAILED)),
            )
            .group_by(Payment.reservation_id)
        )
        pending = {rid: int(amount or 0) for rid, amount in owed.tuples()}
        rows = await s.execute(
            select(Reservation.id, Spot, Premise, User)
            .join(Spot, Spot.id == Reservation.spot_id)
            .join(Premise, Premise.id == Spot.premise_id)
            .join(User, User.id == Reservation.user_id)
            .where(Reservation.id.in_(ids))
        )
        places = {rid: (spot, premise, user) for rid, spot, premise, user in rows.tuples()}
        now = self.clock.now()
        cards = []
        for r in reservations:
            spot, premise, user = places[r.id]
            total, back = paid.get(r.id, (0, 0))
            cards.append(
                BookingCard(
                    reservation_id=r.id,
                    premise_id=premise.id,
                    premise_name=premise.name,
                    timezone=premise.timezone,
                    spot_id=spot.id,
                    spot_label=spot.label,
                    driver_name=user.name,
                    driver_phone=user.phone,
                    starts_at=r.starts_at,
                    ends_at=r.ends_at,
                    status=r.status,
                    price=r.price,
                    currency=r.currency,
                    paid=total,
                    refunded=back + pending.get(r.id, 0),
                    arrived=r.arrived_at is not None,
                    hold_alive=r.status is ReservationStatus.PENDING_PAYMENT
                    and r.hold_expires_at is not None
                    and r.hold_expires_at > now,
                )
            )
        return cards

    async def _card(self, s: AsyncSession, reservation_id: int) -> BookingCard:
        reservation = await s.get(Reservation, reservation_id, populate_existing=True)
        if reservation is None:
            raise NotFound(f"reservation {reservation_id}")
        return (await self._cards(s, [reservation]))[0]

    # ------------------------------------------------------------------ finding
    async def booking(self, actor_id: int, reservation_id: int) -> BookingCard:
        """One booking by its number; NotFound outside the caller's premises."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.view")
        async with self._view(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.view") as (s, _):
            return await self._card(s, reservation_id)

    async def find(self, actor_id: int, text: str) -> list[BookingCard]:
        """A typed search: `123` or `#123` is a booking number; anything else is read as the
        driver's phone (international, `+380…`: E.164 with `phonenumbers`), giving their most
        recent bookings at the caller's premises. Raises InvalidPhone for text that is neither;
        an unknown number or phone finds nothing."""
        query = text.strip().removeprefix("#").strip()
        if query.isdigit() and len(query) <= 9:
            try:
                return [await self.booking(actor_id, int(query))]
            except NotFound:
                return []
        phone = normalise_phone(query)
        async with self.db.read() as s:
            visible = await self._premises_allowing(s, actor_id, Permission.MANAGE_BOOKINGS)
            if visible is not None and not visible:
                raise NotPermitted(f"user {actor_id}: no premise to find bookings at")
            conditions = [User.phone == phone]
            if visible is not None:
                conditions.append(Spot.premise_id.in_(visible))
            found = await s.scalars(
                select(Reservation)
                .join(User, User.id == Reservation.user_id)
                .join(Spot, Spot.id == Reservation.spot_id)
                .where(*conditions)
                .order_by(Reservation.starts_at.desc(), Reservation.id.desc())
                .limit(FOUND_BY_PHONE)
            )
            return await self._cards(s, list(found))

    async def premise_bookings(
        self, actor_id: int, premise_id: int, offset: int = 0, limit: int = LIST_PAGE
    ) -> BookingList:
        """Today's and the coming days' bookings of the premise (from midnight in its time
        zone, UPCOMING_DAYS ahead), earliest first; lapsed unpaid holds left out."""
        offset = max(offset, 0)
        async with self._view(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.list") as (s, _):
            premise = await s.get(Premise, premise_id)
            assert premise is not None  # _view checked it
            now = self.clock.now()
            tz = ZoneInfo(premise.timezone)
            midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
            conditions = [
                Spot.premise_id == premise_id,
                Reservation.ends_at > midnight,
                Reservation.starts_at < now + timedelta(days=UPCOMING_DAYS),
                Reservation.status != ReservationStatus.EXPIRED,
                or_(
                    Reservation.status != ReservationStatus.PENDING_PAYMENT,
                    Reservation.hold_expires_at > now,
                ),
            ]
            base = select(Reservation).join(Spot, Spot.id == Reservation.spot_id).where(*conditions)
            total = int(await s.scalar(select(func.count()).select_from(base.subquery())) or 0)
            rows = await s.scalars(
                base.order_by(Reservation.starts_at, Reservation.id).offset(offset).limit(limit)
            )
            cards = await self._cards(s, list(rows))
            return BookingList(premise_id, premise.name, premise.timezone, cards, total, offset, limit)

    # ------------------------------------------------------------------ history
    async def history(
        self, actor_id: int, reservation_id: int, offset: int = 0, limit: int = HISTORY_PAGE
    ) -> History:
        """Everything recorded about the booking, oldest first: the hold, payments, extensions,
        refunds, the blocker (lowering, failures and late answers, overstays: what the
        service records of the commands and acks), notifications sent to the driver, and
        console actions from the audit log."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.history")
        async with self._view(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.history") as (
            s,
            _,
        ):
            card = await self._card(s, reservation_id)
            events = await self._events(s, reservation_id, premise_id)
        offset = max(0, min(offset, max(len(events) - 1, 0)))
        return History(card, events[offset : offset + limit], len(events), offset, limit)

    async def _events(self, s: AsyncSession, reservation_id: int, premise_id: int) -> list[Event]:
        r = await s.get_one(Reservation, reservation_id)
        events = [Event(r.created_at, "created", {"price": r.price, "currency": r.currency})]
        payments = list(
            await s.scalars(select(Payment).where(Payment.reservation_id == r.id).order_by(Payment.id))
        )
        for p in payments:
            values = {"id": p.id, "method": _paid_by(p), "amount": p.amount, "currency": p.currency}
            events.append(
                Event(
                    p.succeeded_at or p.created_at,
                    "payment",
                    {**values, "status": p.status.value, "refunded": p.refunded_amount},
                )
            )
            if p.refunded_at is not None and p.status in (PaymentStatus.REFUNDED, PaymentStatus.NEEDS_REVIEW):
                events.append(
                    Event(p.refunded_at, "payment_refunded", {**values, "amount": p.refunded_amount})
                )
        extensions = await s.scalars(
            select(ReservationExtension)
            .where(ReservationExtension.reservation_id == r.id)
            .order_by(ReservationExtension.id)
        )
        for e in extensions:
            kind = "extension" if e.status is not ExtensionStatus.FAILED else "extension_failed"
            events.append(
                Event(
                    e.created_at,
                    kind,
                    {
                        "until": e.new_ends_at,
                        "price": e.price,
                        "currency": e.currency,
                        "status": e.status.value,
                    },
                )
            )
        refunds = await s.scalars(select(Refund).where(Refund.reservation_id == r.id).order_by(Refund.id))
        for f in refunds:
            values = {
                "id": f.id,
                "method": f.method.value,
                "amount": f.amount,
                "currency": f.currency,
                "status": f.status.value,
            }
            events.append(Event(f.created_at, "refund", values))
            if f.settled_at is not None and f.method is PaymentMethodKind.CARD:
                events.append(Event(f.settled_at, f"refund_{f.status.value}", values))
        if r.arrived_at is not None:
            # The blocker went down for the driver, or they tapped "I've arrived" at a spot
            # without one (core/usecases/arrival.py): which, by whether the spot has a blocker.
            blocker = await s.scalar(select(Blocker.id).where(Blocker.spot_id == r.spot_id))
            events.append(Event(r.arrived_at, "lowered" if blocker is not None else "arrived"))
        if r.closed_at is not None:
            events.append(Event(r.closed_at, "closed", {"status": r.status.value, "no_show": r.no_show}))
        # The blocker's failures for this booking reach the admins (one row per admin: one
        # event per alert).
        as_id = Notification.payload["reservation_id"].as_integer()
        alerts = await s.execute(
            select(Notification.kind, Notification.dedupe_key, Notification.created_at, Notification.payload)
            .where(Notification.kind.in_([k.value for k in _ADMIN_BOOKING_ALERTS]), as_id == r.id)
            .order_by(Notification.id)
        )
        seen: set[tuple[str, str]] = set()
        for kind, key, at, payload in alerts.tuples():
            mark = (kind, (key or "").rsplit(":", 1)[0])
            if mark in seen:
                continue
            seen.add(mark)
            events.append(
                Event(
                    at,
                    kind,
                    {"blocker": str(payload.get("blocker_id", "")), "status": str(payload.get("status", ""))},
                )
            )
        notes = await s.scalars(
            select(Notification)
            .where(Notification.user_id == r.user_id, as_id == r.id)
            .order_by(Notification.id)
        )
        for n in notes:
            events.append(
                Event(
                    n.created_at,
                    "notification",
                    {
                        "kind": n.kind,
                        "channel": n.channel.value,
                        "status": n.status.value,
                        "sent_at": n.sent_at,
                    },
                )
            )
        audited = await s.execute(
            select(AuditEntry, User.name)
            .outerjoin(User, User.id == AuditEntry.actor_user_id)
            .where(
                AuditEntry.premise_id == premise_id,
                or_(
                    AuditEntry.after["reservation_id"].as_integer() == r.id,
                    AuditEntry.before["reservation_id"].as_integer() == r.id,
                ),
                # Looking is not acting: views and refused views stay in the audit log only.
                AuditEntry.action.not_in(("reservation.view", "reservation.history", "reservation.list")),
            )
            .order_by(AuditEntry.id)
        )
        for entry, name in audited.tuples():
            events.append(
                Event(
                    entry.at,
                    "audit",
                    {
                        "action": entry.action,
                        "who": name or (f"#{entry.actor_user_id}" if entry.actor_user_id else ""),
                        "ok": entry.outcome is AuditOutcome.OK,
                        "detail": entry.detail,
                    },
                )
            )
        order = {"created": 0, "payment": 1}
        events.sort(key=lambda e: (e.at, order.get(e.kind, 3)))
        return events

    # ------------------------------------------------------------------ refunds
    async def refund_quote(self, actor_id: int, reservation_id: int) -> BookingCard:
        """The booking as the refund screen shows it (what is left refundable), for those who
        may refund there: an attendant's (forged) tap on "Refund" is refused here, audited."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.refund")
        async with self._view(actor_id, premise_id, Permission.REFUND, "reservation.refund") as (s, _):
            return await self._card(s, reservation_id)

    async def refund(
        self,
        actor_id: int,
        reservation_id: int,
        amount: int,
        reason: str,
        *,
        request_key: str | None = None,
    ) -> Refunded:
        """Gives back `amount` (minor units, the booking's currency) of what the booking's
        payments took, to where it came from: wallet payments to the wallet at once, card
        payments through the provider right after the commit. More than is left refundable is
        refused with RefundTooLarge (naming what is left). `request_key` (the confirmation
        screen's) makes a repeated tap return the first refund instead of a second. Needs
        REFUND."""
        reason = _reason(reason)
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.refund")
        now = self.clock.now()
        async with self._action(actor_id, premise_id, Permission.REFUND, "reservation.refund") as (s, audit):
            audit.detail = reason
            reservation, _spot = await self._lock(s, reservation_id, premise_id)
            if request_key is not None:
                earlier = list(
                    await s.scalars(select(Refund).where(Refund.request_key.like(f"{request_key}:%")))
                )
                if earlier:
                    audit.after = {"reservation_id": reservation.id, "repeat_of": [f.id for f in earlier]}
                    return await self._refunded(s, reservation, earlier, repeated=True)
            if amount <= 0:
                raise InvalidRefund(f"amount {amount}")
            payments = list(
                await s.scalars(
                    select(Payment)
                    .where(
                        Payment.reservation_id == reservation.id, Payment.status == PaymentStatus.SUCCEEDED
                    )
                    .order_by(Payment.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
            )
            refundable = sum(p.amount - p.refunded_amount for p in payments)
            audit.before = {"reservation_id": reservation.id, "refundable": refundable}
            if amount > refundable:
                raise RefundTooLarge(refundable, reservation.currency)
            rows: list[Refund] = []
            left = amount
            for n, payment in enumerate(payments):
                part = min(left, payment.amount - payment.refunded_amount)
                if part <= 0:
                    continue
                left -= part
                rows.append(await self._reserve(s, payment, part, reason, actor_id, request_key, n, now))
                if left == 0:
                    break
            audit.after = {
                "reservation_id": reservation.id,
                "amount": amount,
                "currency": reservation.currency,
                "parts": [
                    {"refund_id": f.id, "payment_id": f.payment_id, "method": f.method.value} for f in rows
                ],
            }
        card_rows = [f.id for f in rows if f.method is PaymentMethodKind.CARD]
        for refund_id in card_rows:
            await self._carry_out(refund_id)
        async with self.db.read() as s:
            reservation = await s.get_one(Reservation, reservation_id)
            settled = list(await s.scalars(select(Refund).where(Refund.id.in_([f.id for f in rows]))))
            return await self._refunded(s, reservation, settled)

    async def _reserve(
        self,
        s: AsyncSession,
        payment: Payment,
        amount: int,
        reason: str,
        actor_id: int,
        request_key: str | None,
        n: int,
        now: datetime,
    ) -> Refund:
        """One part of a refund, against one payment (locked): the payment's refunded amount
        goes up now, so what is left refundable already excludes it."""
        row = Refund(
            payment_id=payment.id,
            reservation_id=payment.reservation_id,
            user_id=payment.user_id,
            method=payment.method,
            amount=amount,
            currency=payment.currency,
            status=RefundStatus.PENDING,
            reason=reason,
            actor_user_id=actor_id,
            request_key=f"{request_key}:{n}" if request_key else None,
            created_at=now,
        )
        s.add(row)
        payment.refunded_amount += amount
        payment.updated_at = now
        await s.flush()
        if payment.method is PaymentMethodKind.WALLET:
            await wallet.credit(
                s,
                payment.user_id,
                amount,
                payment.currency,
                kind=WalletTxKind.REFUND,
                reference=f"refund:{row.id}",
                now=now,
            )
            row.status, row.settled_at = RefundStatus.SUCCEEDED, now
            self._mark_if_refunded(payment, now)
            await self._tell_driver(s, row, now)
        elif self.provider is None:
            raise PaymentUnavailable("card refunds need the payment provider")
        await s.flush()
        return row

    @staticmethod
    def _mark_if_refunded(payment: Payment, now: datetime) -> None:
        if payment.refunded_amount >= payment.amount:
            payment.status = PaymentStatus.REFUNDED
            payment.refunded_at = now

    @staticmethod
    async def _tell_driver(s: AsyncSession, row: Refund, now: datetime) -> None:
        await outbox.notify(
            s,
            row.user_id,
            NotificationKind.PAYMENT_REFUNDED,
            {
                "payment_id": row.payment_id,
                "amount": row.amount,
                "currency": row.currency,
                "reason": "operator",
                "reservation_id": row.reservation_id,
            },
            now=now,
            dedupe_key=f"refund_row:{row.id}",
        )

    async def _carry_out(self, refund_id: int) -> None:
        """A reserved card refund: the provider is asked outside any transaction, with the
        row's id as the idempotency key; the answer is settled in a transaction of its own."""
        assert self.provider is not None  # _reserve refused card refunds without one
        async with self.db.read() as s:
            row = await s.get_one(Refund, refund_id)
            payment = await s.get_one(Payment, row.payment_id)
            intent, amount, status = payment.stripe_payment_intent_id, row.amount, row.status
        if status is not RefundStatus.PENDING:
            return
        provider_id: str | None = None
        error: str | None = None
        if intent is None:
            error = "no payment intent recorded for this payment"
        else:
            try:
                provider_id = await self.provider.refund(
                    idempotency_key=f"refund-row-{refund_id}", payment_intent_id=intent, amount=amount
                )
            except PaymentProviderError as exc:
                error = str(exc)
        await self._settle(refund_id, provider_id, error)

    async def _settle(self, refund_id: int, provider_id: str | None, error: str | None) -> None:
        now = self.clock.now()
        async with self.db.transaction() as s:
            # The driver's ledger first, as every money path: a refund being reserved holds it
            # and waits for the payment this one locks (the other order deadlocks).
            user_id = await s.scalar(select(Refund.user_id).where(Refund.id == refund_id))
            if user_id is None:
                return
            await wallet.lock_ledger(s, user_id)
            row = await s.scalar(
                select(Refund)
                .where(Refund.id == refund_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if row is None or row.status is not RefundStatus.PENDING:
                return  # settled by a retry meanwhile
            payment = await s.scalar(
                select(Payment)
                .where(Payment.id == row.payment_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            assert payment is not None  # a foreign key
            row.settled_at = now
            if error is None:
                row.status, row.stripe_refund_id = RefundStatus.SUCCEEDED, provider_id
                payment.stripe_refund_id = provider_id
                if payment.status is PaymentStatus.SUCCEEDED:
                    self._mark_if_refunded(payment, now)
                await self._tell_driver(s, row, now)
                log.info("refund %s of payment %s: %s", row.id, payment.id, row.amount)
                return
            # The money did not go back: it is refundable again, and admins are told.
            row.status, row.error = RefundStatus.FAILED, error[:255]
            payment.refunded_amount = max(0, payment.refunded_amount - row.amount)
            payment.updated_at = now
            await outbox.notify_admins(
                s,
                NotificationKind.ADMIN_REFUND_FAILED,
                {"payment_id": payment.id, "amount": row.amount, "currency": row.currency, "error": error},
                now=now,
                dedupe_key=f"refund_row_failed:{row.id}",
            )
            log.warning("refund %s of payment %s failed: %r", row.id, payment.id, error[:80])

    async def retry_pending_refunds(self) -> int:
        """Card refunds reserved but never settled (a crash between the reservation and the
        provider's answer): asked again with the same idempotency key. Returns how many."""
        cutoff = self.clock.now() - RETRY_AFTER
        async with self.db.read() as s:
            due = list(
                await s.scalars(
                    select(Refund.id).where(
                        Refund.status == RefundStatus.PENDING,
                        Refund.method == PaymentMethodKind.CARD,
                        Refund.created_at <= cutoff,
                    )
                )
            )
        if self.provider is None:
            return 0
        for refund_id in due:
            await self._carry_out(refund_id)
        return len(due)

    async def _refunded(
        self, s: AsyncSession, reservation: Reservation, rows: list[Refund], *, repeated: bool = False
    ) -> Refunded:
        card = await self._card(s, reservation.id)
        parts = [RefundPart(f.id, f.payment_id, f.method, f.amount, f.status) for f in rows]
        return Refunded(
            reservation.id,
            sum(f.amount for f in rows),
            reservation.currency,
            parts,
            card.refundable,
            repeated,
        )

    # ------------------------------------------------------------------ the stay
    async def end_now(self, actor_id: int, reservation_id: int, reason: str) -> Changed:
        """Ends a booking that has started, now; its unused whole 15-minute steps go back to the
        driver's wallet where the car park refunds them, as when the driver ends it
        (booking.end_now); the driver is told the staff ended it. Needs MANAGE_BOOKINGS."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.end")
        now = self.clock.now()
        async with self._action(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.end") as (
            s,
            audit,
        ):
            audit.detail = _reason(reason)
            reservation, spot = await self._lock(s, reservation_id, premise_id)
            audit.before = {
                "reservation_id": reservation.id,
                "status": reservation.status.value,
                "ends_at": reservation.ends_at.isoformat(),
            }
            ended = await booking.end_now(s, reservation.id, user_id=None, now=now, by_staff=True)
            audit.after = {
                "reservation_id": reservation.id,
                "status": reservation.status.value,
                "ends_at": reservation.ends_at.isoformat(),
                "refunded_to_wallet": ended.refund.amount,
            }
            changed = await self._changed(s, reservation, spot)
            return replace(changed, refunded_to_wallet=ended.refund.amount)

    async def extend_free(self, actor_id: int, reservation_id: int, minutes: int, reason: str) -> Changed:
        """Goodwill: the booking's end moves by `minutes` at no charge, under the extension
        rules (15-minute steps, 24 hours at most, the premise open, the spot free for the added
        time). Raises SpotTaken, ClosedAtThatTime, InvalidInterval, InvalidTransition. Needs
        MANAGE_BOOKINGS."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.extend_free")
        now = self.clock.now()
        action = self._action(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.extend_free")
        async with action as (s, audit):
            audit.detail = _reason(reason)
            reservation, spot = await self._lock(s, reservation_id, premise_id)
            audit.before = {"reservation_id": reservation.id, "ends_at": reservation.ends_at.isoformat()}
            extension = await booking.request_extension(
                s, reservation.id, user_id=reservation.user_id, minutes=minutes, now=now
            )
            extension.price = 0  # the goodwill: the row still records the time given
            outcome = await booking.apply_extension(s, extension.id, now, goodwill=True)
            if outcome is not booking.ExtensionOutcome.APPLIED:
                raise SpotTaken("the added time was taken meanwhile")
            audit.after = {
                "reservation_id": reservation.id,
                "ends_at": reservation.ends_at.isoformat(),
                "extension_id": extension.id,
                "minutes": minutes,
            }
            return await self._changed(s, reservation, spot)

    async def free_spots(self, actor_id: int, reservation_id: int) -> list[FreeSpot]:
        """The spots of the booking's premise free (and on sale) for its whole interval."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.view")
        async with self._view(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.view") as (s, _):
            r = await s.get_one(Reservation, reservation_id)
            interval = Interval(r.starts_at, r.ends_at)
            ids = [
                i for i in await free_spot_ids(s, premise_id, interval, self.clock.now()) if i != r.spot_id
            ]
            if not ids:
                return []
            rows = await s.execute(select(Spot.id, Spot.label).where(Spot.id.in_(ids)))
            labels = {spot_id: label for spot_id, label in rows.tuples()}
            return [FreeSpot(i, labels[i]) for i in ids]

    async def move(self, actor_id: int, reservation_id: int, spot_id: int, reason: str) -> Changed:
        """Moves a booking whose driver has not parked yet (an unpaid hold still running, or a
        paid booking not entered: also after its start, when the bay is blocked) to `spot_id`,
        a free spot of the same premise, with the move closing a spot uses. The driver gets
        booking_moved, and lowering from then on works the new spot's blocker. Raises
        NoSpotToMoveTo (taken meanwhile), InvalidTransition. Needs MANAGE_BOOKINGS."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.move")
        now = self.clock.now()
        async with self._action(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.move") as (
            s,
            audit,
        ):
            audit.detail = _reason(reason)
            reservation, spot = await self._lock(s, reservation_id, premise_id)
            movable = reservation.status in _MOVABLE and now < reservation.ends_at
            if reservation.status is ReservationStatus.PENDING_PAYMENT:
                movable = (
                    movable and reservation.hold_expires_at is not None and reservation.hold_expires_at > now
                )
            if not movable:
                raise InvalidTransition(reservation.id, reservation.status.value, "move")
            audit.before = {"reservation_id": reservation.id, "spot_id": spot.id, "label": spot.label}
            moved_to = await move_to_free_spot(s, reservation, premise_id, now, to_spot_id=spot_id)
            if moved_to is None:
                raise NoSpotToMoveTo(f"spot {spot_id} is not free for reservation {reservation.id}")
            audit.after = {"reservation_id": reservation.id, "spot_id": moved_to.id, "label": moved_to.label}
            await outbox.notify(
                s,
                reservation.user_id,
                NotificationKind.BOOKING_MOVED,
                {"reservation_id": reservation.id, "from_spot": spot.label, "reason": "", "by_staff": True},
                now=now,
            )
            return await self._changed(s, reservation, moved_to)

    async def cancel(self, actor_id: int, reservation_id: int, reason: str) -> Changed:
        """Cancels a booking before its start (an unpaid hold at any time), refunding it in
        full to where the money came from; the driver is told. An unpaid hold needs
        MANAGE_BOOKINGS; a paid booking gives money back, so it needs REFUND too (checked
        under the lock: a hold paid meanwhile is a paid booking). Raises TooLateToCancel,
        InvalidTransition."""
        premise_id = await self._premise_of(actor_id, reservation_id, "reservation.cancel")
        now = self.clock.now()
        async with self._action(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "reservation.cancel") as (
            s,
            audit,
        ):
            audit.detail = _reason(reason)
            reservation, spot = await self._lock(s, reservation_id, premise_id)
            audit.before = {"reservation_id": reservation.id, "status": reservation.status.value}
            if reservation.status is not ReservationStatus.PENDING_PAYMENT and not allowed(
                await role_at(s, actor_id, premise_id), Permission.REFUND
            ):
                raise NotPermitted(f"user {actor_id}: cancelling a paid booking refunds it")
            result = await booking.cancel(s, reservation.id, user_id=None, now=now, reason="operator")
            to_card = sum(p.amount - p.refunded_amount for p in result.card_refunds)
            audit.after = {
                "reservation_id": reservation.id,
                "status": reservation.status.value,
                "refund_wallet": result.refunded_to_wallet,
                "refund_card": to_card,
            }
            changed = await self._changed(s, reservation, spot)
        if result.card_refunds and self.refund_cards is not None:
            await self.refund_cards()
        return Changed(
            changed.reservation_id,
            changed.status,
            changed.ends_at,
            changed.spot_label,
            changed.timezone,
            result.refunded_to_wallet,
            to_card,
            reservation.currency,
        )

    @staticmethod
    async def _changed(s: AsyncSession, reservation: Reservation, spot: Spot) -> Changed:
        premise = await s.get_one(Premise, spot.premise_id)
        return Changed(
            reservation.id,
            reservation.status,
            reservation.ends_at,
            spot.label,
            premise.timezone,
            currency=reservation.currency,
        )

    @staticmethod
    def can(card: BookingCard, now: datetime) -> dict[str, bool]:
        """Which actions the rules allow now (the screen shows only these; the use cases check
        again)."""
        started = now >= card.starts_at
        live = card.status in (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE) and now < card.ends_at
        return {
            "refund": card.refundable > 0,
            "end": live and started,
            "extend": live,
            "move": (card.status is ReservationStatus.CONFIRMED or card.hold_alive)
            and now < card.ends_at
            and not card.arrived,
            "cancel": (card.hold_alive or card.status is ReservationStatus.CONFIRMED)
            and can_cancel(card.status, card.starts_at, now),
        }


__all__ = [
    "FREE_EXTENSIONS",
    "BookingAdminUseCases",
    "BookingCard",
    "BookingList",
    "Changed",
    "Event",
    "FreeSpot",
    "History",
    "RefundPart",
    "Refunded",
]
