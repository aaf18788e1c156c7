"""Test data for the use case tests, written through the real models and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.models import (
    Blocker,
    BlockerState,
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Reservation,
    Spot,
    StaffRole,
    WalletTxKind,
)
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.admin import AdminUseCases
from tests.factories import make_premise, make_user

BLOCKER = "B1"


@dataclass(frozen=True, slots=True)
class Place:
    """A driver and a car park of one spot (2.00 EUR an hour) with an online, raised blocker."""

    user_id: int
    premise_id: int
    spot_id: int


async def place(db: Database, clock: ManualClock) -> Place:
    async with db.transaction() as s:
        user = await make_user(s, telegram_id=7001)
        await make_user(s, telegram_id=7000, name="Admin", is_admin=True)
        premise = await make_premise(s, spots=1, price_per_hour=200, now=clock.now())
        spot_id = (await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id))).one()
        s.add(Blocker(id=BLOCKER, spot_id=spot_id, online=True, state=BlockerState.RAISED, battery=90))
        return Place(user.id, premise.id, spot_id)


async def fund(db: Database, clock: ManualClock, user_id: int, amount: int) -> None:
    async with db.transaction() as s:
        await wallet.credit(
            s, user_id, amount, "EUR", kind=WalletTxKind.DEPOSIT, reference="test", now=clock.now()
        )


async def balance(db: Database, user_id: int) -> int:
    async with db.read() as s:
        return await wallet.balance(s, user_id, "EUR")


async def paid_from_wallet(
    db: Database, clock: ManualClock, p: Place, starts_at: datetime, minutes: int
) -> int:
    """A booking held and paid from the wallet (funded for it first): its id."""
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=p.user_id,
            premise_id=p.premise_id,
            starts_at=starts_at,
            minutes=minutes,
            now=clock.now(),
            hold_minutes=10,
        )
        price = r.price
    await fund(db, clock, p.user_id, price)
    async with db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=p.user_id, now=clock.now())
    return r.id


async def paid_by_card(db: Database, clock: ManualClock, p: Place, starts_at: datetime, minutes: int) -> int:
    """A booking held and confirmed with a succeeded card payment, as a settled Checkout leaves it."""
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=p.user_id,
            premise_id=p.premise_id,
            starts_at=starts_at,
            minutes=minutes,
            now=clock.now(),
            hold_minutes=10,
        )
        s.add(
            Payment(
                user_id=p.user_id,
                reservation_id=r.id,
                purpose=PaymentPurpose.BOOKING,
                method=PaymentMethodKind.CARD,
                amount=r.price,
                currency=r.currency,
                status=PaymentStatus.SUCCEEDED,
                stripe_payment_intent_id="pi_test_1",
                created_at=clock.now(),
                updated_at=clock.now(),
                succeeded_at=clock.now(),
            )
        )
        await s.flush()
        await booking.confirm(s, r.id, clock.now())
        return r.id


async def reservation(db: Database, reservation_id: int) -> Reservation:
    async with db.read() as s:
        return await s.get_one(Reservation, reservation_id)


async def blocker_state(db: Database) -> BlockerState:
    async with db.read() as s:
        return (await s.get_one(Blocker, BLOCKER)).state


async def hire_staff(uc: AdminUseCases, owner: int, premise_id: int, manager: int, attendant: int) -> None:
    """A manager and an attendant at the premise, invited by the owner as the console does."""
    for user, role in ((manager, StaffRole.MANAGER), (attendant, StaffRole.ATTENDANT)):
        invite = await uc.invite(owner, premise_id, role)
        await uc.accept_invite(user, invite.token)
