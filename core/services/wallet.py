"""The wallet ledger. The balance is the sum of a user's transactions in one currency and
never goes negative: debits lock the user's row first, so concurrent debits queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InsufficientFunds, NotFound
from core.models import Payment, Premise, Reservation, Spot, User, WalletTransaction, WalletTxKind

# Every payment and payment screen runs these (the ledger's lock several times a payment):
# built once with their cache keys, not per call.
_BALANCE = select(func.coalesce(func.sum(WalletTransaction.amount), 0)).where(
    WalletTransaction.user_id == bindparam("user_id"), WalletTransaction.currency == bindparam("currency")
)
_LOCK_LEDGER = select(User.id).where(User.id == bindparam("user_id")).with_for_update()


async def balance(session: AsyncSession, user_id: int, currency: str) -> int:
    total = await session.scalar(_BALANCE, {"user_id": user_id, "currency": currency})
    return int(total or 0)


async def lock_ledger(session: AsyncSession, user_id: int) -> None:
    """Serialises this user's ledger writes. Take it before inserting any row that references
    the user: the foreign key's KEY SHARE lock would otherwise deadlock two debits."""
    # SQLite: FOR UPDATE is not emitted; BEGIN IMMEDIATE already made this the only writer.
    found = await session.scalar(_LOCK_LEDGER, {"user_id": user_id})
    if found is None:
        raise NotFound(f"user {user_id}")


async def credit(
    session: AsyncSession,
    user_id: int,
    amount: int,
    currency: str,
    *,
    kind: WalletTxKind,
    reference: str,
    now: datetime,
) -> WalletTransaction:
    if amount <= 0:
        raise ValueError("a credit is positive")
    await lock_ledger(session, user_id)
    tx = WalletTransaction(
        user_id=user_id,
        kind=kind,
        amount=amount,
        currency=currency,
        reference=reference,
        created_at=now,
    )
    session.add(tx)
    await session.flush()
    return tx


async def debit(
    session: AsyncSession,
    user_id: int,
    amount: int,
    currency: str,
    *,
    kind: WalletTxKind,
    reference: str,
    now: datetime,
) -> WalletTransaction:
    """Takes `amount` from the balance or raises InsufficientFunds, writing nothing."""
    if amount <= 0:
        raise ValueError("a debit is positive")
    await lock_ledger(session, user_id)
    current = await balance(session, user_id, currency)
    if current < amount:
        raise InsufficientFunds(current, amount, currency)
    tx = WalletTransaction(
        user_id=user_id,
        kind=kind,
        amount=-amount,
        currency=currency,
        reference=reference,
        created_at=now,
    )
    session.add(tx)
    await session.flush()
    return tx


async def history(
    session: AsyncSession, user_id: int, *, limit: int = 20, offset: int = 0
) -> list[WalletTransaction]:
    rows = await session.scalars(
        select(WalletTransaction)
        .where(WalletTransaction.user_id == user_id)
        .order_by(WalletTransaction.created_at.desc(), WalletTransaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def bookings_of(session: AsyncSession, rows: list[WalletTransaction]) -> dict[int, tuple[int, str]]:
    """The booking (id, car park) each payment or refund line was for, by transaction id: the
    ledger names the payment (`payment:<id>`), the payment its booking."""
    payment_of = {
        tx.id: int(tx.reference.partition(":")[2])
        for tx in rows
        if tx.reference.startswith("payment:") and tx.reference.partition(":")[2].isdigit()
    }
    if not payment_of:
        return {}
    found = (
        await session.execute(
            select(Payment.id, Reservation.id, Premise.name)
            .join(Reservation, Reservation.id == Payment.reservation_id)
            .join(Spot, Spot.id == Reservation.spot_id)
            .join(Premise, Premise.id == Spot.premise_id)
            .where(Payment.id.in_(set(payment_of.values())))
        )
    ).tuples()
    by_payment = {payment_id: (reservation_id, name) for payment_id, reservation_id, name in found}
    return {tx_id: by_payment[p] for tx_id, p in payment_of.items() if p in by_payment}
