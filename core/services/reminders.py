"""Reminders before a booking ends: with the extensions that are still possible, or, when
someone booked the spot next, the time the driver must leave by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, aliased

from core.models import Premise, RatePlanVersion, Reservation, Spot
from core.notifications import NotificationKind
from core.opening_hours import is_open
from core.pricing import RatePlan, price_stay
from core.rules import ENDABLE, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES
from core.services import outbox
from core.services.availability import holds_spot
from core.services.booking import extension_plan
from core.services.pricing import plan_in_force

EXTENSION_CHOICES = (30, 60, 120)


def reminder_due_at(starts_at: datetime, ends_at: datetime, reminder_minutes: int) -> datetime:
    """When the "ends soon" reminder goes: `reminder_minutes` before the end, but never before
    half of the stay has passed. A short stay would otherwise be reminded at (or before) its
    start, right after its confirmation; stays last 30 minutes or more, so the reminder comes
    at least 15 minutes after the start (a 30-minute booking: 15 minutes before its end).
    The reminder sweep says the same in SQL (`_half_way_passed`)."""
    return max(ends_at - timedelta(minutes=reminder_minutes), starts_at + (ends_at - starts_at) / 2)


async def send_due_reminders(
    session: AsyncSession, now: datetime, *, reminder_minutes: int, limit: int = 500
) -> list[int]:
    """Queues one reminder per booking whose reminder is due (reminder_due_at). A booking is
    reminded again only after its end moved (an extension clears `reminded_at`).

    One batch of at most `limit` bookings: claimed in one statement (UPDATE … WHERE id IN
    (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …, so sweeps in several processes take
    different bookings), what the reminders say read for the whole batch in a few queries,
    and the reminders queued in one INSERT, in the caller's transaction."""
    due = (
        select(Reservation.id)
        .where(
            Reservation.status.in_(ENDABLE),
            Reservation.reminded_at.is_(None),
            Reservation.ends_at > now,
            Reservation.ends_at <= now + timedelta(minutes=reminder_minutes),
            # Half of the shortest stay: lets the index narrow the rows; the exact rule follows.
            Reservation.starts_at <= now - timedelta(minutes=MIN_DURATION_MINUTES / 2),
            _half_way_passed(session, now),
        )
        .order_by(Reservation.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        await session.execute(
            update(Reservation)
            # Checked again on the row itself: one changed since it was read is left alone.
            .where(
                Reservation.id.in_(due),
                Reservation.reminded_at.is_(None),
                Reservation.status.in_(ENDABLE),
            )
            .values(reminded_at=now)
            .returning(
                Reservation.id,
                Reservation.user_id,
                Reservation.spot_id,
                Reservation.starts_at,
                Reservation.ends_at,
                Reservation.rate_plan_id,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    ids = [r.id for r in claimed]
    for loaded in [o for o in session.identity_map.values() if isinstance(o, Reservation) and o.id in ids]:
        await session.refresh(loaded)
    around = await _around(session, ids, now)
    premises = {
        p.id: p
        for p in await session.scalars(select(Premise).where(Premise.id.in_({a[0] for a in around.values()})))
    }
    plans = await _plans(session, claimed, {r.id: premises[around[r.id][0]] for r in claimed}, now)
    reminders = []
    prices: dict[tuple[int, datetime, datetime, str], int] = {}
    for r in claimed:
        premise_id, following, taken_from = around[r.id]
        premise = premises[premise_id]
        reminders.append(
            outbox.Queued(
                r.user_id,
                {
                    "reservation_id": r.id,
                    "ends_at": r.ends_at.isoformat(),
                    "options": _options(r.starts_at, r.ends_at, premise, plans[r.id], taken_from, prices),
                    "currency": premise.currency,
                    "next_starts_at": following.isoformat() if following else None,
                },
                f"reminder:{r.id}:{int(r.ends_at.timestamp())}",
            )
        )
    await outbox.notify_many(session, NotificationKind.BOOKING_REMINDER, reminders, now=now)
    return ids


def _half_way_passed(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
    """reminder_due_at's second bound in SQL: starts_at + (ends_at - starts_at) / 2 <= now,
    written as starts_at + ends_at <= 2 * now over each dialect's count of time (PostgreSQL's
    epoch in microseconds; SQLite's Julian day, rounded to whole milliseconds so that equal
    moments compare equal)."""
    moment = literal(now, Reservation.starts_at.type)

    def count(at: ColumnElement[datetime] | QueryableAttribute[datetime]) -> ColumnElement[Any]:
        if session.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", at)
        return func.round(func.julianday(at) * 86_400_000.0)

    return count(Reservation.starts_at) + count(Reservation.ends_at) <= 2 * count(moment)


async def _around(
    session: AsyncSession, ids: list[int], now: datetime
) -> dict[int, tuple[int, datetime | None, datetime | None]]:
    """For each booking: its premise, when the spot's next booking starts (what the reminder
    tells a driver who cannot extend) and when anybody else holds the spot after its end
    (extensions end before that): one query for the batch."""
    other = aliased(Reservation)
    following = (
        select(func.min(other.starts_at))
        .where(
            other.spot_id == Reservation.spot_id,
            other.starts_at >= Reservation.ends_at,
            holds_spot(now, other),
        )
        .scalar_subquery()
    )
    taken_from = (
        select(func.min(other.starts_at))
        .where(
            other.spot_id == Reservation.spot_id,
            other.id != Reservation.id,
            other.ends_at > Reservation.ends_at,
            holds_spot(now, other),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Reservation.id, Spot.premise_id, following, taken_from)
        .join(Spot, Spot.id == Reservation.spot_id)
        .where(Reservation.id.in_(ids))
    )
    return {rid: (premise_id, nxt, taken) for rid, premise_id, nxt, taken in rows.tuples()}


async def _plans(
    session: AsyncSession, claimed: Sequence[Row[Any]], premise_of: dict[int, Premise], now: datetime
) -> dict[int, RatePlan]:
    """Each booking's plan for pricing its extensions (booking.extension_plan's choice: the
    plan it was priced with, else the plan in force now, not stored), read for the batch."""
    stored = {
        row.id: row.plan()
        for row in await session.scalars(
            select(RatePlanVersion).where(
                RatePlanVersion.id.in_({r.rate_plan_id for r in claimed if r.rate_plan_id is not None})
            )
        )
    }
    in_force: dict[int, RatePlan] = {}
    plans = {}
    for r in claimed:
        plan = stored.get(r.rate_plan_id) if r.rate_plan_id is not None else None
        if plan is None:
            premise = premise_of[r.id]
            if premise.id not in in_force:
                in_force[premise.id] = (await plan_in_force(session, premise, now)).plan
            plan = in_force[premise.id]
        plans[r.id] = plan
    return plans


def _options(
    starts_at: datetime,
    ends_at: datetime,
    premise: Premise,
    plan: RatePlan,
    taken_from: datetime | None,
    prices: dict[tuple[int, datetime, datetime, str], int] | None = None,
) -> list[dict[str, int]]:
    """The extensions possible ({"minutes", "price"}), shortest first: each within 24 hours in
    all, the opening hours and before `taken_from` (anybody else's hold on the spot).
    `prices`: stays already priced in this batch (bookings of one car park often share their
    times), by (plan object, start, end, time zone)."""
    known = {} if prices is None else prices

    def price(until: datetime) -> int:
        key = (id(plan), starts_at, until, premise.timezone)
        if key not in known:
            known[key] = price_stay(plan, starts_at, until, premise.timezone).total
        return known[key]

    stay = ends_at - starts_at
    options: list[dict[str, int]] = []
    for minutes in EXTENSION_CHOICES:
        if stay + timedelta(minutes=minutes) > timedelta(minutes=MAX_DURATION_MINUTES):
            break
        new_ends_at = ends_at + timedelta(minutes=minutes)
        if not is_open(premise.opening_hours, premise.timezone, ends_at, new_ends_at):
            break  # a longer extension would run further past closing time
        if taken_from is not None and taken_from < new_ends_at:
            break  # a longer extension would cross the same booking
        # Priced as the extension itself will be: the marginal price under the booking's plan
        # (core.pricing.marginal_price: the longer stay's price less the booked one's).
        options.append({"minutes": minutes, "price": price(new_ends_at) - price(ends_at)})
    return options


async def extension_options(
    session: AsyncSession, reservation: Reservation, premise: Premise, now: datetime
) -> list[dict[str, int]]:
    """The extensions still possible now ({"minutes", "price"}), shortest first: each within
    24 hours in all, the opening hours and before the spot's next booking."""
    other = aliased(Reservation)
    taken_from = await session.scalar(
        select(func.min(other.starts_at)).where(
            other.spot_id == reservation.spot_id,
            other.id != reservation.id,
            other.ends_at > reservation.ends_at,
            holds_spot(now, other),
        )
    )
    # A quote (also read in read-only transactions): the plan is stored when the extension is
    # requested, not here.
    plan = await extension_plan(session, reservation, premise, now, store=False)
    return _options(reservation.starts_at, reservation.ends_at, premise, plan.plan, taken_from)
