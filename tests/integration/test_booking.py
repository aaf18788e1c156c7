"""The booking engine on SQLite and on PostgreSQL: holds, transitions, no double booking."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.db import Database
from core.errors import (
    InvalidInterval,
    InvalidTransition,
    NoSpotFree,
    NotOwner,
    NotStarted,
    SpotTaken,
    TooLateToCancel,
    TooManyHolds,
)
from core.models import (
    Notification,
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    WalletTransaction,
    WalletTxKind,
)
from core.rules import MAX_PENDING_HOLDS_PER_USER
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.services.availability import quote
from tests.conftest import T0
from tests.factories import guard_spots, make_premise, make_user

H = timedelta(hours=1)
HOLD = 10


async def _setup(db: Database, spots: int = 1, users: int = 1) -> tuple[int, list[int]]:
    async with db.transaction() as s:
        premise = await make_premise(s, spots=spots, price_per_hour=250)
        user_ids = [(await make_user(s)).id for _ in range(users)]
        return premise.id, user_ids


async def _hold(
    db: Database, user_id: int, premise_id: int, start_h: float, minutes: int, clock: ManualClock
) -> Reservation:
    async with db.transaction() as s:
        return await booking.hold(
            s,
            user_id=user_id,
            premise_id=premise_id,
            starts_at=T0 + start_h * H,
            minutes=minutes,
            now=clock.now(),
            hold_minutes=HOLD,
        )


async def _status(db: Database, reservation_id: int) -> ReservationStatus:
    async with db.read() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None
        return r.status


async def _kinds(db: Database, user_id: int) -> list[str]:
    async with db.read() as s:
        rows = await s.scalars(
            select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return list(rows)


async def test_hold_prices_and_holds_the_spot(db: Database, clock: ManualClock) -> None:
    premise_id, (user,) = await _setup(db)
    r = await _hold(db, user, premise_id, 1, 90, clock)
    assert r.status == ReservationStatus.PENDING_PAYMENT
    assert (r.price, r.currency) == (375, "EUR")  # 2.50/h × 1.5 h
    assert r.hold_expires_at == T0 + timedelta(minutes=HOLD)
    assert (r.starts_at, r.ends_at) == (T0 + H, T0 + 2.5 * H)
    async with db.read() as s:
        q = await quote(s, premise_id, T0 + H, 60, clock.now())
    assert q.free_spots == 0


async def test_overlap_refused_but_adjacent_intervals_both_succeed(db: Database, clock: ManualClock) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    await _hold(db, a, premise_id, 1, 60, clock)  # [10:00, 11:00)
    await _hold(db, b, premise_id, 2, 60, clock)  # [11:00, 12:00): touches, does not overlap
    with pytest.raises(NoSpotFree):
        await _hold(db, b, premise_id, 1.75, 30, clock)  # [10:45, 11:15)


async def test_expired_hold_frees_the_spot_and_tells_the_driver(db: Database, clock: ManualClock) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    first = await _hold(db, a, premise_id, 1, 60, clock)
    clock.advance(timedelta(minutes=HOLD))
    second = await _hold(db, b, premise_id, 1, 60, clock)  # expires the stale hold itself
    assert second.spot_id == first.spot_id
    assert await _status(db, first.id) == ReservationStatus.EXPIRED
    assert await _kinds(db, a) == ["hold_expired"]


async def test_expire_holds_sweep_only_touches_lapsed_holds(db: Database, clock: ManualClock) -> None:
    premise_id, (a,) = await _setup(db, spots=2)
    old = await _hold(db, a, premise_id, 1, 60, clock)
    clock.advance(timedelta(minutes=5))
    fresh = await _hold(db, a, premise_id, 1, 60, clock)
    clock.advance(timedelta(minutes=5))
    async with db.transaction() as s:
        assert await booking.expire_holds(s, clock.now()) == [old.id]
    assert await _status(db, fresh.id) == ReservationStatus.PENDING_PAYMENT


async def test_cancelled_hold_frees_the_spot(db: Database, clock: ManualClock) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        await booking.cancel(s, r.id, user_id=a, now=clock.now())
    again = await _hold(db, b, premise_id, 1, 60, clock)
    assert again.spot_id == r.spot_id


async def test_confirm_is_idempotent_and_queues_one_notification(db: Database, clock: ManualClock) -> None:
    premise_id, (a,) = await _setup(db)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    for expected in (booking.ConfirmOutcome.CONFIRMED, booking.ConfirmOutcome.ALREADY_CONFIRMED):
        async with db.transaction() as s:
            assert await booking.confirm(s, r.id, clock.now()) == expected
    assert await _status(db, r.id) == ReservationStatus.CONFIRMED
    assert await _kinds(db, a) == ["booking_confirmed"]


async def test_late_payment_confirms_while_free_and_asks_refund_when_taken(
    db: Database, clock: ManualClock
) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    r1 = await _hold(db, a, premise_id, 1, 60, clock)
    clock.advance(timedelta(minutes=HOLD + 1))
    async with db.transaction() as s:
        await booking.expire_holds(s, clock.now())
        assert await booking.confirm(s, r1.id, clock.now()) == booking.ConfirmOutcome.CONFIRMED
    r2 = await _hold(db, b, premise_id, 3, 60, clock)
    clock.advance(timedelta(minutes=HOLD + 1))
    async with db.transaction() as s:
        await booking.expire_holds(s, clock.now())
    await _hold(db, a, premise_id, 3, 60, clock)  # someone takes the slot meanwhile
    async with db.transaction() as s:
        assert await booking.confirm(s, r2.id, clock.now()) == booking.ConfirmOutcome.NEEDS_REFUND
    assert await _status(db, r2.id) == ReservationStatus.EXPIRED


async def test_late_payment_moves_to_another_free_spot_of_the_premise(
    db: Database, clock: ManualClock
) -> None:
    premise_id, (a, b) = await _setup(db, spots=2, users=2)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    clock.advance(timedelta(minutes=HOLD + 1))
    taken = await _hold(db, b, premise_id, 1, 60, clock)
    assert taken.spot_id == r.spot_id
    async with db.transaction() as s:
        assert await booking.confirm(s, r.id, clock.now()) == booking.ConfirmOutcome.CONFIRMED
        moved = await s.get(Reservation, r.id)
        assert moved is not None and moved.spot_id != taken.spot_id


async def test_cancel_rules(db: Database, clock: ManualClock) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        await booking.confirm(s, r.id, clock.now())
    with pytest.raises(NotOwner):
        async with db.transaction() as s:
            await booking.cancel(s, r.id, user_id=b, now=clock.now())
    clock.set(T0 + H)  # the booking has started
    with pytest.raises(TooLateToCancel):
        async with db.transaction() as s:
            await booking.cancel(s, r.id, user_id=a, now=clock.now())
    assert await _status(db, r.id) == ReservationStatus.CONFIRMED


async def test_release_lets_an_unpaid_hold_go_but_never_a_paid_booking(
    db: Database, clock: ManualClock
) -> None:
    premise_id, (a, b) = await _setup(db, spots=2, users=2)
    unpaid = await _hold(db, a, premise_id, 1, 60, clock)
    with pytest.raises(NotOwner):
        async with db.transaction() as s:
            await booking.release_hold(s, unpaid.id, user_id=b, now=clock.now())
    async with db.transaction() as s:
        await booking.release_hold(s, unpaid.id, user_id=a, now=clock.now())
    assert await _status(db, unpaid.id) == ReservationStatus.CANCELLED

    # Paid from the wallet, then a late "Release the spot" from the old payment screen.
    paid = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        await wallet.credit(s, a, 250, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now())
        await pay_rules.pay_booking_with_wallet(s, reservation_id=paid.id, user_id=a, now=clock.now())
    with pytest.raises(InvalidTransition):
        async with db.transaction() as s:
            await booking.release_hold(s, paid.id, user_id=a, now=clock.now())
    assert await _status(db, paid.id) == ReservationStatus.CONFIRMED
    async with db.read() as s:
        assert await wallet.balance(s, a, "EUR") == 0  # nothing refunded
        refunds = await s.scalar(
            select(func.count()).where(
                WalletTransaction.user_id == a, WalletTransaction.kind == WalletTxKind.REFUND
            )
        )
    assert refunds == 0
    assert (await _kinds(db, a)).count("booking_cancelled") == 1  # the unpaid hold's only


async def test_cancel_refunds_wallet_payment_and_marks_card_refund_pending(
    db: Database, clock: ManualClock
) -> None:
    premise_id, (a,) = await _setup(db, spots=2)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        await wallet.credit(s, a, 1000, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now())
        await wallet.debit(s, a, 250, "EUR", kind=WalletTxKind.PAYMENT, reference="r", now=clock.now())
        s.add(
            Payment(
                user_id=a,
                reservation_id=r.id,
                purpose=PaymentPurpose.BOOKING,
                method=PaymentMethodKind.WALLET,
                amount=250,
                currency="EUR",
                status=PaymentStatus.SUCCEEDED,
            )
        )
        await booking.confirm(s, r.id, clock.now())
    async with db.transaction() as s:
        result = await booking.cancel(s, r.id, user_id=a, now=clock.now())
        assert result.refunded_to_wallet == 250
        assert await wallet.balance(s, a, "EUR") == 1000
    card = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        s.add(
            Payment(
                user_id=a,
                reservation_id=card.id,
                purpose=PaymentPurpose.BOOKING,
                method=PaymentMethodKind.CARD,
                amount=250,
                currency="EUR",
                status=PaymentStatus.SUCCEEDED,
                stripe_payment_intent_id="pi_1",
            )
        )
        await booking.confirm(s, card.id, clock.now())
    async with db.transaction() as s:
        result = await booking.cancel(s, card.id, user_id=a, now=clock.now())
        assert [p.status for p in result.card_refunds] == [PaymentStatus.REFUND_PENDING]


async def test_arrive_end_and_complete(db: Database, clock: ManualClock) -> None:
    premise_id, (a,) = await _setup(db, spots=2)
    async with db.transaction() as s:
        await guard_spots(s, premise_id)  # blockers: nobody lowering one is a no-show
    shown = await _hold(db, a, premise_id, 1, 60, clock)
    ghost = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        for r in (shown, ghost):
            await booking.confirm(s, r.id, clock.now())
    with pytest.raises(NotStarted):  # cannot end before the start
        async with db.transaction() as s:
            await booking.end_now(s, shown.id, user_id=a, now=clock.now())
    clock.set(T0 + 1.1 * H)
    async with db.transaction() as s:
        await booking.mark_arrived(s, shown.id, user_id=a, now=clock.now())
    clock.set(T0 + 2 * H)
    async with db.transaction() as s:
        done = await booking.complete_due(s, clock.now())
        assert {r.id: r.no_show for r in done} == {shown.id: False, ghost.id: True}
    async with db.transaction() as s:
        assert await booking.complete_due(s, clock.now()) == []
    assert await _kinds(db, a) == ["booking_confirmed"] * 2 + ["booking_completed"] * 2


async def test_end_now_frees_the_rest_of_the_slot(db: Database, clock: ManualClock) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    r = await _hold(db, a, premise_id, 0, 120, clock)
    async with db.transaction() as s:
        await booking.confirm(s, r.id, clock.now())
    clock.advance(timedelta(minutes=40))
    async with db.transaction() as s:
        ended = await booking.end_now(s, r.id, user_id=a, now=clock.now())
        assert ended.reservation.status == ReservationStatus.COMPLETED
    later = await _hold(db, b, premise_id, 1, 60, clock)
    assert later.spot_id == r.spot_id


async def test_extension_only_when_free_and_applied_once(db: Database, clock: ManualClock) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    r = await _hold(db, a, premise_id, 1, 60, clock)  # [10:00, 11:00)
    async with db.transaction() as s:
        await booking.confirm(s, r.id, clock.now())
        ext = await booking.request_extension(s, r.id, user_id=a, minutes=60, now=clock.now())
        assert ext.price == 250
    async with db.transaction() as s:
        assert await booking.apply_extension(s, ext.id, clock.now()) == booking.ExtensionOutcome.APPLIED
        assert (
            await booking.apply_extension(s, ext.id, clock.now()) == booking.ExtensionOutcome.ALREADY_APPLIED
        )
    async with db.read() as s:
        extended = await s.get(Reservation, r.id)
        assert extended is not None and extended.ends_at == T0 + 3 * H and extended.price == 500
    await _hold(db, b, premise_id, 3, 60, clock)  # [12:00, 13:00) right after
    with pytest.raises(SpotTaken):
        async with db.transaction() as s:
            await booking.request_extension(s, r.id, user_id=a, minutes=30, now=clock.now())
    with pytest.raises(NotOwner):
        async with db.transaction() as s:
            await booking.request_extension(s, r.id, user_id=b, minutes=30, now=clock.now())


async def test_paid_extension_fails_cleanly_when_someone_booked_meanwhile(
    db: Database, clock: ManualClock
) -> None:
    premise_id, (a, b) = await _setup(db, users=2)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    async with db.transaction() as s:
        await booking.confirm(s, r.id, clock.now())
        ext = await booking.request_extension(s, r.id, user_id=a, minutes=60, now=clock.now())
    await _hold(db, b, premise_id, 2, 30, clock)  # books the added hour before it is paid
    async with db.transaction() as s:
        assert await booking.apply_extension(s, ext.id, clock.now()) == booking.ExtensionOutcome.NOT_POSSIBLE
    async with db.read() as s:
        same = await s.get(Reservation, r.id)
        assert same is not None and same.ends_at == T0 + 2 * H


async def test_interval_rules_and_hold_limit(db: Database, clock: ManualClock) -> None:
    premise_id, (a,) = await _setup(db, spots=5)
    for minutes in (20, 45 + 1, 24 * 60 + 15):
        with pytest.raises(InvalidInterval):
            await _hold(db, a, premise_id, 1, minutes, clock)
    with pytest.raises(InvalidInterval):
        await _hold(db, a, premise_id, -1, 60, clock)
    with pytest.raises(InvalidInterval):
        await _hold(db, a, premise_id, 31 * 24, 60, clock)
    for _ in range(MAX_PENDING_HOLDS_PER_USER):
        await _hold(db, a, premise_id, 1, 60, clock)
    with pytest.raises(TooManyHolds):
        await _hold(db, a, premise_id, 1, 60, clock)


async def test_a_rolled_back_change_queues_no_notification(db: Database, clock: ManualClock) -> None:
    premise_id, (a,) = await _setup(db)
    r = await _hold(db, a, premise_id, 1, 60, clock)
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await booking.confirm(s, r.id, clock.now())
            raise RuntimeError("crash after the change, before commit")
    assert await _status(db, r.id) == ReservationStatus.PENDING_PAYMENT
    assert await _kinds(db, a) == []


@pytest.mark.slow
async def test_50_concurrent_overlapping_bookings_give_exactly_one_hold(
    db: Database, clock: ManualClock
) -> None:
    premise_id, users = await _setup(db, users=50)

    async def attempt(i: int) -> Reservation | None:
        try:
            # Overlapping but different intervals: all of them contain 11:00-11:30.
            return await _hold(db, users[i], premise_id, 1 + (i % 4) * 0.25, 90, clock)
        except NoSpotFree:
            return None

    results = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert sum(r is not None for r in results) == 1
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Reservation)) == 1
