"""A spot without a blocker, on SQLite and PostgreSQL: the service cannot see the driver arrive
there (the bot tells them "just park"), so such a booking is never a no-show. The arrival tap
(a stale button, or LOWER by SMS) is the arrival; a driver who never taps anything still had a
stay, whether it ends on time or by "End parking now", and may review it. The "Still coming?"
question and its release never touch such a booking. At a spot with a blocker nothing changes:
nobody lowering it is a no-show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import CannotReview
from core.models import Notification, Reservation, ReservationStatus, WalletTxKind
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.arrival import ArrivalUseCases, LowerRefused
from core.usecases.booking import BookingUseCases
from core.usecases.reviews import ReviewUseCases
from jobs import sweeps
from tests.factories import guard_spots, make_premise, make_user
from tests.fakes.blockers import FakeBlockers

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GRACE = 30  # NO_SHOW_GRACE_MINUTES


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, bot_token="1:x", public_url="https://parking.example")


async def _driver_and_lots(db: Database) -> tuple[int, int, int]:
    """A driver, a car park whose spot has no blocker and one whose spot has: their ids."""
    async with db.transaction() as s:
        user = await make_user(s, name="Olena")
        open_lot = await make_premise(s, name="Open Lot", now=NOW)
        guarded = await make_premise(s, name="Guarded Garage", now=NOW)
        await guard_spots(s, guarded.id)
        return user.id, open_lot.id, guarded.id


async def _paid(db: Database, clock: ManualClock, user_id: int, premise_id: int, start: datetime) -> int:
    """An hour from `start`, paid from the wallet: its id."""
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=premise_id,
            starts_at=start,
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
        await wallet.credit(
            s, user_id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
        )
    async with db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=user_id, now=clock.now())
    return r.id


async def _row(db: Database, reservation_id: int) -> Reservation:
    async with db.read() as s:
        return await s.get_one(Reservation, reservation_id)


async def _completed_says_no_show(db: Database, reservation_id: int) -> bool:
    """What the driver's "booking_completed" message was told: a no-show or a stay."""
    async with db.read() as s:
        payloads = list(
            await s.scalars(select(Notification.payload).where(Notification.kind == "booking_completed"))
        )
    (payload,) = [p for p in payloads if p["reservation_id"] == reservation_id]
    return bool(payload["no_show"])


async def test_the_arrival_tap_at_a_spot_without_a_blocker_is_the_arrival(db: Database) -> None:
    clock = ManualClock(NOW)
    user, open_lot, _guarded = await _driver_and_lots(db)
    rid = await _paid(db, clock, user, open_lot, NOW + timedelta(hours=1))
    blockers = FakeBlockers()
    arrival = ArrivalUseCases(db, blockers, clock, early_minutes=15, ack_timeout=1)

    # Too early: the window is the rule, with or without a blocker.
    assert (await arrival.lower(rid, user)).refused is LowerRefused.TOO_EARLY
    assert (await _row(db, rid)).status is ReservationStatus.CONFIRMED

    clock.advance(timedelta(minutes=50))  # inside the window: "just park", and the stay starts
    tapped = await arrival.lower(rid, user)
    assert tapped.refused is LowerRefused.NO_BLOCKER and not tapped.retryable
    r = await _row(db, rid)
    assert (r.status, r.arrived_at) == (ReservationStatus.ACTIVE, clock.now())
    clock.advance(timedelta(minutes=20))
    assert (await arrival.lower(rid, user)).refused is LowerRefused.NO_BLOCKER  # again: nothing new
    assert (await _row(db, rid)).arrived_at == NOW + timedelta(minutes=50)
    assert blockers.sent == []

    clock.set(NOW + timedelta(hours=2))
    async with db.transaction() as s:
        assert [c.no_show for c in await booking.complete_due(s, clock.now())] == [False]
    assert not await _completed_says_no_show(db, rid)
    review = await ReviewUseCases(db, clock).rate(user_id=user, reservation_id=rid, rating=5)
    assert review.rating == 5


async def test_a_booking_nobody_tapped_for_is_no_no_show_without_a_blocker_and_one_with(
    db: Database,
) -> None:
    clock = ManualClock(NOW)
    user, open_lot, guarded = await _driver_and_lots(db)
    unseen = await _paid(db, clock, user, open_lot, NOW)
    watched = await _paid(db, clock, user, guarded, NOW)
    reviews = ReviewUseCases(db, clock)

    # "Still coming?" and its release: only where a blocker sees the bay empty.
    clock.advance(timedelta(minutes=GRACE - 5))
    await sweeps.release_no_shows(db, clock, GRACE)
    async with db.read() as s:
        asked = list(
            await s.scalars(
                select(Reservation.id)
                .where(Reservation.no_show_asked_at.is_not(None))
                .order_by(Reservation.id)
            )
        )
    assert asked == [watched]
    clock.advance(timedelta(minutes=10))
    await sweeps.release_no_shows(db, clock, GRACE)
    assert (await _row(db, unseen)).status is ReservationStatus.CONFIRMED  # untouched, to its end
    released = await _row(db, watched)
    assert released.status is ReservationStatus.COMPLETED and released.no_show

    clock.set(NOW + timedelta(hours=1))
    async with db.transaction() as s:
        done = await booking.complete_due(s, clock.now())
    assert [(c.id, c.no_show) for c in done] == [(unseen, False)]
    r = await _row(db, unseen)
    assert (r.status, r.no_show, r.arrived_at) == (ReservationStatus.COMPLETED, False, None)
    assert not await _completed_says_no_show(db, unseen)
    assert await reviews.can_review(user_id=user, reservation_id=unseen)
    assert (await reviews.rate(user_id=user, reservation_id=unseen, rating=4)).rating == 4
    with pytest.raises(CannotReview) as refused:
        await reviews.rate(user_id=user, reservation_id=watched, rating=4)
    assert refused.value.reason == "no_show"


async def test_end_parking_now_without_a_tap_at_a_spot_without_a_blocker_is_a_stay(
    db: Database, settings: Settings
) -> None:
    clock = ManualClock(NOW)
    user, open_lot, guarded = await _driver_and_lots(db)
    unseen = await _paid(db, clock, user, open_lot, NOW)
    watched = await _paid(db, clock, user, guarded, NOW)
    bookings = BookingUseCases(db, clock, settings)
    clock.advance(timedelta(minutes=20))
    for rid in (unseen, watched):
        await bookings.end_now(user_id=user, reservation_id=rid)
    assert not (await _row(db, unseen)).no_show and not await _completed_says_no_show(db, unseen)
    assert (await _row(db, watched)).no_show and await _completed_says_no_show(db, watched)
    assert (await ReviewUseCases(db, clock).rate(user_id=user, reservation_id=unseen, rating=3)).rating == 3
