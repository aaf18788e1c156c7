"""Pricing use cases: a premise's rate plan as the operator console shows and changes it, a
quote preview for a sample stay before saving, and a driver's quote as its line items.

The rules are core/pricing.py; plans are versioned (core/services/pricing.py): saving one makes
a new version in force from now, bookings keep the version they were priced with, and
`premises.price_per_hour` follows as the plan's "from" price for search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database
from core.errors import NotFound
from core.models import Premise
from core.pricing import Priced, RatePlan, price_stay, validate
from core.rules import check_duration
from core.services import availability
from core.services import pricing as plans


@dataclass(frozen=True, slots=True)
class CurrentPlan:
    premise_id: int
    plan: RatePlan
    plan_id: int | None  # None: nothing stored yet, the plain plan of the hourly price
    version: int
    timezone: str  # the premise's: period times are local to it


class PricingUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def current_plan(self, premise_id: int) -> CurrentPlan:
        """The plan in force now. Raises NotFound."""
        async with self.db.read() as s:
            premise = await _premise(s, premise_id)
            current = await plans.plan_in_force(s, premise, self.clock.now())
            return CurrentPlan(premise.id, current.plan, current.plan_id, current.version, premise.timezone)

    async def set_plan(self, premise_id: int, plan: RatePlan) -> CurrentPlan:
        """Saves `plan` as the premise's next version, in force from now (bookings made before
        keep theirs). Raises RatePlanBadAmount, RatePlanCapTooLow, RatePlanBadPeriod (all
        InvalidRatePlan), CurrencyMismatch or NotFound."""
        validate(plan)
        async with self.db.transaction() as s:
            premise = await _premise(s, premise_id)
            stored = await plans.store_plan(s, premise, plan, self.clock.now())
            return CurrentPlan(premise.id, stored.plan, stored.plan_id, stored.version, premise.timezone)

    def preview(self, plan: RatePlan, starts_at: datetime, minutes: int, tz: str) -> Priced:
        """What a sample stay would cost under a plan not saved yet, line by line. Raises the
        InvalidRatePlan kinds, or InvalidInterval for a stay no driver can book."""
        validate(plan)
        check_duration(minutes)
        return price_stay(plan, starts_at, starts_at + timedelta(minutes=minutes), tz)

    async def quote(self, premise_id: int, starts_at: datetime, minutes: int) -> Priced:
        """A driver's price for a stay at the premise under the plan in force, line by line (the
        booking screen's quote). Raises InvalidInterval, ClosedAtThatTime or NotFound."""
        async with self.db.read() as s:
            q = await availability.quote(s, premise_id, starts_at, minutes, self.clock.now())
        return Priced(total=q.price, currency=q.currency, lines=q.lines)


async def _premise(session: AsyncSession, premise_id: int) -> Premise:
    premise = await session.get(Premise, premise_id)
    if premise is None:
        raise NotFound(f"premise {premise_id}")
    return premise
