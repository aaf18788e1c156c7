"""Booking use cases against a migrated SQLite file: each call is one unit of work and returns
what the front end shows (DESIGN.md §5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NotFound, SpotTaken, TooLateToCancel
from core.models import Payment, PaymentStatus, ReservationStatus
from core.pricing import RatePlan
from core.services import booking
from core.services import payments as pay_rules
from core.usecases.booking import BookingUseCases, Cancelled, ExtendOutcome, Released
from core.usecases.pricing import PricingUseCases
from tests.factories import make_user
from tests.usecases.support import balance, fund, paid_by_card, paid_from_wallet, place, reservation


class RefundCards:
    """The injected card-refund step (the payments adapter's process_refunds): counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        return 0


@pytest.fixture
def refund_cards() -> RefundCards:
    return RefundCards()


@pytest.fixture
def uc(db: Database, clock: ManualClock, settings: Settings, refund_cards: RefundCards) -> BookingUseCases:
    return BookingUseCases(db, clock, settings, refund_cards=refund_cards)


async def test_a_release_after_payment_is_refused_and_the_booking_stays(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    p = await place(db, clock)
    held = await uc.hold(user_id=p.user_id, premise_id=p.premise_id, starts_at=clock.now(), minutes=60)
    assert held.price == 200 and held.hold_expires_at == clock.now() + timedelta(minutes=10)
    await fund(db, clock, p.user_id, 200)
    async with db.transaction() as s:  # paid from another device while the payment screen is open
        await pay_rules.pay_booking_with_wallet(
            s, reservation_id=held.reservation_id, user_id=p.user_id, now=clock.now()
        )
    # The late tap on "Release the spot".
    assert await uc.release_hold(user_id=p.user_id, reservation_id=held.reservation_id) is Released.PAID
    assert (await reservation(db, held.reservation_id)).status == ReservationStatus.CONFIRMED
    assert await balance(db, p.user_id) == 0  # nothing refunded


async def test_releasing_a_hold_frees_it_once(db: Database, clock: ManualClock, uc: BookingUseCases) -> None:
    p = await place(db, clock)
    held = await uc.hold(user_id=p.user_id, premise_id=p.premise_id, starts_at=clock.now(), minutes=60)
    assert await uc.release_hold(user_id=p.user_id, reservation_id=held.reservation_id) is Released.RELEASED
    assert (await reservation(db, held.reservation_id)).status == ReservationStatus.CANCELLED
    assert await uc.release_hold(user_id=p.user_id, reservation_id=held.reservation_id) is Released.GONE
    stranger = await _stranger(db)
    with pytest.raises(NotFound):
        await uc.release_hold(user_id=stranger, reservation_id=held.reservation_id)


async def test_cancelling_before_the_start_refunds_the_wallet(
    db: Database, clock: ManualClock, uc: BookingUseCases, refund_cards: RefundCards
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(hours=2), 60)
    assert await balance(db, p.user_id) == 0
    cancelled = await uc.cancel(user_id=p.user_id, reservation_id=rid)
    assert cancelled == Cancelled(rid, "EUR", refunded_to_wallet=200, refund_to_card=0)
    assert (await reservation(db, rid)).status == ReservationStatus.CANCELLED
    assert await balance(db, p.user_id) == 200
    assert refund_cards.calls == 0  # nothing owed to a card


async def test_cancelling_a_card_payment_hands_the_refund_to_the_payments_adapter(
    db: Database, clock: ManualClock, settings: Settings, uc: BookingUseCases, refund_cards: RefundCards
) -> None:
    p = await place(db, clock)
    rid = await paid_by_card(db, clock, p, clock.now() + timedelta(hours=2), 60)
    cancelled = await uc.cancel(user_id=p.user_id, reservation_id=rid)
    assert cancelled.refund_to_card == 200 and cancelled.refunded_to_wallet == 0
    assert refund_cards.calls == 1  # after the cancellation committed
    async with db.read() as s:
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
    assert (
        payment is not None and payment.status == PaymentStatus.REFUND_PENDING
    )  # the adapter (here a counter) sends it
    # Without card payments configured the refund waits for the refund job.
    rid2 = await paid_by_card(db, clock, p, clock.now() + timedelta(hours=5), 60)
    without = BookingUseCases(db, clock, settings)
    assert (await without.cancel(user_id=p.user_id, reservation_id=rid2)).refund_to_card == 200
    assert refund_cards.calls == 1


async def test_after_the_start_cancel_is_refused_and_end_now_completes(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    clock.advance(timedelta(minutes=20))
    details = await uc.details(user_id=p.user_id, reservation_id=rid)
    assert (details.can_cancel, details.can_end_now) == (False, True)
    with pytest.raises(TooLateToCancel):
        await uc.cancel(user_id=p.user_id, reservation_id=rid)
    assert (await reservation(db, rid)).status == ReservationStatus.CONFIRMED
    assert await balance(db, p.user_id) == 0
    ended = await uc.end_now(user_id=p.user_id, reservation_id=rid)
    assert ended.ends_at == clock.now()
    r = await reservation(db, rid)
    assert r.status == ReservationStatus.COMPLETED and r.ends_at == clock.now()


async def test_a_stay_ended_on_a_second_lasts_whole_minutes_and_its_screen_prices_it(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    """Ended 20 min 30 s in: the stay ends after 20 whole minutes, and the booking's screen
    prices it with its plan (an end on the second made that screen fail)."""
    p = await place(db, clock)
    await PricingUseCases(db, clock).set_plan(p.premise_id, RatePlan(base_per_hour=200, currency="EUR"))
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    assert (await reservation(db, rid)).rate_plan_id is not None
    clock.advance(timedelta(minutes=20, seconds=30, microseconds=250))
    ended = await uc.end_now(user_id=p.user_id, reservation_id=rid)
    r = await reservation(db, rid)
    assert ended.ends_at == r.ends_at == r.starts_at + timedelta(minutes=20)
    details = await uc.details(user_id=p.user_id, reservation_id=rid)
    assert details.reservation.status == ReservationStatus.COMPLETED


async def test_details_say_what_the_rules_allow(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    p = await place(db, clock)
    held = await uc.hold(
        user_id=p.user_id, premise_id=p.premise_id, starts_at=clock.now() + timedelta(hours=1), minutes=60
    )
    d = await uc.details(user_id=p.user_id, reservation_id=held.reservation_id)
    assert (d.can_pay, d.can_cancel, d.can_end_now, d.can_lower) == (True, True, False, False)
    assert (d.refund_wallet, d.refund_card) == (0, 0)
    clock.advance(timedelta(minutes=10))  # the hold ran out; the sweep has not run yet
    d = await uc.details(user_id=p.user_id, reservation_id=held.reservation_id)
    assert d.can_pay is False
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(hours=3), 60)
    d = await uc.details(user_id=p.user_id, reservation_id=rid)
    assert (d.can_pay, d.can_cancel, d.can_end_now, d.can_lower) == (False, True, False, False)
    assert (d.refund_wallet, d.refund_card) == (200, 0)
    clock.advance(timedelta(hours=3) - timedelta(minutes=15))  # the early-arrival window opens
    d = await uc.details(user_id=p.user_id, reservation_id=rid)
    assert d.can_lower is True


async def test_place_is_the_booking_where_it_is_for_its_owner_only(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    p = await place(db, clock)
    held = await uc.hold(
        user_id=p.user_id, premise_id=p.premise_id, starts_at=clock.now() + timedelta(hours=1), minutes=60
    )
    where = await uc.place(user_id=p.user_id, reservation_id=held.reservation_id)
    d = await uc.details(user_id=p.user_id, reservation_id=held.reservation_id)
    assert (where.reservation.id, where.spot.id) == (d.reservation.id, d.spot.id)
    assert where.premise.id == p.premise_id
    with pytest.raises(NotFound):
        await uc.place(user_id=await _stranger(db), reservation_id=held.reservation_id)


async def _stranger(db: Database) -> int:
    async with db.transaction() as s:
        return (await make_user(s, telegram_id=7999)).id


async def _started_booking(db: Database, clock: ManualClock) -> tuple[int, int, int]:
    """A paid booking that started half an hour ago: (user id, reservation id, premise id)."""
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 60)
    clock.advance(timedelta(minutes=30))  # the reminder's moment
    return p.user_id, rid, p.premise_id


async def test_extend_is_paid_from_the_wallet_when_it_covers_the_price(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    user_id, rid, _premise_id = await _started_booking(db, clock)
    end = (await reservation(db, rid)).ends_at
    await fund(db, clock, user_id, 150)
    extended = await uc.extend(user_id=user_id, reservation_id=rid, minutes=30, reminded_end=end)
    assert extended.outcome is ExtendOutcome.PAID_FROM_WALLET
    assert (extended.ends_at, extended.price, extended.timezone) == (
        end + timedelta(minutes=30),
        100,
        "Europe/Kyiv",
    )
    assert (await reservation(db, rid)).ends_at == end + timedelta(minutes=30)
    assert await balance(db, user_id) == 50


async def test_extend_needs_a_payment_when_the_wallet_is_short(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    user_id, rid, _premise_id = await _started_booking(db, clock)
    end = (await reservation(db, rid)).ends_at
    await fund(db, clock, user_id, 99)
    extended = await uc.extend(user_id=user_id, reservation_id=rid, minutes=30, reminded_end=end)
    assert extended.outcome is ExtendOutcome.NEEDS_PAYMENT
    assert extended.extension_id is not None and (extended.price, extended.balance) == (100, 99)
    assert (await reservation(db, rid)).ends_at == end  # it moves once paid
    assert await balance(db, user_id) == 99


async def test_extend_is_refused_when_the_next_booking_has_the_spot(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    user_id, rid, premise_id = await _started_booking(db, clock)
    end = (await reservation(db, rid)).ends_at
    other = await _stranger(db)
    async with db.transaction() as s:
        await booking.hold(
            s,
            user_id=other,
            premise_id=premise_id,
            starts_at=end,
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
    await fund(db, clock, user_id, 500)
    with pytest.raises(SpotTaken):
        await uc.extend(user_id=user_id, reservation_id=rid, minutes=30, reminded_end=end)
    assert (await reservation(db, rid)).ends_at == end
    assert await balance(db, user_id) == 500


async def test_extend_from_an_old_reminder_changes_nothing(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    user_id, rid, _premise_id = await _started_booking(db, clock)
    end = (await reservation(db, rid)).ends_at
    await fund(db, clock, user_id, 500)
    extended = await uc.extend(
        user_id=user_id, reservation_id=rid, minutes=30, reminded_end=end - timedelta(minutes=15)
    )
    assert (extended.outcome, extended.ends_at, extended.extension_id) == (ExtendOutcome.STALE, end, None)
    assert await balance(db, user_id) == 500


async def test_the_lists_keep_past_for_what_happened_and_cancelled_apart(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    from core.services.catalog import BookingScope

    p = await place(db, clock)
    ended = await paid_from_wallet(db, clock, p, clock.now(), 60)
    later = await paid_from_wallet(db, clock, p, clock.now() + timedelta(days=1), 60)
    await uc.cancel(user_id=p.user_id, reservation_id=later)  # a cancelled booking still ahead
    clock.advance(timedelta(hours=2))
    async with db.transaction() as s:
        await booking.complete_due(s, clock.now())

    async def ids(scope: BookingScope) -> list[int]:
        page = await uc.bookings(user_id=p.user_id, scope=scope)
        return [v.reservation.id for v in page.items]

    assert await ids(BookingScope.PAST) == [ended]
    assert await ids(BookingScope.CANCELLED) == [later]
    assert await ids(BookingScope.UPCOMING) == []
    # Opened without a tab: nothing in progress, so the upcoming tab (empty, but not the only one).
    first = await uc.bookings(user_id=p.user_id, scope=None)
    assert first.scope is BookingScope.UPCOMING and first.items == [] and first.any_at_all


async def test_extend_choices_offer_what_is_still_possible_once_parked(
    db: Database, clock: ManualClock, uc: BookingUseCases
) -> None:
    p = await place(db, clock)
    r = await paid_from_wallet(db, clock, p, clock.now(), 60)
    choices = await uc.extension_choices(user_id=p.user_id, reservation_id=r)
    assert [(o.minutes, o.price) for o in choices.options] == [(30, 100), (60, 200), (120, 400)]
    assert choices.spot and choices.premise_name and choices.next_starts_at is None
    clock.advance(timedelta(hours=1))  # over: nothing to extend
    assert (await uc.extension_choices(user_id=p.user_id, reservation_id=r)).options == []
