"""Rate plans through the use cases: an extension under the daily cap, the reminder's offers,
and the booking's line items (core/pricing.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import Notification, Payment
from core.pricing import RatePlan
from core.services import reminders
from core.usecases.booking import BookingUseCases, ExtendOutcome
from core.usecases.pricing import PricingUseCases
from tests.usecases.support import balance, fund, paid_from_wallet, place, reservation

# 3.00 for the first hour, then 2.00 an hour, never more than 10.00 a day.
PLAN = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, daily_cap=1000)


async def test_an_extension_past_the_daily_cap_costs_nothing_and_applies_at_once(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    p = await place(db, clock)
    await PricingUseCases(db, clock).set_plan(p.premise_id, PLAN)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 6 * 60)  # 3.00 + 5 × 2.00 = 13.00 → 10.00
    assert (await reservation(db, rid)).price == 1000
    uc = BookingUseCases(db, clock, settings)
    details = await uc.details(user_id=p.user_id, reservation_id=rid)
    assert [line.kind.value for line in details.price_lines] == ["first_hour", "base", "cap"]

    clock.advance(timedelta(hours=5, minutes=40))  # the reminder's moment
    async with db.transaction() as s:
        assert await reminders.send_due_reminders(s, clock.now(), reminder_minutes=30)
        offer = (await s.scalars(select(Notification).where(Notification.kind == "booking_reminder"))).one()
    assert {o["price"] for o in offer.payload["options"]} == {0}  # the cap is reached

    end = (await reservation(db, rid)).ends_at
    extended = await uc.extend(user_id=p.user_id, reservation_id=rid, minutes=60, reminded_end=end)
    assert (extended.outcome, extended.price) == (ExtendOutcome.FREE, 0)
    booked = await reservation(db, rid)
    assert (booked.ends_at, booked.price) == (end + timedelta(hours=1), 1000)
    async with db.read() as s:
        assert len(list(await s.scalars(select(Payment)))) == 1  # the booking's only: nothing for 0
    assert await balance(db, p.user_id) == 0


async def test_an_extension_before_the_cap_pays_the_difference_from_the_wallet(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    p = await place(db, clock)
    await PricingUseCases(db, clock).set_plan(p.premise_id, PLAN)
    rid = await paid_from_wallet(db, clock, p, clock.now(), 3 * 60)  # 3.00 + 2 × 2.00 = 7.00
    clock.advance(timedelta(hours=2, minutes=40))
    await fund(db, clock, p.user_id, 500)
    end = (await reservation(db, rid)).ends_at
    uc = BookingUseCases(db, clock, settings)
    # Two more hours would be 4.00, but only 3.00 is left to the cap.
    extended = await uc.extend(user_id=p.user_id, reservation_id=rid, minutes=120, reminded_end=end)
    assert (extended.outcome, extended.price) == (ExtendOutcome.PAID_FROM_WALLET, 300)
    assert (await reservation(db, rid)).price == 1000
    assert await balance(db, p.user_id) == 200
