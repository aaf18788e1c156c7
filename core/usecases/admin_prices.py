"""The operator console's Prices section (DESIGN.md §5 "Prices", §11): a premise's rate plan as
the console shows it, a quote preview of sample stays for a plan not saved yet, and saving a
plan as the premise's next version.

Every method follows core/usecases/admin.py's pattern (AdminUseCases' `_view` / `_action`):
the caller's role at the premise is found in the database and must allow MANAGE_PRICES (a
forged callback is refused and audited here, whatever the screens hide); saving writes the
audit entry, with the plan before and after, in the transaction that stores the version.
Storing goes through core/services/pricing.py, which keeps the version numbering and
`premises.price_per_hour` in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Premise
from core.permissions import Permission
from core.pricing import Priced, RatePlan, price_stay, validate
from core.services import pricing as plans
from core.usecases.admin import AdminUseCases

# The sample stays the console prices before saving: (name, minutes), each from now, and a
# night from the next 22:00 to 07:00 (local to the premise).
SAMPLE_HOURS = (("hour", 60), ("three_hours", 180))
NIGHT_FROM, NIGHT_TO = time(22, 0), time(7, 0)
SAMPLE_DAY = ("day", 24 * 60)


@dataclass(frozen=True, slots=True)
class PricePlan:
    """A premise's plan in force, as the console shows it."""

    premise_id: int
    name: str
    plan: RatePlan
    version: int  # the version in force (1 for the plain plan of a premise never changed)
    timezone: str  # the premise's: period times are local to it

    @property
    def next_version(self) -> int:
        return self.version + 1


@dataclass(frozen=True, slots=True)
class SampleStay:
    name: str  # hour, three_hours, night, day
    starts_at: datetime
    ends_at: datetime
    priced: Priced


def plan_json(plan: RatePlan, version: int | None = None) -> dict[str, Any]:
    """A plan as the audit log records it."""
    data: dict[str, Any] = {
        "base_per_hour": plan.base_per_hour,
        "first_hour": plan.first_hour,
        "daily_cap": plan.daily_cap,
        "periods": plan.periods_json(),
        "currency": plan.currency,
    }
    if version is not None:
        data = {"version": version, **data}
    return data


def sample_stays(now: datetime, tz: str) -> list[tuple[str, datetime, datetime]]:
    """The stays a preview prices: 1 h and 3 h from now, the next night 22:00–07:00 and 24 h
    from now, in the premise's zone (a night's real length follows daylight saving)."""
    zone = ZoneInfo(tz)
    start = now.replace(second=0, microsecond=0)
    stays = [(name, start, start + timedelta(minutes=minutes)) for name, minutes in SAMPLE_HOURS]
    local = start.astimezone(zone)
    evening = datetime.combine(local.date(), NIGHT_FROM, zone)
    if evening < local:
        evening = datetime.combine(local.date() + timedelta(days=1), NIGHT_FROM, zone)
    morning = datetime.combine(evening.date() + timedelta(days=1), NIGHT_TO, zone)
    stays.append(("night", evening, morning))
    name, minutes = SAMPLE_DAY
    stays.append((name, start, start + timedelta(minutes=minutes)))
    return stays


class AdminPriceUseCases:
    """The Prices section's actions, checked and audited by the console's own `AdminUseCases`."""

    def __init__(self, admin: AdminUseCases) -> None:
        self.admin = admin

    async def _premise(self, s: AsyncSession, premise_id: int) -> Premise:
        premise = await s.get(Premise, premise_id)
        if premise is None:  # _check found it; deleted since would be a race
            raise NotFound(f"premise {premise_id}")
        return premise

    async def price_plan(self, actor_id: int, premise_id: int) -> PricePlan:
        """The plan in force at the premise. Raises NotPermitted (audited) or NotFound."""
        async with self.admin._view(actor_id, premise_id, Permission.MANAGE_PRICES, "prices.view") as (s, _):
            premise = await self._premise(s, premise_id)
            current = await plans.plan_in_force(s, premise, self.admin.clock.now())
            return PricePlan(premise.id, premise.name, current.plan, current.version, premise.timezone)

    async def preview_price(
        self, actor_id: int, premise_id: int, plan: RatePlan, starts: datetime | None = None
    ) -> list[SampleStay]:
        """What the sample stays (see `sample_stays`, from `starts` or now) would cost under
        `plan`, saved or not, line by line. Raises NotPermitted (audited), NotFound or the
        InvalidRatePlan kinds."""
        async with self.admin._view(actor_id, premise_id, Permission.MANAGE_PRICES, "prices.preview") as (
            s,
            _,
        ):
            premise = await self._premise(s, premise_id)
            tz = premise.timezone
        validate(plan)
        return [
            SampleStay(name, begin, end, price_stay(plan, begin, end, tz))
            for name, begin, end in sample_stays(starts or self.admin.clock.now(), tz)
        ]

    async def save_price_plan(self, actor_id: int, premise_id: int, plan: RatePlan) -> PricePlan:
        """Stores `plan` as the premise's next version, in force from now (bookings made before
        keep the version they were priced with), audited as `prices.set` with the plan before
        and after. Raises NotPermitted, NotFound, the InvalidRatePlan kinds or CurrencyMismatch
        (each audited as a refusal)."""
        now = self.admin.clock.now()
        async with self.admin._action(actor_id, premise_id, Permission.MANAGE_PRICES, "prices.set") as (
            s,
            audit,
        ):
            premise = await self._premise(s, premise_id)
            # A premise never changed has its hourly price as an unstored version 1: stored
            # now, so the history keeps it and the new plan is version 2, as the console said.
            before = await plans.ensure_plan(s, premise, now)
            audit.before = plan_json(before.plan, before.version)
            stored = await plans.store_plan(s, premise, plan, now)
            audit.after = plan_json(stored.plan, stored.version)
            result = PricePlan(premise.id, premise.name, stored.plan, stored.version, premise.timezone)
        return result
