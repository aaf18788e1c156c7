"""Blocked bay (issue 16 item 2): the driver's bay is unusable when they come for it.

Three ways to find out, all for a `confirmed` booking not entered yet (no arrival) and within
the lowering window [starts_at − EARLY_ARRIVAL, ends_at):
- the driver's lowering is refused with `obstacle` (ArrivalUseCases.lower);
- the driver taps "I've arrived" and the blocker is offline or faulty (the same);
- the blocker reports `car_present` before the driver's own arrival, with no other booking
  active on the spot (the car of the stay before, overstaying into the early-arrival window, is
  that stay's business): found by the sweep `offer_blocked_bays`.

Then, at once and in one message, the driver is offered "Move me to spot B7 (free now)" (a free
spot of the same premise for the rest of the booking, same price, plus the premise's
`blocked_bay_credit` to the wallet, once) and "Refund me" (a full refund, the booking cancelled
although started: the state machine's `cancel`, allowed after the start only on this path).
Without a free spot, the refund and the nearest other premises with free spots for the rest of
the interval. Staff hear of it through the incident machinery (a `lower_failed` incident whose
detail names the reason; an offline or faulty blocker's own incident is open already).

The offer is recorded on the booking (`bay_blocked_*`): the buttons act only on a booking still
on that spot, still confirmed and not entered, so a forged, repeated or concurrent tap finds it
moved or refunded already. Each choice runs under the driver's ledger lock and the booking's row
lock (SQLite: BEGIN IMMEDIATE), so two taps make one move and one credit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.models import (
    Blocker,
    IncidentKind,
    Payment,
    PaymentStatus,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
    WalletTransaction,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.pricing import price_stay
from core.rules import Interval
from core.services import incidents, outbox, wallet
from core.services.availability import free_spot_ids
from core.services.nearby import SearchFilters, find_nearby
from core.services.places import place_of
from core.services.pricing import plan_by_id, plan_in_force

# How far the nearby premises offered without a free spot may be, and how many.
NEARBY_RADIUS_M = 3_000
NEARBY_LIMIT = 3


class Reason(enum.StrEnum):
    OBSTACLE = "obstacle"  # the lowering was refused: something is in the way
    CAR_PRESENT = "car_present"  # a car is on the bay before the driver arrived
    BLOCKER_DOWN = "blocker_down"  # the blocker is offline or faulty at the driver's arrival


@dataclass(frozen=True, slots=True)
class Nearby:
    premise_id: int
    name: str
    distance_m: int
    free_spots: int


@dataclass(frozen=True, slots=True)
class Offer:
    """What the driver is offered for a blocked bay (read by the message that shows it)."""

    reservation_id: int
    reason: Reason
    premise_name: str
    from_spot: str
    to_spot_id: int | None  # None: no spot of the premise is free for the rest of the stay
    to_spot: str
    credit: int  # minor units, added on a move (0: off)
    refund: int  # what "Refund me" gives back in all (wallet and cards)
    currency: str
    nearby: list[Nearby] = field(default_factory=list)


def credit_key(reservation_id: int) -> str:
    """The wallet reference of a blocked bay's credit: at most one per booking."""
    return f"bay_blocked:{reservation_id}"


def blocked(reservation: Reservation, now: datetime, early_minutes: int) -> bool:
    """A confirmed booking nobody has entered, within its lowering window."""
    return (
        reservation.status is ReservationStatus.CONFIRMED
        and reservation.arrived_at is None
        and reservation.starts_at - timedelta(minutes=early_minutes) <= now < reservation.ends_at
    )


async def credit_for(session: AsyncSession, reservation: Reservation, premise: Premise, now: datetime) -> int:
    """The premise's credit: a fixed amount, 0 (off), or by default one hour of the booking's own
    plan from its start (what an hour of this very stay costs)."""
    if premise.blocked_bay_credit is not None:
        return max(0, premise.blocked_bay_credit)
    plan = await plan_by_id(session, reservation.rate_plan_id) if reservation.rate_plan_id else None
    if plan is None:
        plan = (await plan_in_force(session, premise, now)).plan
    start = reservation.starts_at
    return price_stay(plan, start, start + timedelta(hours=1), premise.timezone).total


async def paid_amount(session: AsyncSession, reservation_id: int) -> int:
    rows = await session.scalars(
        select(Payment).where(
            Payment.reservation_id == reservation_id, Payment.status == PaymentStatus.SUCCEEDED
        )
    )
    return sum(p.amount - p.refunded_amount for p in rows)


def _rest(reservation: Reservation, now: datetime) -> Interval:
    return Interval(max(reservation.starts_at, now.replace(second=0, microsecond=0)), reservation.ends_at)


async def build_offer(session: AsyncSession, reservation: Reservation, now: datetime) -> Offer:
    """The offer for the booking as things stand now: the named spot if still free, else the
    first free one; otherwise the nearest premises with a free spot."""
    spot, premise = await place_of(session, reservation)
    free = [
        c
        for c in await free_spot_ids(
            session, premise.id, Interval(reservation.starts_at, reservation.ends_at), now
        )
        if c != reservation.spot_id
    ]
    to_id = (
        reservation.bay_offer_spot_id
        if reservation.bay_offer_spot_id in free
        else (free[0] if free else None)
    )
    to_label = ""
    if to_id is not None:
        to_label = str(await session.scalar(select(Spot.label).where(Spot.id == to_id)))
    near: list[Nearby] = []
    if to_id is None:
        page = await find_nearby(
            session,
            premise.lat,
            premise.lon,
            interval=_rest(reservation, now),
            now=now,
            radius_m=NEARBY_RADIUS_M,
            limit=NEARBY_LIMIT + 1,
            filters=SearchFilters(only_available=True),
        )
        near = [
            Nearby(p.premise_id, p.name, p.distance_m, p.free_spots)
            for p in page.items
            if p.premise_id != premise.id and p.free_spots > 0
        ][:NEARBY_LIMIT]
    return Offer(
        reservation_id=reservation.id,
        reason=Reason(reservation.bay_blocked_reason or Reason.OBSTACLE.value),
        premise_name=premise.name,
        from_spot=spot.label,
        to_spot_id=to_id,
        to_spot=to_label,
        credit=await credit_for(session, reservation, premise, now) if to_id is not None else 0,
        refund=await paid_amount(session, reservation.id),
        currency=reservation.currency,
        nearby=near,
    )


async def mark_blocked(
    session: AsyncSession,
    reservation: Reservation,
    reason: Reason,
    now: datetime,
    *,
    blocker_id: str | None,
    notify: bool,
) -> Offer | None:
    """Records the offer on the (locked) booking and builds it; None when it was made already
    for this spot (a repeated report or tap: one offer per spot). With `notify`, the offer goes
    to the driver through the outbox (the sweep's path; a tap shows it as its answer). Staff are
    alerted with the evidence by an incident of the blocker, once."""
    if reservation.bay_blocked_at is not None and reservation.bay_blocked_spot_id == reservation.spot_id:
        return None
    reservation.bay_blocked_at = now
    reservation.bay_blocked_spot_id = reservation.spot_id
    reservation.bay_blocked_reason = reason.value
    reservation.updated_at = now
    offer = await build_offer(session, reservation, now)
    reservation.bay_offer_spot_id = offer.to_spot_id
    await session.flush()
    if blocker_id is not None and reason is Reason.CAR_PRESENT:
        # The obstacle's incident is the lowering's own (arrival.py); a blocker down has its
        # outage or fault incident already.
        await incidents.open_incident(
            session, blocker_id, IncidentKind.LOWER_FAILED, now, detail=reason.value
        )
    if notify:
        await outbox.notify(
            session,
            reservation.user_id,
            NotificationKind.BAY_BLOCKED,
            {"reservation_id": reservation.id, "reason": reason.value},
            now=now,
            dedupe_key=f"bay_blocked:{reservation.id}:{reservation.spot_id}",
        )
    return offer


def _car_before_arrival(now: datetime, early_minutes: int) -> list[ColumnElement[bool]]:
    other = aliased(Reservation)
    return [
        Reservation.status == ReservationStatus.CONFIRMED,
        Reservation.arrived_at.is_(None),
        Reservation.starts_at <= now + timedelta(minutes=early_minutes),
        Reservation.ends_at > now,
        Reservation.bay_blocked_at.is_(None),
        Blocker.car_present.is_(True),
        ~exists().where(
            and_(
                other.spot_id == Reservation.spot_id,
                other.id != Reservation.id,
                other.status == ReservationStatus.ACTIVE,
            )
        ),
    ]


async def car_present_candidates(
    session: AsyncSession, now: datetime, early_minutes: int, *, limit: int = 200
) -> list[tuple[int, int, str]]:
    """(reservation, user, blocker) of bookings whose bay has a car before their driver came."""
    rows = await session.execute(
        select(Reservation.id, Reservation.user_id, Blocker.id)
        .join(Blocker, Blocker.spot_id == Reservation.spot_id)
        .where(*_car_before_arrival(now, early_minutes))
        .order_by(Reservation.id)
        .limit(limit)
    )
    return [(rid, uid, bid) for rid, uid, bid in rows.tuples()]


async def offer_if_car_present(
    session: AsyncSession, reservation_id: int, user_id: int, now: datetime, early_minutes: int
) -> Offer | None:
    """Offers the driver a move or a refund if, under the booking's lock, a car is still on its
    bay before the driver's arrival."""
    await wallet.lock_ledger(session, user_id)
    found = (
        await session.execute(
            select(Reservation, Blocker.id)
            .join(Blocker, Blocker.spot_id == Reservation.spot_id)
            .where(Reservation.id == reservation_id, *_car_before_arrival(now, early_minutes))
            .with_for_update(of=Reservation, skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).first()
    if found is None:
        return None
    reservation, blocker_id = found[0], found[1]
    return await mark_blocked(
        session, reservation, Reason.CAR_PRESENT, now, blocker_id=blocker_id, notify=True
    )


async def credited(session: AsyncSession, reservation_id: int) -> bool:
    found = await session.scalar(
        select(WalletTransaction.id).where(WalletTransaction.reference == credit_key(reservation_id)).limit(1)
    )
    return found is not None


async def give_credit(session: AsyncSession, reservation: Reservation, amount: int, now: datetime) -> int:
    """The move's credit, at most once per booking (the ledger lock is held by the caller)."""
    if amount <= 0 or await credited(session, reservation.id):
        return 0
    await wallet.credit(
        session,
        reservation.user_id,
        amount,
        reservation.currency,
        kind=WalletTxKind.ADJUSTMENT,
        reference=credit_key(reservation.id),
        now=now,
    )
    return amount
