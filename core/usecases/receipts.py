"""Receipts (issue 15): every payment of a booking, an extension or a wallet top-up, and every
refund of one, gets a receipt with a number from its operator's gap-free sequence
(core/services/receipts.py), issued the first time the driver asks for it and the same receipt
(number and text) every time after.

What a receipt says is stored with it (`receipts.data`), in language-neutral values: the front
end renders it in the driver's language (bot/receipts.py). VAT: prices include it; the rate is
the premise's (`premises.vat_rate_bp`, basis points), the amount is computed on the receipt's
total (not per line), `vat_included`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import NotFound, NotOwner
from core.models import (
    ExtensionStatus,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    Premise,
    Receipt,
    ReceiptKind,
    Refund,
    RefundStatus,
    Reservation,
    ReservationExtension,
    User,
    WalletTransaction,
    WalletTxKind,
)
from core.pricing import PriceLine, price_stay, whole_minutes
from core.services import receipts as numbering
from core.services.booking import get_owned
from core.services.places import place_of
from core.services.pricing import plan_by_id

# Money moved on these (a refund owed or failed still was a payment first).
_PAID = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUND_PENDING,
    PaymentStatus.REFUNDED,
    PaymentStatus.REFUND_FAILED,
)
BASIS = 10_000  # vat_rate_bp: 2000 = 20 %


def vat_included(gross: int, rate_bp: int) -> int:
    """The VAT inside a VAT-inclusive amount, in minor units: gross × rate / (1 + rate),
    rounded half up (to the nearest minor unit, a half away from zero) on the total."""
    if rate_bp <= 0 or gross <= 0:
        return 0
    denominator = BASIS + rate_bp
    return (2 * gross * rate_bp + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class ReceiptDoc:
    """One receipt as issued; `data` holds what it prints (see `_snapshot`)."""

    receipt_id: int
    number: int
    operator_key: str
    kind: ReceiptKind
    issued_at: datetime
    amount: int
    currency: str
    vat_rate_bp: int
    vat_amount: int
    data: dict[str, Any]


def _doc(receipt: Receipt) -> ReceiptDoc:
    return ReceiptDoc(
        receipt.id,
        receipt.number,
        receipt.operator_key,
        receipt.kind,
        receipt.issued_at,
        receipt.amount,
        receipt.currency,
        receipt.vat_rate_bp,
        receipt.vat_amount,
        dict(receipt.data),
    )


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


class ReceiptUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    async def for_booking(self, *, user_id: int, reservation_id: int) -> list[ReceiptDoc]:
        """The receipts of a booking of the caller's, oldest first: one per payment (the booking
        and each extension paid), then one per part of it refunded; those not issued yet are
        issued now.
        Empty when nothing was paid. Raises NotFound (also for somebody else's booking)."""
        async with self.db.transaction() as s:
            reservation = await get_owned(s, reservation_id, user_id)
            payments = list(
                await s.scalars(
                    select(Payment)
                    .where(Payment.reservation_id == reservation.id, Payment.status.in_(_PAID))
                    .order_by(Payment.id)
                    .with_for_update()
                )
            )
            docs: list[ReceiptDoc] = []
            for payment in payments:
                docs.extend(await self._receipts_of(s, payment))
            return docs

    async def for_payment(self, *, user_id: int, payment_id: int) -> list[ReceiptDoc]:
        """The receipts of one payment of the caller's (a wallet top-up from the wallet's
        history): the payment's and one per part refunded. Raises NotFound."""
        async with self.db.transaction() as s:
            payment = await s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
            if payment is None or payment.status not in _PAID:
                raise NotFound(f"payment {payment_id}")
            if payment.user_id != user_id:
                raise NotOwner(f"payment {payment_id}")
            return await self._receipts_of(s, payment)

    async def topups(self, *, user_id: int, limit: int = 10) -> list[Payment]:
        """The caller's latest paid wallet top-ups, newest first (the wallet's receipts list)."""
        async with self.db.read() as s:
            rows = await s.scalars(
                select(Payment)
                .where(
                    Payment.user_id == user_id,
                    Payment.purpose == PaymentPurpose.TOPUP,
                    Payment.status.in_(_PAID),
                )
                .order_by(Payment.id.desc())
                .limit(limit)
            )
            return list(rows)

    async def _receipts_of(self, s: AsyncSession, payment: Payment) -> list[ReceiptDoc]:
        """A payment's receipt and its refund receipts: those issued, and one now for what was
        given back since the last (the caller holds the payment's row lock)."""
        docs = [await self._issue(s, payment, ReceiptKind.PAYMENT)]
        issued = list(
            await s.scalars(
                select(Receipt)
                .where(Receipt.payment_id == payment.id, Receipt.kind == ReceiptKind.REFUND)
                .order_by(Receipt.refunded_through)
            )
        )
        docs.extend(_doc(r) for r in issued)
        given = await _given_back(s, payment)
        through = issued[-1].refunded_through if issued else 0
        if given.total > through:
            to_wallet = min(
                max(0, given.to_wallet - sum(_to_wallet(r) for r in issued)), given.total - through
            )
            part = _Part(through, given.total, to_wallet, given.at)
            docs.append(await self._issue(s, payment, ReceiptKind.REFUND, refund=part))
        return docs

    async def _issue(
        self, s: AsyncSession, payment: Payment, kind: ReceiptKind, *, refund: _Part | None = None
    ) -> ReceiptDoc:
        """The payment's receipt, or the receipt of one part refunded, issued now if it has
        none (the caller holds the payment's row lock, so two taps at once issue it once)."""
        through = refund.through if refund is not None else 0
        existing = await s.scalar(
            select(Receipt).where(
                Receipt.payment_id == payment.id, Receipt.kind == kind, Receipt.refunded_through == through
            )
        )
        if existing is not None:
            return _doc(existing)
        now = self.clock.now()
        amount = refund.amount if refund is not None else payment.amount
        data, key, rate = await self._snapshot(s, payment, kind, amount)
        if refund is not None:
            # The receipt it reverses (issued first: `_receipts_of` issues the payment's before).
            data["original_number"] = await s.scalar(
                select(Receipt.number).where(
                    Receipt.payment_id == payment.id, Receipt.kind == ReceiptKind.PAYMENT
                )
            )
            data["refunded_at"] = _iso(refund.at or now)
            data["to_wallet"] = refund.to_wallet
            if amount < payment.amount:
                # A part given back (unused time, an operator's partial refund): one line; a
                # whole payment given back at once reverses each of its lines.
                data["lines"] = [{"kind": "refund", "minutes": 0, "per_hour": 0, "amount": amount}]
        number = await numbering.next_number(s, key)
        data["number"] = number
        receipt = Receipt(
            operator_key=key,
            number=number,
            payment_id=payment.id,
            kind=kind,
            refunded_through=through,
            user_id=payment.user_id,
            reservation_id=payment.reservation_id,
            issued_at=now,
            amount=amount,
            currency=payment.currency,
            vat_rate_bp=rate,
            vat_amount=vat_included(amount, rate),
            data=data,
        )
        s.add(receipt)
        await s.flush()
        return _doc(receipt)

    async def _snapshot(
        self, s: AsyncSession, payment: Payment, kind: ReceiptKind, amount: int
    ) -> tuple[dict[str, Any], str, int]:
        """What the receipt prints, its operator's sequence and its VAT rate."""
        user = await s.get(User, payment.user_id)
        data: dict[str, Any] = {
            "kind": kind.value,
            "purpose": payment.purpose.value,
            "payment_id": payment.id,
            "paid_at": _iso(payment.succeeded_at or payment.created_at),
            "refunded_at": None,
            "driver": user.name if user is not None else "",
            "method": payment.method.value,
            "card_brand": payment.card_brand,
            "card_last4": payment.card_last4,
            "amount": amount,
            "currency": payment.currency,
        }
        if payment.purpose == PaymentPurpose.TOPUP or payment.reservation_id is None:
            # The wallet is the service operator's; a top-up is a prepayment, VAT is charged
            # when the wallet pays for parking (on that receipt), so none here.
            settings = self.settings
            data["operator"] = {
                "name": settings.operator_name,
                "address": settings.operator_address,
                "vat_number": settings.operator_vat_number,
            }
            data["lines"] = [{"kind": "topup", "minutes": 0, "per_hour": 0, "amount": payment.amount}]
            data["vat_rate_bp"] = 0
            data["vat_amount"] = 0
            return data, numbering.operator_key(vat_number=settings.operator_vat_number, premise_id=None), 0
        reservation = await s.get(Reservation, payment.reservation_id)
        assert reservation is not None
        spot, premise = await place_of(s, reservation)
        starts_at, ends_at, lines = await self._what_was_bought(s, payment, reservation, premise)
        rate = max(0, premise.vat_rate_bp)
        data.update(
            operator={
                "name": premise.operator_name,
                "address": premise.operator_address,
                "vat_number": premise.vat_number,
            },
            reservation_id=reservation.id,
            premise=premise.name,
            premise_address=premise.address,
            spot=spot.label,
            plate=reservation.plate,
            timezone=premise.timezone,
            starts_at=_iso(starts_at),
            ends_at=_iso(ends_at),
            lines=lines,
            vat_rate_bp=rate,
            vat_amount=vat_included(amount, rate),
        )
        return data, numbering.operator_key(vat_number=premise.vat_number, premise_id=premise.id), rate

    async def _what_was_bought(
        self, s: AsyncSession, payment: Payment, reservation: Reservation, premise: Premise
    ) -> tuple[datetime, datetime, list[dict[str, Any]]]:
        """The window a payment paid for and its price lines (adding up to the payment): the
        booking's own stay (up to its first extension), or an extension's added time."""
        if payment.purpose == PaymentPurpose.EXTENSION and payment.extension_id is not None:
            extension = await s.get(ReservationExtension, payment.extension_id)
            assert extension is not None
            minutes = int((extension.new_ends_at - extension.old_ends_at).total_seconds() // 60)
            line = {"kind": "extension", "minutes": minutes, "per_hour": 0, "amount": payment.amount}
            return extension.old_ends_at, extension.new_ends_at, [line]
        first_extension = await s.scalar(
            select(ReservationExtension.old_ends_at)
            .where(
                ReservationExtension.reservation_id == reservation.id,
                ReservationExtension.status == ExtensionStatus.APPLIED,
            )
            .order_by(ReservationExtension.id)
            .limit(1)
        )
        # Bought up to the first extension, or up to the booked end of a stay cut short.
        ends_at = first_extension or reservation.booked_ends_at or reservation.ends_at
        minutes = int((ends_at - reservation.starts_at).total_seconds() // 60)
        plan = await plan_by_id(s, reservation.rate_plan_id) if reservation.rate_plan_id else None
        if plan is not None and whole_minutes(reservation.starts_at, ends_at):
            priced = price_stay(plan, reservation.starts_at, ends_at, premise.timezone)
            if priced.total == payment.amount and priced.currency == payment.currency:
                return reservation.starts_at, ends_at, [_line(line) for line in priced.lines]
        # Priced before plans (or otherwise not reproducible): the stay as one line.
        line = {"kind": "stay", "minutes": minutes, "per_hour": 0, "amount": payment.amount}
        return reservation.starts_at, ends_at, [line]


@dataclass(frozen=True, slots=True)
class _Part:
    """A part of a payment given back: the refunded total before and after it, how much of
    it went to the wallet, and when it was last given back."""

    before: int
    through: int
    to_wallet: int
    at: datetime | None

    @property
    def amount(self) -> int:
        return self.through - self.before


@dataclass(frozen=True, slots=True)
class _Given:
    total: int
    to_wallet: int
    at: datetime | None


async def _given_back(s: AsyncSession, payment: Payment) -> _Given:
    """What of a payment is given back for good: its refunded amount without operators' card
    refunds the provider has not confirmed yet (a refund receipt is for money returned); how
    much went to the wallet (unused time is always credited there); the latest moment."""
    rows = list(
        (
            await s.execute(
                select(Refund.id, Refund.status, Refund.amount, Refund.settled_at).where(
                    Refund.payment_id == payment.id
                )
            )
        ).tuples()
    )
    pending = sum(amount for _, status, amount, _ in rows if status == RefundStatus.PENDING)
    references = [f"payment:{payment.id}", *(f"refund:{refund_id}" for refund_id, *_ in rows)]
    credited = (
        await s.execute(
            select(
                func.coalesce(func.sum(WalletTransaction.amount), 0), func.max(WalletTransaction.created_at)
            ).where(
                WalletTransaction.user_id == payment.user_id,
                WalletTransaction.kind == WalletTxKind.REFUND,
                WalletTransaction.reference.in_(references),
            )
        )
    ).one()
    moments = [
        payment.refunded_at,
        credited[1],
        *(at for _, status, _, at in rows if status == RefundStatus.SUCCEEDED),
    ]
    return _Given(
        total=max(0, payment.refunded_amount - pending),
        to_wallet=int(credited[0]),
        at=max((m for m in moments if m is not None), default=None),
    )


def _to_wallet(receipt: Receipt) -> int:
    """How much of an issued refund receipt went to the wallet (receipts issued before parts
    were told apart were whole refunds to where the money came from)."""
    if "to_wallet" in receipt.data:
        return int(receipt.data["to_wallet"])
    return receipt.amount if receipt.data.get("method") == "wallet" else 0


def _line(line: PriceLine) -> dict[str, Any]:
    return {
        "kind": line.kind.value,
        "minutes": line.minutes,
        "per_hour": line.per_hour,
        "amount": line.amount,
        "period": line.period.to_json() if line.period is not None else None,
    }


__all__ = ["ReceiptDoc", "ReceiptUseCases", "vat_included"]
