"""Giving a payment back to where it came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Payment, PaymentMethodKind, PaymentStatus, WalletTxKind
from core.services import wallet


async def refund_to_source(session: AsyncSession, payment: Payment, now: datetime) -> int:
    """Refunds what is left of a payment in full: wallet money is credited back at once; card
    money is marked refund_pending for the payments adapter (never across a network call
    inside this transaction). Returns the amount owed."""
    owed = payment.amount - payment.refunded_amount
    if owed <= 0:
        return 0
    if payment.method == PaymentMethodKind.WALLET:
        await wallet.credit(
            session,
            payment.user_id,
            owed,
            payment.currency,
            kind=WalletTxKind.REFUND,
            reference=f"payment:{payment.id}",
            now=now,
        )
        payment.status = PaymentStatus.REFUNDED
        payment.refunded_amount = payment.amount
        payment.refunded_at = now
    else:
        payment.status = PaymentStatus.REFUND_PENDING
    payment.updated_at = now
    await session.flush()
    return owed
