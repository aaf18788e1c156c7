"""Wallet use cases: paying a booking from the wallet, the balance and history the wallet
screens show, and the top-up amounts they offer. They need no payment provider, so they work
when card payments are off (top-ups themselves are card payments: core/usecases/payments.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.models import SavedPaymentMethod, WalletTxKind
from core.rules import TOPUP_MAX, TOPUP_MIN, TOPUP_PRESETS, topup_to_cover
from core.services import payments, wallet


@dataclass(frozen=True, slots=True)
class WalletPaid:
    payment_id: int
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class WalletOverview:
    """The wallet screen: the balance and the top-ups it may offer."""

    balance: int
    currency: str
    topup_presets: tuple[int, ...]
    topup_min: int
    topup_max: int


@dataclass(frozen=True, slots=True)
class WalletEntry:
    created_at: datetime
    amount: int  # signed: deposits and refunds positive, payments negative
    currency: str
    kind: WalletTxKind
    reservation_id: int | None = None  # the booking a payment or refund was for
    premise: str = ""  # that booking's car park


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: list[WalletEntry]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Coverage:
    """How the wallet stands against a price: whether it pays, and the top-up that would."""

    balance: int
    price: int
    currency: str
    topup: int  # what a top-up for this price would be, within the limits

    @property
    def enough(self) -> bool:
        return self.balance >= self.price


class WalletUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    async def pay_booking(self, *, reservation_id: int, user_id: int) -> WalletPaid:
        """Debits the wallet and confirms the caller's unpaid hold in one transaction.
        Raises InsufficientFunds (nothing changed), InvalidTransition (paid meanwhile, or the
        hold lapsed), NotFound, or SpotTaken."""
        async with self.db.transaction() as s:
            payment = await payments.pay_booking_with_wallet(
                s, reservation_id=reservation_id, user_id=user_id, now=self.clock.now()
            )
            return WalletPaid(payment.id, payment.amount, payment.currency)

    async def pay_extension(self, *, extension_id: int, user_id: int) -> WalletPaid:
        """Pays a quoted extension from the wallet (after a top-up): the booking ends later when
        this returns. Raises InsufficientFunds (nothing changed), InvalidTransition (paid
        meanwhile, or no longer possible), NotFound, or SpotTaken."""
        async with self.db.transaction() as s:
            await wallet.lock_ledger(s, user_id)  # every money path locks the ledger first
            payment = await payments.pay_extension_with_wallet(
                s, extension_id=extension_id, user_id=user_id, now=self.clock.now()
            )
            return WalletPaid(payment.id, payment.amount, payment.currency)

    async def balance(self, user_id: int, currency: str) -> int:
        async with self.db.read() as s:
            return await wallet.balance(s, user_id, currency)

    async def coverage(self, user_id: int, price: int, currency: str) -> Coverage:
        """The balance against a price, with the top-up that would cover what is missing."""
        balance = await self.balance(user_id, currency)
        return Coverage(balance, price, currency, topup_to_cover(price, balance))

    async def overview(self, user_id: int, currency: str | None = None) -> WalletOverview:
        currency = currency or self.settings.currency
        return WalletOverview(
            await self.balance(user_id, currency), currency, TOPUP_PRESETS, TOPUP_MIN, TOPUP_MAX
        )

    async def cards(self, user_id: int) -> list[SavedPaymentMethod]:
        """The caller's saved cards (listed even while card payments are off)."""
        async with self.db.read() as s:
            return await payments.cards(s, user_id)

    async def history(self, user_id: int, *, offset: int = 0, limit: int = 10) -> HistoryPage:
        """The newest first, `limit` a page."""
        async with self.db.read() as s:
            rows = await wallet.history(s, user_id, limit=limit + 1, offset=offset)
            bookings = await wallet.bookings_of(s, rows[:limit])
        entries = [
            WalletEntry(tx.created_at, tx.amount, tx.currency, tx.kind, *bookings.get(tx.id, (None, "")))
            for tx in rows[:limit]
        ]
        return HistoryPage(entries, len(rows) > limit)
