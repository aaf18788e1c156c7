"""Payment rules, independent of the provider: recording payments, when a payment counts as
failed or cancelled, applying a succeeded payment to what it paid for (booking, extension,
wallet top-up) exactly once, wallet payments, refunds owed, saved cards. The payment and
wallet use cases (core/usecases/) call these inside their units of work; the top-up limits
are in core/rules.py.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidTransition, NotFound, NotOwner, SpotTaken
from core.models import (
    ExtensionStatus,
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    ProcessedEvent,
    Reservation,
    ReservationExtension,
    ReservationStatus,
    SavedPaymentMethod,
    User,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.payments import CardDetails, ProviderPayment
from core.rules import is_payable
from core.services import booking, outbox, refunds, wallet

log = logging.getLogger(__name__)


class Settled(enum.Enum):
    CONFIRMED = "confirmed"  # booking confirmed / extension applied / wallet credited
    ALREADY_DONE = "already_done"
    REFUND_OWED = "refund_owed"  # paid, but what it paid for cannot be honoured
    MISMATCH = "mismatch"  # amount or currency differ from what we asked for
    NOT_PAID = "not_paid"
    UNKNOWN = "unknown"


async def mark_event_processed(session: AsyncSession, provider: str, event_id: str) -> bool:
    """Records an external event id; False if it was applied before (the caller does nothing)."""
    exists = await session.scalar(
        select(ProcessedEvent.id).where(
            ProcessedEvent.provider == provider, ProcessedEvent.event_id == event_id
        )
    )
    if exists is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(provider=provider, event_id=event_id))
            await session.flush()
    except IntegrityError:
        return False  # a concurrent delivery of the same event won the insert
    return True


async def new_card_payment(
    session: AsyncSession,
    *,
    user_id: int,
    purpose: PaymentPurpose,
    amount: int,
    currency: str,
    now: datetime,
    reservation_id: int | None = None,
    extension_id: int | None = None,
) -> Payment:
    return await _new_payment(
        session,
        PaymentMethodKind.CARD,
        PaymentStatus.PENDING,
        user_id=user_id,
        purpose=purpose,
        amount=amount,
        currency=currency,
        now=now,
        reservation_id=reservation_id,
        extension_id=extension_id,
    )


async def _new_payment(
    session: AsyncSession,
    method: PaymentMethodKind,
    status: PaymentStatus,
    *,
    user_id: int,
    purpose: PaymentPurpose,
    amount: int,
    currency: str,
    now: datetime,
    reservation_id: int | None,
    extension_id: int | None,
) -> Payment:
    payment = Payment(
        user_id=user_id,
        purpose=purpose,
        method=method,
        amount=amount,
        currency=currency,
        status=status,
        reservation_id=reservation_id,
        extension_id=extension_id,
        created_at=now,
        updated_at=now,
        succeeded_at=now if status == PaymentStatus.SUCCEEDED else None,
    )
    session.add(payment)
    await session.flush()
    return payment


async def payable_booking(
    session: AsyncSession, reservation_id: int, user_id: int, now: datetime
) -> Reservation:
    """The caller's unpaid hold that is still running, row-locked until the transaction ends, so
    two payments for it queue and the second sees it paid; raises otherwise. The driver's
    ledger is locked first: every money path takes user, then reservation (the payment's
    foreign key share-locks the user, and the other order deadlocked two payers)."""
    await wallet.lock_ledger(session, user_id)
    reservation = await booking.lock_owned(session, reservation_id, user_id)
    if not is_payable(reservation.status, reservation.hold_expires_at, now):
        raise InvalidTransition(reservation.id, reservation.status.value, "pay")
    return reservation


async def payable_extension(
    session: AsyncSession, extension_id: int, user_id: int
) -> tuple[ReservationExtension, Reservation]:
    """The caller's unpaid extension, locked like `payable_booking` (user, extension, booking)."""
    await wallet.lock_ledger(session, user_id)
    extension = await session.scalar(
        select(ReservationExtension)
        .where(ReservationExtension.id == extension_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if extension is None:
        raise NotFound(f"extension {extension_id}")
    reservation = await booking.lock_owned(session, extension.reservation_id, user_id)
    _require_payable(extension, reservation)
    return extension, reservation


async def unpaid_extension(
    session: AsyncSession, extension_id: int, user_id: int
) -> tuple[ReservationExtension, Reservation]:
    """The caller's unpaid extension as `payable_extension` checks it, without locks: for a read
    (a read-only transaction on PostgreSQL refuses SELECT ... FOR UPDATE)."""
    extension = await session.get(ReservationExtension, extension_id)
    if extension is None:
        raise NotFound(f"extension {extension_id}")
    reservation = await booking.get_owned(session, extension.reservation_id, user_id)
    _require_payable(extension, reservation)
    return extension, reservation


def _require_payable(extension: ReservationExtension, reservation: Reservation) -> None:
    if extension.status != ExtensionStatus.PENDING_PAYMENT or reservation.ends_at != extension.old_ends_at:
        raise InvalidTransition(reservation.id, reservation.status.value, "pay this extension")


async def _lock_payment(session: AsyncSession, **where: object) -> Payment | None:
    query = select(Payment).with_for_update().execution_options(populate_existing=True)
    for column, value in where.items():
        query = query.where(getattr(Payment, column) == value)
    found: Payment | None = await session.scalar(query)
    return found


async def settle_checkout(
    session: AsyncSession, checkout_session_id: str, reported: ProviderPayment, now: datetime
) -> Settled:
    """Applies a completed Checkout Session. Safe to call from the webhook and from the
    return-page check at once: the payment row is locked and settled only while pending."""
    payment = await _lock_payment(session, stripe_checkout_session_id=checkout_session_id)
    if payment is None:
        log.warning("checkout session %s matches no payment", checkout_session_id)
        return Settled.UNKNOWN
    return await settle(session, payment, reported, now)


async def settle(
    session: AsyncSession, payment: Payment, reported: ProviderPayment, now: datetime
) -> Settled:
    if payment.status == PaymentStatus.NEEDS_REVIEW:
        return Settled.MISMATCH  # an operator decides; no later event may settle it
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.CANCELLED, PaymentStatus.FAILED):
        return Settled.ALREADY_DONE
    if not reported.paid:
        return Settled.NOT_PAID
    if reported.amount != payment.amount or (reported.currency or "").upper() != payment.currency:
        await _hold_for_review(session, payment, reported, now)
        return Settled.MISMATCH
    if reported.payment_intent_id:
        payment.stripe_payment_intent_id = reported.payment_intent_id
    if await _paid_before(session, payment):
        # Two payment pages for one booking (or extension) were both paid: this one goes back;
        # it never counts as succeeded, which the one-payment-per-booking index would refuse.
        payment.succeeded_at = now
        await owe_refund(session, payment, now, reason="duplicate")
        return Settled.REFUND_OWED
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = now
    payment.updated_at = now
    await session.flush()
    return await _deliver(session, payment, now)


async def _paid_before(session: AsyncSession, payment: Payment) -> bool:
    if payment.purpose == PaymentPurpose.BOOKING:
        same = Payment.reservation_id == payment.reservation_id
    elif payment.purpose == PaymentPurpose.EXTENSION:
        same = Payment.extension_id == payment.extension_id
    else:
        return False
    paid = await session.scalar(
        select(Payment.id).where(
            same,
            Payment.purpose == payment.purpose,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.id != payment.id,
        )
    )
    return paid is not None


async def _hold_for_review(
    session: AsyncSession, payment: Payment, reported: ProviderPayment, now: datetime
) -> None:
    """The provider took another amount or currency than asked. Nothing is delivered; the row
    then records what was really taken (what was asked stays in failure_reason), so the usual
    refund path gives exactly that back; admins are alerted and the driver is told."""
    payment.failure_reason = (
        f"provider reported {reported.amount} {reported.currency}, expected "
        f"{payment.amount} {payment.currency}"
    )[:255]
    payment.status = PaymentStatus.NEEDS_REVIEW
    payment.stripe_payment_intent_id = reported.payment_intent_id
    payment.updated_at = now
    charged = reported.amount if isinstance(reported.amount, int) else 0
    currency = (reported.currency or "").upper()
    refundable = charged > 0 and len(currency) == 3 and reported.payment_intent_id is not None
    if refundable:
        payment.amount, payment.currency = charged, currency
    log.error("payment %s: amount or currency mismatch: %s", payment.id, payment.failure_reason)
    await session.flush()
    await outbox.notify_admins(
        session,
        NotificationKind.ADMIN_PAYMENT_MISMATCH,
        {"payment_id": payment.id, "reason": payment.failure_reason},
        now=now,
        dedupe_key=f"mismatch:{payment.id}",
    )
    if refundable:
        await outbox.notify(
            session,
            payment.user_id,
            NotificationKind.PAYMENT_REFUNDED,
            {
                "payment_id": payment.id,
                "amount": charged,
                "currency": currency,
                "reason": "mismatch",
                "reservation_id": payment.reservation_id,
            },
            now=now,
            dedupe_key=f"refund:{payment.id}",
        )


async def _deliver(session: AsyncSession, payment: Payment, now: datetime) -> Settled:
    """Gives the driver what a succeeded payment bought, or marks it for refund."""
    if payment.purpose == PaymentPurpose.TOPUP:
        await wallet.credit(
            session,
            payment.user_id,
            payment.amount,
            payment.currency,
            kind=WalletTxKind.DEPOSIT,
            reference=f"payment:{payment.id}",
            now=now,
        )
        balance = await wallet.balance(session, payment.user_id, payment.currency)
        await outbox.notify(
            session,
            payment.user_id,
            NotificationKind.WALLET_TOPPED_UP,
            {"amount": payment.amount, "currency": payment.currency, "balance": balance},
            now=now,
            dedupe_key=f"topped_up:{payment.id}",
        )
        return Settled.CONFIRMED
    if payment.purpose == PaymentPurpose.EXTENSION:
        assert payment.extension_id is not None
        applied = await booking.apply_extension(session, payment.extension_id, now)
        ok = applied == booking.ExtensionOutcome.APPLIED
    else:
        assert payment.reservation_id is not None
        outcome = await booking.confirm(session, payment.reservation_id, now)
        ok = outcome == booking.ConfirmOutcome.CONFIRMED
    if ok:
        return Settled.CONFIRMED
    await owe_refund(session, payment, now, reason="spot_taken")
    return Settled.REFUND_OWED


async def owe_refund(session: AsyncSession, payment: Payment, now: datetime, *, reason: str) -> None:
    """A payment that must go back in full: wallet money at once, card money through the
    provider (refund_pending until the adapter has done it). The driver is told."""
    owed = await refunds.refund_to_source(session, payment, now)
    await outbox.notify(
        session,
        payment.user_id,
        NotificationKind.PAYMENT_REFUNDED,
        {
            "payment_id": payment.id,
            "amount": owed,
            "currency": payment.currency,
            "reason": reason,
            "reservation_id": payment.reservation_id,
        },
        now=now,
        dedupe_key=f"refund:{payment.id}",
    )


async def note_card(session: AsyncSession, payment_id: int, brand: str, last4: str) -> None:
    """Records which saved card paid (brand and last 4 digits, as payment_methods holds them)."""
    payment = await session.get(Payment, payment_id)
    if payment is not None:
        payment.card_brand, payment.card_last4 = brand[:32], last4[:4]


async def checkout_expired(session: AsyncSession, checkout_session_id: str, now: datetime) -> None:
    """The driver never paid: the payment is cancelled and its booking hold released."""
    payment = await _lock_payment(session, stripe_checkout_session_id=checkout_session_id)
    if payment is None or payment.status != PaymentStatus.PENDING:
        return
    payment.status = PaymentStatus.CANCELLED
    payment.updated_at = now
    if payment.purpose == PaymentPurpose.BOOKING and payment.reservation_id is not None:
        await booking.expire_hold(session, payment.reservation_id, now)


async def fail_payment(session: AsyncSession, payment_id: int, reason: str, now: datetime) -> None:
    """The provider refused or could not be reached (no page made, card declined): a payment
    still pending is failed with the reason; one settled meanwhile is left as it is."""
    payment = await _lock_payment(session, id=payment_id)
    if payment is not None and payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = reason[:255]
        payment.updated_at = now


async def attach_checkout(session: AsyncSession, payment_id: int, checkout_session_id: str) -> None:
    """Records the payment page made for a pending payment (settled and expired by its id)."""
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id}")
    payment.stripe_checkout_session_id = checkout_session_id


async def settle_payment(
    session: AsyncSession, payment_id: int, reported: ProviderPayment, now: datetime
) -> Settled:
    """`settle` for a payment known by id (a saved card charged off-session)."""
    payment = await _lock_payment(session, id=payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id}")
    return await settle(session, payment, reported, now)


async def payment_of_checkout(session: AsyncSession, checkout_session_id: str) -> int | None:
    found: int | None = await session.scalar(
        select(Payment.id).where(Payment.stripe_checkout_session_id == checkout_session_id)
    )
    return found


async def open_checkouts(session: AsyncSession, *, created_before: datetime) -> list[str]:
    """Payment pages still pending on our side, made before `created_before`."""
    rows = await session.scalars(
        select(Payment.stripe_checkout_session_id).where(
            Payment.status == PaymentStatus.PENDING,
            Payment.stripe_checkout_session_id.is_not(None),
            Payment.created_at <= created_before,
        )
    )
    return [session_id for session_id in rows if session_id is not None]


async def stale_booking_checkouts(session: AsyncSession) -> list[tuple[int, str]]:
    """(payment id, page id) of pending booking pages whose hold is over: nobody may pay them."""
    rows = await session.execute(
        select(Payment.id, Payment.stripe_checkout_session_id)
        .join(Reservation, Reservation.id == Payment.reservation_id)
        .where(
            Payment.status == PaymentStatus.PENDING,
            Payment.purpose == PaymentPurpose.BOOKING,
            Payment.stripe_checkout_session_id.is_not(None),
            Reservation.status != ReservationStatus.PENDING_PAYMENT,
        )
    )
    return [(payment_id, session_id) for payment_id, session_id in rows.tuples() if session_id is not None]


async def pay_booking_with_wallet(
    session: AsyncSession, *, reservation_id: int, user_id: int, now: datetime
) -> Payment:
    """Debit and confirmation in one transaction; InsufficientFunds leaves everything as it was.
    A booking already paid (a second tap, another process, the SMS path) is refused with
    InvalidTransition and nothing is debited."""
    reservation = await payable_booking(session, reservation_id, user_id, now)
    payment = await _wallet_payment(
        session,
        user_id,
        reservation.price,
        reservation.currency,
        now,
        purpose=PaymentPurpose.BOOKING,
        reservation_id=reservation.id,
    )
    outcome = await booking.confirm(session, reservation.id, now)
    if outcome == booking.ConfirmOutcome.NEEDS_REFUND:
        raise SpotTaken("the spot is no longer free")
    if outcome != booking.ConfirmOutcome.CONFIRMED:  # cannot happen under the lock; never pay twice
        raise InvalidTransition(reservation.id, reservation.status.value, "pay")
    return payment


async def pay_extension_with_wallet(
    session: AsyncSession, *, extension_id: int, user_id: int, now: datetime
) -> Payment:
    extension, reservation = await payable_extension(session, extension_id, user_id)
    payment = await _wallet_payment(
        session,
        user_id,
        extension.price,
        extension.currency,
        now,
        purpose=PaymentPurpose.EXTENSION,
        reservation_id=reservation.id,
        extension_id=extension.id,
    )
    outcome = await booking.apply_extension(session, extension.id, now)
    if outcome == booking.ExtensionOutcome.NOT_POSSIBLE:
        raise SpotTaken("the spot was booked by someone else meanwhile")
    if outcome != booking.ExtensionOutcome.APPLIED:
        raise InvalidTransition(reservation.id, reservation.status.value, "pay this extension")
    return payment


async def _wallet_payment(
    session: AsyncSession,
    user_id: int,
    amount: int,
    currency: str,
    now: datetime,
    *,
    purpose: PaymentPurpose,
    reservation_id: int,
    extension_id: int | None = None,
) -> Payment:
    await wallet.lock_ledger(session, user_id)
    payment = await _new_payment(
        session,
        PaymentMethodKind.WALLET,
        PaymentStatus.SUCCEEDED,
        user_id=user_id,
        purpose=purpose,
        amount=amount,
        currency=currency,
        now=now,
        reservation_id=reservation_id,
        extension_id=extension_id,
    )
    await wallet.debit(
        session,
        user_id,
        amount,
        currency,
        kind=WalletTxKind.PAYMENT,
        reference=f"payment:{payment.id}",
        now=now,
    )
    return payment


async def refunds_due(session: AsyncSession, *, limit: int = 50) -> list[int]:
    rows = await session.scalars(
        select(Payment.id)
        .where(
            or_(
                Payment.status == PaymentStatus.REFUND_PENDING,
                (Payment.status == PaymentStatus.NEEDS_REVIEW)
                & (Payment.refunded_amount < Payment.amount)
                & Payment.stripe_payment_intent_id.is_not(None),
            )
        )
        .order_by(Payment.id)
        .limit(limit)
    )
    return list(rows)


async def refund_owed(session: AsyncSession, payment_id: int) -> tuple[str | None, int]:
    """What a refund due goes against (the provider's payment, None if never recorded) and how
    much of it is still owed."""
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id}")
    return payment.stripe_payment_intent_id, payment.amount - payment.refunded_amount


async def record_refund(
    session: AsyncSession, payment_id: int, *, refund_id: str | None, error: str | None, now: datetime
) -> Payment:
    """The provider's answer to a refund: done, or failed (kept visible, admins alerted)."""
    payment = await _lock_payment(session, id=payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id}")
    review = payment.status == PaymentStatus.NEEDS_REVIEW
    if payment.status != PaymentStatus.REFUND_PENDING and not (
        review and payment.refunded_amount < payment.amount
    ):
        return payment
    payment.updated_at = now
    if error is None:
        # A payment under review keeps that status (an operator still has to look); the
        # refunded amount and time say that the money went back.
        payment.status = PaymentStatus.NEEDS_REVIEW if review else PaymentStatus.REFUNDED
        payment.refunded_amount = payment.amount
        payment.refunded_at = now
        payment.stripe_refund_id = refund_id
    else:
        payment.status = PaymentStatus.REFUND_FAILED
        payment.failure_reason = error[:255]
        await outbox.notify_admins(
            session,
            NotificationKind.ADMIN_REFUND_FAILED,
            {
                "payment_id": payment.id,
                "amount": payment.amount,
                "currency": payment.currency,
                "error": error,
            },
            now=now,
            dedupe_key=f"refund_failed:{payment.id}",
        )
    await session.flush()
    return payment


async def save_card(
    session: AsyncSession, user_id: int, card: CardDetails, now: datetime
) -> SavedPaymentMethod:
    existing = await session.scalar(
        select(SavedPaymentMethod).where(
            SavedPaymentMethod.stripe_payment_method_id == card.payment_method_id
        )
    )
    if existing is not None:
        return existing
    saved = SavedPaymentMethod(
        user_id=user_id,
        stripe_payment_method_id=card.payment_method_id,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        created_at=now,
    )
    session.add(saved)
    await session.flush()
    await outbox.notify(
        session,
        user_id,
        NotificationKind.CARD_SAVED,
        {"brand": card.brand, "last4": card.last4},
        now=now,
        dedupe_key=f"card_saved:{card.payment_method_id}",
    )
    return saved


async def save_card_of_checkout(
    session: AsyncSession, checkout_session_id: str, card: CardDetails, now: datetime
) -> SavedPaymentMethod | None:
    """Records the card a paid Checkout page kept on the customer, for the driver the page's
    payment belongs to (once: the provider's payment method id is unique)."""
    user_id = await session.scalar(
        select(Payment.user_id).where(Payment.stripe_checkout_session_id == checkout_session_id)
    )
    if user_id is None:
        return None
    return await save_card(session, user_id, card, now)


async def payer_has_chat(session: AsyncSession, checkout_session_id: str) -> bool:
    telegram_id = await session.execute(
        select(User.telegram_id)
        .join(Payment, Payment.user_id == User.id)
        .where(Payment.stripe_checkout_session_id == checkout_session_id)
    )
    found = telegram_id.first()
    return found is None or found[0] is not None


async def remember_customer(session: AsyncSession, user_id: int, customer: str) -> str:
    """The provider's customer for the user: the first one recorded wins (two first payments
    at once may each have asked the provider; its idempotency key gave both the same)."""
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id}")
    user.stripe_customer_id = user.stripe_customer_id or customer
    return user.stripe_customer_id


async def customer_of(session: AsyncSession, user_id: int) -> tuple[str | None, str]:
    """The user's provider customer id (None before the first card payment) and name."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id}")
    return user.stripe_customer_id, user.name


async def delete_card(session: AsyncSession, card_id: int) -> None:
    card = await session.get(SavedPaymentMethod, card_id)
    if card is not None:
        await session.delete(card)


async def cards(session: AsyncSession, user_id: int) -> list[SavedPaymentMethod]:
    rows = await session.scalars(
        select(SavedPaymentMethod)
        .where(SavedPaymentMethod.user_id == user_id)
        .order_by(SavedPaymentMethod.id)
    )
    return list(rows)


async def owned_card(session: AsyncSession, card_id: int, user_id: int) -> SavedPaymentMethod:
    card = await session.get(SavedPaymentMethod, card_id)
    if card is None:
        raise NotFound(f"card {card_id}")
    if card.user_id != user_id:
        raise NotOwner(f"card {card_id}")
    return card
