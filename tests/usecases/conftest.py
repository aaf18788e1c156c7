"""Use cases on a migrated SQLite file, with the in-process fakes of their ports: a `world` for
the payment and wallet use cases; `db` and `settings` for the booking and arrival ones."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import Notification, Payment, Reservation, WalletTxKind
from core.services import booking, wallet
from core.usecases.payments import PaymentUseCases
from core.usecases.wallet import WalletUseCases
from tests.factories import make_premise, make_user
from tests.fakes.payments import FakePaymentProvider

PRICE = 400  # 2 h at 2.00/h


@dataclass
class World:
    db: Database
    clock: ManualClock
    provider: FakePaymentProvider
    payments: PaymentUseCases
    wallet: WalletUseCases
    premise_id: int
    user_id: int
    other_id: int
    admin_id: int

    async def hold(self, user_id: int | None = None, *, start_h: float = 1) -> int:
        async with self.db.transaction() as s:
            r = await booking.hold(
                s,
                user_id=user_id or self.user_id,
                premise_id=self.premise_id,
                starts_at=self.clock.now() + timedelta(hours=start_h),
                minutes=120,
                now=self.clock.now(),
                hold_minutes=10,
            )
            return r.id

    async def status(self, reservation_id: int) -> str:
        async with self.db.read() as s:
            r = await s.get(Reservation, reservation_id)
            assert r is not None
            return r.status.value

    async def payments_made(self) -> list[Payment]:
        async with self.db.read() as s:
            return list(await s.scalars(select(Payment).order_by(Payment.id)))

    async def kinds(self, user_id: int) -> list[str]:
        async with self.db.read() as s:
            query = select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
            return list(await s.scalars(query))

    async def fund(self, amount: int, user_id: int | None = None) -> None:
        async with self.db.transaction() as s:
            await wallet.credit(
                s,
                user_id or self.user_id,
                amount,
                "EUR",
                kind=WalletTxKind.ADJUSTMENT,
                reference="test",
                now=self.clock.now(),
            )


@pytest.fixture
async def world(tmp_path: Path, sqlite_template: Path, clock: ManualClock) -> AsyncIterator[World]:
    path = tmp_path / "usecases.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}", currency="EUR")
    db = Database.from_url(settings.database_url)
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1, price_per_hour=200, name="Central Garage")
        user, other = await make_user(s, name="Olena"), await make_user(s, name="Petro")
        admin = await make_user(s, name="Admin", is_admin=True)
        ids = premise.id, user.id, other.id, admin.id
    provider = FakePaymentProvider()
    try:
        yield World(
            db,
            clock,
            provider,
            PaymentUseCases(db, provider, clock, public_url="https://parking.example/"),
            WalletUseCases(db, clock, settings),
            *ids,
        )
    finally:
        await db.dispose()


@pytest.fixture
async def db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    path = tmp_path / "usecases.db"
    shutil.copy(sqlite_template, path)
    database = Database.from_url(f"sqlite+aiosqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, bot_token="1:x", hold_minutes=10, early_arrival_minutes=15)
