"""The bay's own sensor in billing (DESIGN.md §5 state machine, issue 16 items 1 and 3).

- Billing follows the car: an `active` booking whose blocker has reported the bay empty
  (`blockers.car_gone_since`, the device's `ts`) continuously for LEAVE_GRACE_MINUTES completes
  early; the unused whole 15-minute steps go back to the wallet when the premise refunds unused
  time (`premises.refund_unused`, on by default), and the driver is told in the same transaction.
  Raising the blocker is the completion sweep's (ArrivalUseCases.close_finished), which checks
  the bay right before the command.
- No-show release: a `confirmed` booking nobody lowered the blocker for, with no car on the bay,
  is asked about NO_SHOW_ASK_MINUTES before NO_SHOW_GRACE_MINUTES after its start ("Still
  coming?"); without "Yes, keep it" it completes as a no-show at the end of the grace, freeing
  the rest of its interval. Refunded only where the premise says so (`premises.refund_no_show`).

Exactly once: each booking is settled in its own transaction that takes the driver's ledger
lock first (as every money path does) and then the booking's row with SKIP LOCKED, re-checking
every condition under the lock; the state change (active/confirmed to completed) is what makes
a second run, in this process or another, find nothing. SQLite's BEGIN IMMEDIATE serialises the
same way.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidTransition
from core.models import (
    Blocker,
    BlockerState,
    Payment,
    PaymentStatus,
    Premise,
    Reservation,
    ReservationStatus,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.pricing import price_stay
from core.rules import STEP_MINUTES, TRANSITIONS, end_early
from core.services import outbox, waitlist, wallet
from core.services.places import place_of
from core.services.pricing import plan_by_id, plan_in_force

# The driver is asked "Still coming?" this long before the no-show grace ends.
NO_SHOW_ASK_MINUTES = 10
# A lowering tapped this recently may still be under way (its ack late): not a no-show yet.
LOWERING_PAUSE = timedelta(minutes=5)
_STEP = timedelta(minutes=STEP_MINUTES)


@dataclass(frozen=True, slots=True)
class Refund:
    amount: int  # minor units, back to the wallet
    unused_minutes: int  # whole 15-minute steps not used


def unused_refund(
    *,
    paid: int,
    price_of_used: int,
    starts_at: datetime,
    ends_at: datetime,
    used_until: datetime,
) -> Refund:
    """What goes back for a stay [starts_at, ends_at) used until `used_until`.

    The refund is what was paid less the price of the used time rounded up to whole 15-minute
    steps (at least one step: the bay was taken), priced under the booking's own rate plan
    (`price_of_used`). Not "unused minutes × hourly rate": plans are not linear (a first-hour
    rate, time-of-day rates, a daily cap), so the only fair price of the used part is what a
    booking of exactly that length would have cost, the same marginal rule extensions are
    charged by (core/pricing.py marginal_price). Clamped to [0, paid]: a cap reached early can
    make the used part cost as much as the whole."""
    unused = int((ends_at - used_end(starts_at, ends_at, used_until)).total_seconds() // 60)
    if unused <= 0:
        return Refund(0, 0)
    return Refund(max(0, min(paid, paid - price_of_used)), unused)


def used_end(starts_at: datetime, ends_at: datetime, used_until: datetime) -> datetime:
    """The end of the time charged: `used_until` rounded up to a whole 15-minute step from the
    start, at least one step, at most the booking's end."""
    steps = max(1, math.ceil((min(used_until, ends_at) - starts_at) / _STEP))
    return min(starts_at + steps * _STEP, ends_at)


async def _price_of_used(
    session: AsyncSession, reservation: Reservation, premise: Premise, used_until: datetime, now: datetime
) -> int:
    """The price of [starts_at, used end) under the booking's own plan."""
    end = used_end(reservation.starts_at, reservation.ends_at, used_until)
    plan = await plan_by_id(session, reservation.rate_plan_id) if reservation.rate_plan_id else None
    if plan is None:  # priced before plans: the plan in force now stands in for it
        plan = (await plan_in_force(session, premise, now)).plan
    return price_stay(plan, reservation.starts_at, end, premise.timezone).total


async def _paid_payments(session: AsyncSession, reservation_id: int) -> list[Payment]:
    rows = await session.scalars(
        select(Payment)
        .where(Payment.reservation_id == reservation_id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id.desc())
        .with_for_update()
    )
    return list(rows)


async def refund_unused(
    session: AsyncSession, reservation: Reservation, premise: Premise, used_until: datetime, now: datetime
) -> Refund:
    """Credits the wallet with the unused whole steps of the booking (see unused_refund), taken
    from its payments newest first (an extension before the booking), whatever paid them: the
    issue asks for the wallet, and a partial card refund would cost a fee for cents. Each
    payment's refunded_amount grows by its share, so nothing is ever refunded beyond it."""
    payments = await _paid_payments(session, reservation.id)
    paid = min(reservation.price, sum(p.amount - p.refunded_amount for p in payments))
    price_of_used = await _price_of_used(session, reservation, premise, used_until, now)
    refund = unused_refund(
        paid=paid,
        price_of_used=price_of_used,
        starts_at=reservation.starts_at,
        ends_at=reservation.ends_at,
        used_until=used_until,
    )
    left = refund.amount
    for payment in payments:
        part = min(left, payment.amount - payment.refunded_amount)
        if part <= 0:
            continue
        await wallet.credit(
            session,
            reservation.user_id,
            part,
            payment.currency,
            kind=WalletTxKind.REFUND,
            reference=f"payment:{payment.id}",
            now=now,
        )
        payment.refunded_amount += part
        payment.refunded_at = now
        payment.updated_at = now
        left -= part
    await session.flush()
    return Refund(refund.amount - left, refund.unused_minutes)


def _complete(reservation: Reservation, now: datetime, *, no_show: bool) -> None:
    """The state machine's `complete`, the rest of the interval freed from now on."""
    allowed, target = TRANSITIONS["complete"]
    if reservation.status not in allowed:
        raise InvalidTransition(reservation.id, reservation.status.value, "complete")
    reservation.status = target
    reservation.no_show = no_show
    end_early(reservation, now)
    reservation.closed_at = now
    reservation.updated_at = now


# --- billing follows the car ---------------------------------------------------------------


def _left(now: datetime, grace: timedelta) -> list[ColumnElement[bool]]:
    """An active booking, not over, whose bay has been empty for the grace since a car left it
    after the arrival (the bay empty before the driver's car came in is not a leave)."""
    return [
        Reservation.status == ReservationStatus.ACTIVE,
        Reservation.ends_at > now,
        Reservation.arrived_at.is_not(None),
        Blocker.car_present.is_(False),
        Blocker.car_gone_since.is_not(None),
        Blocker.car_gone_since <= now - grace,
        Blocker.car_gone_since >= Reservation.arrived_at,
    ]


async def left_candidates(
    session: AsyncSession, now: datetime, grace: timedelta, *, limit: int = 200
) -> list[tuple[int, int]]:
    """(reservation id, user id) of bookings whose car has gone for the grace (unlocked: each
    is claimed and checked again by complete_left)."""
    rows = await session.execute(
        select(Reservation.id, Reservation.user_id)
        .join(Blocker, Blocker.spot_id == Reservation.spot_id)
        .where(*_left(now, grace))
        .order_by(Reservation.id)
        .limit(limit)
    )
    return [(rid, uid) for rid, uid in rows.tuples()]


def _claim(reservation_id: int, conditions: list[ColumnElement[bool]]) -> Select[tuple[Reservation, Any]]:
    return (
        select(Reservation, Blocker.car_gone_since)
        .join(Blocker, Blocker.spot_id == Reservation.spot_id)
        .where(Reservation.id == reservation_id, *conditions)
        .with_for_update(of=Reservation, skip_locked=True)
        .execution_options(populate_existing=True)
    )


async def complete_left(
    session: AsyncSession, reservation_id: int, user_id: int, now: datetime, grace: timedelta
) -> Reservation | None:
    """Completes the booking early if its car is still gone for the grace (checked under the
    lock), refunding the unused steps where the premise does; None when there is nothing to do
    (a car came back, another run settled it, or its row is locked by one doing so)."""
    await wallet.lock_ledger(session, user_id)
    found = (await session.execute(_claim(reservation_id, _left(now, grace)))).first()
    if found is None:
        return None
    reservation: Reservation = found[0]
    left_at: datetime = found[1]
    _spot, premise = await place_of(session, reservation)
    refund = Refund(0, 0)
    if premise.refund_unused:
        refund = await refund_unused(session, reservation, premise, left_at, now)
    reservation.left_at = left_at
    booked_until = reservation.ends_at
    _complete(reservation, now, no_show=False)
    await session.flush()
    # The rest of the stay is free: the first driver waiting for this car park hears of it.
    await waitlist.spot_freed(session, reservation.spot_id, reservation.ends_at, booked_until, now)
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_LEFT,
        {
            "reservation_id": reservation.id,
            "left_at": left_at.isoformat(),
            "refund": refund.amount,
            "unused_minutes": refund.unused_minutes,
            "currency": reservation.currency,
            "refunds_off": not premise.refund_unused,
        },
        now=now,
        dedupe_key=f"booking_left:{reservation.id}",
    )
    return reservation


# --- no-show release -----------------------------------------------------------------------


def release_at(starts_at: datetime, grace: timedelta) -> datetime:
    return starts_at + grace


def ask_at(starts_at: datetime, grace: timedelta) -> datetime:
    return max(starts_at, release_at(starts_at, grace) - timedelta(minutes=NO_SHOW_ASK_MINUTES))


def _absent(now: datetime) -> list[ColumnElement[bool]]:
    """A confirmed booking, not over, not kept, whose driver has not lowered the blocker (nor
    just tapped to), and whose working blocker reports no car on the bay."""
    return [
        Reservation.status == ReservationStatus.CONFIRMED,
        Reservation.ends_at > now,
        Reservation.kept_at.is_(None),
        or_(Reservation.lowering_until.is_(None), Reservation.lowering_until <= now - LOWERING_PAUSE),
        Blocker.car_present.is_(False),
        Blocker.online.is_(True),
        Blocker.state != BlockerState.FAULT,
    ]


async def _absent_candidates(
    session: AsyncSession, now: datetime, grace: timedelta, *, asked: bool, limit: int
) -> list[tuple[int, int]]:
    rows = await session.execute(
        select(Reservation.id, Reservation.user_id, Reservation.starts_at, Reservation.no_show_asked_at)
        .join(Blocker, Blocker.spot_id == Reservation.spot_id)
        .where(
            *_absent(now),
            Reservation.starts_at <= now - grace + timedelta(minutes=NO_SHOW_ASK_MINUTES),
            Reservation.no_show_asked_at.is_not(None) if asked else Reservation.no_show_asked_at.is_(None),
        )
        .order_by(Reservation.id)
        .limit(limit)
    )
    return [
        (rid, uid)
        for rid, uid, starts_at, asked_at in rows.tuples()
        if (_due_release(starts_at, asked_at, now, grace) if asked else now >= ask_at(starts_at, grace))
    ]


def _due_release(starts_at: datetime, asked_at: datetime | None, now: datetime, grace: timedelta) -> bool:
    """The grace is over, and the driver had the whole answer time (a question sent late, after
    a restart, still gets it)."""
    return (
        asked_at is not None
        and now >= release_at(starts_at, grace)
        and now >= asked_at + timedelta(minutes=NO_SHOW_ASK_MINUTES)
    )


async def ask_candidates(
    session: AsyncSession, now: datetime, grace: timedelta, *, limit: int = 200
) -> list[tuple[int, int]]:
    return await _absent_candidates(session, now, grace, asked=False, limit=limit)


async def release_candidates(
    session: AsyncSession, now: datetime, grace: timedelta, *, limit: int = 200
) -> list[tuple[int, int]]:
    return await _absent_candidates(session, now, grace, asked=True, limit=limit)


async def ask_if_absent(
    session: AsyncSession, reservation_id: int, now: datetime, grace: timedelta
) -> Reservation | None:
    """Asks the driver "Still coming?" once (the stamp and the outbox's key keep it to one)."""
    found = (
        await session.execute(_claim(reservation_id, [*_absent(now), Reservation.no_show_asked_at.is_(None)]))
    ).first()
    if found is None:
        return None
    reservation: Reservation = found[0]
    if now < ask_at(reservation.starts_at, grace):
        return None
    reservation.no_show_asked_at = now
    reservation.updated_at = now
    await session.flush()
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.NO_SHOW_CHECK,
        {
            "reservation_id": reservation.id,
            # The driver has the whole answer time even when asked late.
            "release_at": max(
                release_at(reservation.starts_at, grace), now + timedelta(minutes=NO_SHOW_ASK_MINUTES)
            ).isoformat(),
        },
        now=now,
        dedupe_key=f"no_show_check:{reservation.id}",
    )
    return reservation


class ReleaseReason(enum.StrEnum):
    NO_ANSWER = "no_answer"  # asked, no answer by the end of the grace
    DRIVER = "driver"  # the driver tapped "Release the spot"


async def release(
    session: AsyncSession,
    reservation: Reservation,
    now: datetime,
    reason: ReleaseReason,
) -> Refund:
    """Completes a confirmed booking as a no-show now (the rest of its interval is bookable),
    refunding the released whole steps where the premise says so. A driver who was not there to
    answer is told by a message; one who tapped "Release the spot" sees it on that message."""
    _spot, premise = await place_of(session, reservation)
    refund = Refund(0, 0)
    if premise.refund_no_show:
        refund = await refund_unused(session, reservation, premise, now, now)
    booked_until = reservation.ends_at
    _complete(reservation, now, no_show=True)
    await session.flush()
    await waitlist.spot_freed(session, reservation.spot_id, reservation.ends_at, booked_until, now)
    if reason is ReleaseReason.DRIVER:
        return refund
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.NO_SHOW_RELEASED,
        {
            "reservation_id": reservation.id,
            "reason": reason.value,
            "refund": refund.amount,
            "currency": reservation.currency,
        },
        now=now,
        dedupe_key=f"no_show_released:{reservation.id}",
    )
    return refund


async def release_if_absent(
    session: AsyncSession, reservation_id: int, user_id: int, now: datetime, grace: timedelta
) -> Reservation | None:
    """Releases the booking if, under the lock, it is still unanswered, absent and due."""
    await wallet.lock_ledger(session, user_id)
    found = (
        await session.execute(
            _claim(reservation_id, [*_absent(now), Reservation.no_show_asked_at.is_not(None)])
        )
    ).first()
    if found is None:
        return None
    reservation: Reservation = found[0]
    if not _due_release(reservation.starts_at, reservation.no_show_asked_at, now, grace):
        return None
    await release(session, reservation, now, ReleaseReason.NO_ANSWER)
    return reservation
