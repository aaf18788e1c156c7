"""Rate plans in the database: the version in force, storing a new one, pricing a stay with it
(the rules themselves are core/pricing.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import CurrencyMismatch
from core.models import Premise, RatePlanVersion
from core.pricing import Priced, RatePlan, price_stay, validate


@dataclass(frozen=True, slots=True)
class PlanInForce:
    """A premise's plan and its stored version (None: no version stored yet, the plain plan
    of `price_per_hour`, which `ensure_plan` stores as version 1 when a booking needs its id)."""

    plan: RatePlan
    plan_id: int | None
    version: int


# Every quote and booking reads it: built once (with its cache key), not per call.
_LATEST = (
    select(RatePlanVersion)
    .where(
        RatePlanVersion.premise_id == bindparam("premise_id"),
        RatePlanVersion.valid_from <= bindparam("now"),
    )
    .order_by(RatePlanVersion.version.desc())
    .limit(1)
)


async def _latest(session: AsyncSession, premise_id: int, now: datetime) -> RatePlanVersion | None:
    found: RatePlanVersion | None = await session.scalar(_LATEST, {"premise_id": premise_id, "now": now})
    return found


async def plan_in_force(session: AsyncSession, premise: Premise, now: datetime) -> PlanInForce:
    row = await _latest(session, premise.id, now)
    if row is None:
        # A premise created after the migration (seed-demo, a script) has no stored plan yet:
        # its hourly price is its plan.
        return PlanInForce(RatePlan.plain(premise.price_per_hour, premise.currency), None, 1)
    return PlanInForce(row.plan(), row.id, row.version)


async def ensure_plan(session: AsyncSession, premise: Premise, now: datetime) -> PlanInForce:
    """The plan in force, stored: a premise without a version gets version 1 from its hourly
    price, so the booking can record the id it was priced with."""
    current = await plan_in_force(session, premise, now)
    if current.plan_id is not None:
        return current
    valid_from = min(premise.created_at, now) if premise.created_at else now
    try:
        async with session.begin_nested():
            row = _row(premise, current.plan, 1, valid_from, now)
            session.add(row)
            await session.flush()
    except IntegrityError:
        # Version 1 exists: stored meanwhile by another transaction, or valid only from a moment
        # after `now` (another process's clock a little ahead, or a caller pricing a past
        # moment). Either way it is the hourly price this premise always had: that is the plan.
        first = await session.scalar(
            select(RatePlanVersion).where(
                RatePlanVersion.premise_id == premise.id, RatePlanVersion.version == 1
            )
        )
        assert first is not None
        return PlanInForce(first.plan(), first.id, 1)
    return PlanInForce(current.plan, row.id, 1)


def _row(
    premise: Premise, plan: RatePlan, version: int, valid_from: datetime, now: datetime
) -> RatePlanVersion:
    return RatePlanVersion(
        premise_id=premise.id,
        version=version,
        valid_from=valid_from,
        base_per_hour=plan.base_per_hour,
        first_hour=plan.first_hour,
        daily_cap=plan.daily_cap,
        periods=plan.periods_json(),
        currency=plan.currency,
        created_at=now,
    )


async def plan_by_id(session: AsyncSession, plan_id: int) -> RatePlan | None:
    row = await session.get(RatePlanVersion, plan_id)
    return row.plan() if row is not None else None


async def store_plan(session: AsyncSession, premise: Premise, plan: RatePlan, now: datetime) -> PlanInForce:
    """A new version of the premise's plan, in force from `now`; `price_per_hour` follows as
    the plan's "from" price. Raises InvalidRatePlan's kinds or CurrencyMismatch."""
    validate(plan)
    if plan.currency != premise.currency:
        raise CurrencyMismatch(f"the premise charges {premise.currency}, not {plan.currency}")
    # The row lock orders concurrent writers of one premise's plan (versions stay 1, 2, 3…).
    await session.scalar(select(Premise.id).where(Premise.id == premise.id).with_for_update())
    latest = await session.scalar(
        select(RatePlanVersion.version)
        .where(RatePlanVersion.premise_id == premise.id)
        .order_by(RatePlanVersion.version.desc())
        .limit(1)
    )
    row = _row(premise, plan, (latest or 0) + 1, now, now)
    session.add(row)
    premise.price_per_hour = plan.from_price
    await session.flush()
    return PlanInForce(plan, row.id, row.version)


def price_with(current: PlanInForce, premise: Premise, starts_at: datetime, ends_at: datetime) -> Priced:
    return price_stay(current.plan, starts_at, ends_at, premise.timezone)
