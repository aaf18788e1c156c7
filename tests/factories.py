"""Builders for test data, written through the real models."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import (
    Blocker,
    BlockerState,
    Premise,
    Review,
    ReviewStatus,
    Spot,
    User,
    WalletTransaction,
    WalletTxKind,
)

_ids = itertools.count(1000)


async def make_user(
    session: AsyncSession,
    *,
    telegram_id: int | None = None,
    phone: str | None = None,
    name: str = "Driver",
    language: str = "en",
    is_admin: bool = False,
) -> User:
    user = User(
        telegram_id=telegram_id if telegram_id is not None else (None if phone else next(_ids)),
        phone=phone,
        name=name,
        language=language,
        is_admin=is_admin,
    )
    session.add(user)
    await session.flush()
    return user


async def make_premise(
    session: AsyncSession,
    *,
    lat: float = 50.45,
    lon: float = 30.52,
    spots: int = 1,
    price_per_hour: int = 200,
    currency: str = "EUR",
    name: str = "Test Garage",
    features: list[str] | None = None,
    timezone: str = "Europe/Kyiv",
    now: datetime | None = None,
) -> Premise:
    # Codes in the order premises are made (1042, 1043, ...), not drawn: screens that show
    # one read the same in every run.
    made = await session.scalar(select(func.count()).select_from(Premise)) or 0
    premise = Premise(
        code=str(1042 + made),
        name=name,
        address="1 Test Street",
        lat=lat,
        lon=lon,
        timezone=timezone,
        price_per_hour=price_per_hour,
        currency=currency,
        features=features or [],
        photos=[],
        description="",
        opening_hours="24/7",
        is_active=True,
        **({"created_at": now} if now else {}),
    )
    session.add(premise)
    await session.flush()
    for n in range(spots):
        session.add(Spot(premise_id=premise.id, label=f"A{n + 1}", is_active=True))
    await session.flush()
    return premise


async def make_review(
    session: AsyncSession,
    *,
    user_id: int,
    premise_id: int,
    rating: int = 5,
    text: str = "",
    reservation_id: int | None = None,
    status: ReviewStatus = ReviewStatus.PENDING,
    created_at: datetime | None = None,
) -> Review:
    """A driver's review (the driver's side of reviews is its own issue): pending unless told."""
    review = Review(
        user_id=user_id,
        premise_id=premise_id,
        reservation_id=reservation_id,
        rating=rating,
        text=text,
        status=status,
        is_approved=status is ReviewStatus.APPROVED,
        **({"created_at": created_at} if created_at else {}),
    )
    session.add(review)
    await session.flush()
    return review


async def guard_spots(session: AsyncSession, premise_id: int) -> list[str]:
    """A blocker (online, raised, no car) on every spot of the premise, named after the spot:
    only at such spots does the service see arrivals (and no-shows). Their ids."""
    spots = (await session.scalars(select(Spot).where(Spot.premise_id == premise_id))).all()
    blockers = [
        Blocker(
            id=f"BLK-{premise_id}-{spot.label}",
            spot_id=spot.id,
            online=True,
            state=BlockerState.RAISED,
            car_present=False,
        )
        for spot in spots
    ]
    session.add_all(blockers)
    await session.flush()
    return [b.id for b in blockers]


async def wallet_refunds(db: Database, user_id: int) -> list[int]:
    """The amounts credited back to a driver's wallet as refunds, oldest first."""
    async with db.read() as s:
        return list(
            await s.scalars(
                select(WalletTransaction.amount)
                .where(WalletTransaction.user_id == user_id, WalletTransaction.kind == WalletTxKind.REFUND)
                .order_by(WalletTransaction.id)
            )
        )
