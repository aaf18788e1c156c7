"""Which spots are free for an interval, and what it costs."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.util import AliasedClass

from core.blockers import blocker_unhealthy
from core.errors import NotFound
from core.models import (
    HOLDING_STATUSES,
    Blocker,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
    UtcDateTime,
)
from core.opening_hours import require_open
from core.pricing import PriceLine
from core.rules import Interval, booking_interval
from core.services.pricing import PlanInForce, plan_in_force, price_with


def holds_spot(
    now: datetime | ColumnElement[datetime], of: type[Reservation] | AliasedClass[Reservation] = Reservation
) -> ColumnElement[bool]:
    """A reservation that keeps its spot: paid or active, or an unpaid hold still running.
    `of`: an alias of the reservations, for a query that compares two of them."""
    return and_(
        of.status.in_(HOLDING_STATUSES),
        or_(
            of.status != ReservationStatus.PENDING_PAYMENT,
            of.hold_expires_at > now,
        ),
    )


def overlapping(interval: Interval) -> ColumnElement[bool]:
    return overlapping_bounds(interval.starts_at, interval.ends_at)


def overlapping_bounds(
    starts_at: datetime | ColumnElement[datetime], ends_at: datetime | ColumnElement[datetime]
) -> ColumnElement[bool]:
    # Half-open intervals: [10:00, 11:00) and [11:00, 12:00) do not overlap.
    return and_(Reservation.starts_at < ends_at, Reservation.ends_at > starts_at)


def spot_on_sale(starts_at: datetime | ColumnElement[datetime] | None = None) -> ColumnElement[bool]:
    """The one place that says whether a spot may be sold at all: an active spot whose blocker,
    if it has one, is online, not faulty and charged. A spot closed until a time is on sale
    again for a stay starting then or later (given `starts_at`)."""
    unhealthy_blocker = exists().where(Blocker.spot_id == Spot.id, blocker_unhealthy())
    open_spot: ColumnElement[bool] = Spot.is_active.is_(True)
    if starts_at is not None:
        open_spot = or_(open_spot, and_(Spot.closed_until.is_not(None), Spot.closed_until <= starts_at))
    return and_(open_spot, ~unhealthy_blocker)


def _spot_is_free(
    starts_at: datetime | ColumnElement[datetime],
    ends_at: datetime | ColumnElement[datetime],
    now: datetime | ColumnElement[datetime],
) -> ColumnElement[bool]:
    taken = exists().where(
        Reservation.spot_id == Spot.id, overlapping_bounds(starts_at, ends_at), holds_spot(now)
    )
    return and_(spot_on_sale(starts_at), ~taken)


def free_spot_count_of(
    premise_id: ColumnElement[int] | InstrumentedAttribute[int],
    starts_at: ColumnElement[datetime],
    ends_at: ColumnElement[datetime],
    now: ColumnElement[datetime],
) -> ScalarSelect[int]:
    """Free spots of the premise in the enclosing query (a correlated subquery)."""
    return (
        select(func.count(Spot.id))
        .where(Spot.premise_id == premise_id, _spot_is_free(starts_at, ends_at, now))
        .scalar_subquery()
    )


# The free-spot statements every quote and booking runs, built once with their cache keys
# (their tree of EXISTS and conditions costs more to build and key than to look up compiled).
_STARTS, _ENDS, _NOW = (bindparam(name, type_=UtcDateTime()) for name in ("starts", "ends", "now"))
_FREE_COUNTS = (
    select(Spot.premise_id, func.count())
    .where(Spot.premise_id.in_(bindparam("premise_ids", expanding=True)), _spot_is_free(_STARTS, _ENDS, _NOW))
    .group_by(Spot.premise_id)
)
_FREE_IDS = (
    select(Spot.id)
    .where(
        Spot.premise_id == bindparam("premise_id"),
        Spot.id.not_in(bindparam("excluding", expanding=True)),
        _spot_is_free(_STARTS, _ENDS, _NOW),
    )
    # The order spots were added in, as the console lists them: after A1 comes A2, which
    # labels sorted as text would put after A10.
    .order_by(Spot.id)
)
_FIRST_FREE = _FREE_IDS.limit(1)


def _times(interval: Interval, now: datetime) -> dict[str, datetime]:
    return {"starts": interval.starts_at, "ends": interval.ends_at, "now": now}


async def free_spot_counts(
    session: AsyncSession, premise_ids: Iterable[int], interval: Interval, now: datetime
) -> dict[int, int]:
    ids = list(premise_ids)
    if not ids:
        return {}
    rows = await session.execute(_FREE_COUNTS, {"premise_ids": ids, **_times(interval, now)})
    counts = {pid: 0 for pid in ids}
    counts.update({pid: n for pid, n in rows.tuples()})
    return counts


async def free_spot_ids(
    session: AsyncSession,
    premise_id: int,
    interval: Interval,
    now: datetime,
    *,
    excluding: Collection[int] = (),
    limit: int | None = None,
) -> list[int]:
    """The free spots of the premise, in the order they were added, leaving out `excluding`;
    at most `limit` of them (a booking takes the first: it need not read a car park's
    hundreds of spots)."""
    statement = _FREE_IDS if limit is None else _FIRST_FREE if limit == 1 else _FREE_IDS.limit(limit)
    values = {"premise_id": premise_id, "excluding": sorted(excluding), **_times(interval, now)}
    return list(await session.scalars(statement, values))


async def is_spot_free(
    session: AsyncSession,
    spot_id: int,
    interval: Interval,
    now: datetime,
    *,
    ignore_reservation_id: int | None = None,
) -> bool:
    conditions = [Reservation.spot_id == spot_id, overlapping(interval), holds_spot(now)]
    if ignore_reservation_id is not None:
        conditions.append(Reservation.id != ignore_reservation_id)
    taken = await session.scalar(select(exists().where(*conditions)))
    return not taken


async def next_booking_on_spot(
    session: AsyncSession, spot_id: int, after: datetime, now: datetime
) -> Reservation | None:
    """The first holding reservation of the spot that starts at or after `after`."""
    found: Reservation | None = await session.scalar(
        select(Reservation)
        .where(Reservation.spot_id == spot_id, Reservation.starts_at >= after, holds_spot(now))
        .order_by(Reservation.starts_at)
        .limit(1)
    )
    return found


@dataclass(frozen=True, slots=True)
class Quote:
    premise_id: int
    interval: Interval
    price: int
    currency: str
    free_spots: int
    # What the driver sees of the price: its lines under the plan in force (core/pricing.py).
    lines: tuple[PriceLine, ...] = ()


async def quote(
    session: AsyncSession,
    premise_id: int,
    starts_at: datetime,
    minutes: int,
    now: datetime,
    *,
    plan: PlanInForce | None = None,
) -> Quote:
    """Price and free spots for a booking request; raises InvalidInterval, ClosedAtThatTime or
    NotFound. `plan`: the premise's plan in force now, when the caller has read it already."""
    premise = await session.get(Premise, premise_id)
    if premise is None or not premise.is_active:
        raise NotFound(f"premise {premise_id}")
    interval = booking_interval(starts_at, minutes, now)
    require_open(premise, interval.starts_at, interval.ends_at)
    counts = await free_spot_counts(session, [premise_id], interval, now)
    current = plan if plan is not None else await plan_in_force(session, premise, now)
    priced = price_with(current, premise, interval.starts_at, interval.ends_at)
    return Quote(
        premise_id=premise_id,
        interval=interval,
        price=priced.total,
        currency=priced.currency,
        free_spots=counts[premise_id],
        lines=priced.lines,
    )
