"""Blocked bay use cases on SQLite and PostgreSQL (the `db` fixture): the offer a blocked lowering
answers with, the driver's choice under concurrency (one move, one credit; one refund), forged taps, and the
premise's credit setting."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.db import Database
from core.errors import NotOwner
from core.models import (
    Blocker,
    BlockerIncident,
    BlockerState,
    Notification,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
    WalletTransaction,
    WalletTxKind,
)
from core.services.blocked_bay import Reason, credit_key
from core.usecases.arrival import ArrivalUseCases, LowerRefused
from core.usecases.blocked_bay import BlockedBayUseCases, Outcome
from tests.factories import make_premise, make_user
from tests.fakes.blockers import FakeBlockers
from tests.usecases.support import Place, balance, paid_from_wallet, reservation


@dataclass(frozen=True, slots=True)
class Bays:
    place: Place
    other_spot: int
    stranger: int


async def _bays(db: Database, clock: ManualClock, *, spots: int = 2) -> Bays:
    """A car park of `spots` spots at 2.00 EUR an hour, a blocker on each, a driver and a stranger."""
    async with db.transaction() as s:
        user = await make_user(s, telegram_id=7301)
        stranger = await make_user(s, telegram_id=7302, name="Stranger")
        premise = await make_premise(s, spots=spots, price_per_hour=200, now=clock.now())
        ids = list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id).order_by(Spot.id)))
        s.add_all(
            Blocker(id=f"B{i}", spot_id=spot_id, online=True, state=BlockerState.RAISED, battery=90)
            for i, spot_id in enumerate(ids, 1)
        )
        return Bays(Place(user.id, premise.id, ids[0]), ids[-1], stranger.id)


def _uc(db: Database, clock: ManualClock) -> BlockedBayUseCases:
    return BlockedBayUseCases(db, clock, early_minutes=15)


async def _blocked(db: Database, clock: ManualClock, b: Bays) -> int:
    """A 2-hour booking from now whose lowering meets an obstacle: its id."""
    rid = await paid_from_wallet(db, clock, b.place, clock.now(), 120)
    arrival = await ArrivalUseCases(db, FakeBlockers(CommandStatus.OBSTACLE), clock, early_minutes=15).lower(
        rid, b.place.user_id
    )
    assert arrival.offer is not None and arrival.offer.reason is Reason.OBSTACLE
    return rid


async def _credits(db: Database, rid: int) -> list[int]:
    async with db.read() as s:
        return list(
            await s.scalars(
                select(WalletTransaction.amount).where(WalletTransaction.reference == credit_key(rid))
            )
        )


async def test_concurrent_moves_move_once_and_credit_one_hour_once(db: Database, clock: ManualClock) -> None:
    b = await _bays(db, clock)
    rid = await _blocked(db, clock, b)
    r = await reservation(db, rid)
    assert r.bay_offer_spot_id == b.other_spot and r.bay_blocked_reason == "obstacle"
    uc = _uc(db, clock)
    done = await asyncio.gather(*(uc.move(user_id=b.place.user_id, reservation_id=rid) for _ in range(5)))
    assert sorted(d.outcome.value for d in done) == ["moved"] + ["moved_already"] * 4
    moved = await reservation(db, rid)
    assert (
        moved.spot_id == b.other_spot
        and moved.price == r.price
        and moved.status is ReservationStatus.CONFIRMED
    )
    assert await _credits(db, rid) == [200]  # one hour at 2.00 EUR
    assert await balance(db, b.place.user_id) == 200
    # The moved booking's own lowering works on the new spot.
    arrival = await ArrivalUseCases(db, FakeBlockers(), clock, early_minutes=15).lower(rid, b.place.user_id)
    assert arrival.ok and arrival.offer is None


async def test_concurrent_refunds_refund_once_although_started(db: Database, clock: ManualClock) -> None:
    b = await _bays(db, clock)
    rid = await _blocked(db, clock, b)
    clock.advance(timedelta(minutes=10))  # started: an ordinary cancel is refused by now
    uc = _uc(db, clock)
    done = await asyncio.gather(*(uc.refund(user_id=b.place.user_id, reservation_id=rid) for _ in range(5)))
    assert sorted(d.outcome.value for d in done) == ["gone"] * 4 + ["refunded"]
    assert next(d for d in done if d.outcome is Outcome.REFUNDED).refund_wallet == 400
    r = await reservation(db, rid)
    assert r.status is ReservationStatus.CANCELLED and r.bay_blocked_reason == "obstacle"
    assert await balance(db, b.place.user_id) == 400
    async with db.read() as s:
        refunds = list(
            await s.scalars(
                select(WalletTransaction.amount).where(
                    WalletTransaction.user_id == b.place.user_id,
                    WalletTransaction.kind == WalletTxKind.REFUND,
                )
            )
        )
    assert refunds == [400]
    # A move after the refund finds nothing to move.
    assert (await uc.move(user_id=b.place.user_id, reservation_id=rid)).outcome is Outcome.GONE


async def test_forged_and_unoffered_taps_are_refused(db: Database, clock: ManualClock) -> None:
    b = await _bays(db, clock)
    plain = await paid_from_wallet(db, clock, b.place, clock.now() + timedelta(hours=3), 60)
    rid = await _blocked(db, clock, b)
    uc = _uc(db, clock)
    with pytest.raises(NotOwner):
        await uc.move(user_id=b.stranger, reservation_id=rid)
    with pytest.raises(NotOwner):
        await uc.refund(user_id=b.stranger, reservation_id=rid)
    # A booking nobody offered anything for: nothing moves, nothing is refunded.
    assert (await uc.move(user_id=b.place.user_id, reservation_id=plain)).outcome is Outcome.GONE
    assert (await uc.refund(user_id=b.place.user_id, reservation_id=plain)).outcome is Outcome.GONE
    assert (await reservation(db, plain)).status is ReservationStatus.CONFIRMED
    assert (await reservation(db, rid)).status is ReservationStatus.CONFIRMED
    assert await _credits(db, rid) == []


@pytest.mark.parametrize(("setting", "credit"), [(0, []), (150, [150])])
async def test_the_premise_sets_the_credit(
    db: Database, clock: ManualClock, setting: int, credit: list[int]
) -> None:
    b = await _bays(db, clock)
    async with db.transaction() as s:
        await s.execute(
            update(Premise).where(Premise.id == b.place.premise_id).values(blocked_bay_credit=setting)
        )
    rid = await _blocked(db, clock, b)
    done = await _uc(db, clock).move(user_id=b.place.user_id, reservation_id=rid)
    assert done.outcome is Outcome.MOVED and done.credit == sum(credit)
    assert await _credits(db, rid) == credit


async def test_a_blocker_down_at_arrival_offers_the_move_and_no_free_spot_only_the_refund(
    db: Database, clock: ManualClock
) -> None:
    b = await _bays(db, clock, spots=1)
    rid = await paid_from_wallet(db, clock, b.place, clock.now(), 60)
    async with db.transaction() as s:
        await s.execute(update(Blocker).values(online=False))
    arrival = await ArrivalUseCases(db, FakeBlockers(), clock, early_minutes=15).lower(rid, b.place.user_id)
    assert arrival.refused is LowerRefused.BLOCKER_DOWN
    assert arrival.offer is not None and arrival.offer.reason is Reason.BLOCKER_DOWN
    assert arrival.offer.to_spot_id is None and arrival.offer.refund == 200
    done = await _uc(db, clock).move(user_id=b.place.user_id, reservation_id=rid)
    assert done.outcome is Outcome.NO_SPOT
    assert (
        await _uc(db, clock).refund(user_id=b.place.user_id, reservation_id=rid)
    ).outcome is Outcome.REFUNDED


async def test_a_car_before_arrival_is_offered_once_and_not_when_the_stay_before_is_still_on(
    db: Database, clock: ManualClock
) -> None:
    b = await _bays(db, clock)
    rid = await paid_from_wallet(db, clock, b.place, clock.now() + timedelta(minutes=10), 60)
    uc = _uc(db, clock)
    assert await uc.offer_car_present() == 0  # the bay is empty
    async with db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.spot_id == b.place.spot_id).values(car_present=True))
    # Someone else's stay on the spot is still active (an overstay into the early window): theirs.
    async with db.transaction() as s:
        before = Reservation(
            user_id=b.stranger,
            spot_id=b.place.spot_id,
            starts_at=clock.now() - timedelta(hours=1),
            ends_at=clock.now() + timedelta(minutes=10),
            status=ReservationStatus.ACTIVE,
            price=200,
            currency="EUR",
            arrived_at=clock.now() - timedelta(hours=1),
        )
        s.add(before)
    assert await uc.offer_car_present() == 0
    async with db.transaction() as s:
        await s.execute(
            update(Reservation)
            .where(Reservation.user_id == b.stranger)
            .values(status=ReservationStatus.COMPLETED)
        )
    assert sorted(await asyncio.gather(uc.offer_car_present(), uc.offer_car_present())) == [0, 1]
    assert await uc.offer_car_present() == 0
    async with db.read() as s:
        kinds = list(
            await s.scalars(select(Notification.kind).where(Notification.user_id == b.place.user_id))
        )
        incident = (await s.scalars(select(BlockerIncident))).one()
    assert kinds.count("bay_blocked") == 1
    assert (incident.kind.value, incident.detail) == ("lower_failed", "car_present")
    r = await reservation(db, rid)
    assert r.bay_blocked_reason == "car_present" and r.bay_offer_spot_id == b.other_spot
