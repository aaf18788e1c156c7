"""Read models for screens: a premise with its reviews, a driver's bookings with details."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Payment, Premise, Reservation, ReservationStatus, Review, Spot
from core.services.booking import get_owned
from core.services.places import place_of


@dataclass(frozen=True, slots=True)
class PremiseCard:
    premise: Premise
    rating: float | None
    review_count: int
    latest_reviews: list[Review]


# Every card reads them: built once with their cache keys, not per card.
_APPROVED = (Review.premise_id == bindparam("premise_id"), Review.is_approved.is_(True))
_RATING = select(func.avg(Review.rating), func.count()).where(*_APPROVED)
_LATEST_REVIEWS = (
    select(Review)
    .where(*_APPROVED)
    .order_by(Review.created_at.desc(), Review.id.desc())
    .limit(bindparam("take"))
)


async def premise_card(session: AsyncSession, premise_id: int, *, reviews: int = 3) -> PremiseCard:
    premise = await session.get(Premise, premise_id)
    if premise is None or not premise.is_active:
        raise NotFound(f"premise {premise_id}")
    avg, count = (await session.execute(_RATING, {"premise_id": premise_id})).one()
    latest = list(await session.scalars(_LATEST_REVIEWS, {"premise_id": premise_id, "take": reviews}))
    return PremiseCard(premise, round(float(avg), 1) if avg is not None else None, int(count), latest)


class BookingScope(enum.StrEnum):
    """The tabs of "My bookings". Past is what happened (completed stays); a booking that was
    cancelled or whose hold lapsed never happened, so it is listed under Cancelled whether its
    date is ahead or behind (as booking apps do: Upcoming · Past · Cancelled)."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    PAST = "past"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class BookingView:
    reservation: Reservation
    spot: Spot
    premise: Premise
    payments: list[Payment]


def _scope_filter(scope: BookingScope, now: datetime) -> list[ColumnElement[bool]]:
    live = (ReservationStatus.PENDING_PAYMENT, ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE)
    if scope == BookingScope.UPCOMING:
        return [Reservation.status.in_(live), Reservation.starts_at > now]
    if scope == BookingScope.ACTIVE:
        return [Reservation.status.in_(live), Reservation.starts_at <= now]
    if scope == BookingScope.PAST:
        return [Reservation.status == ReservationStatus.COMPLETED]
    return [Reservation.status.in_((ReservationStatus.CANCELLED, ReservationStatus.EXPIRED))]


async def user_bookings(
    session: AsyncSession,
    user_id: int,
    scope: BookingScope,
    now: datetime,
    *,
    limit: int = 5,
    offset: int = 0,
) -> tuple[list[BookingView], bool]:
    """A page of the driver's bookings in a scope, and whether there is a next page."""
    newest_first = scope in (BookingScope.PAST, BookingScope.CANCELLED)
    order = Reservation.starts_at.desc() if newest_first else Reservation.starts_at
    rows = (
        (
            await session.execute(
                select(Reservation, Spot, Premise)
                .join(Spot, Spot.id == Reservation.spot_id)
                .join(Premise, Premise.id == Spot.premise_id)
                .where(Reservation.user_id == user_id, *_scope_filter(scope, now))
                .order_by(order, Reservation.id)
                .limit(limit + 1)
                .offset(offset)
            )
        )
        .tuples()
        .all()
    )
    views = [BookingView(r, s, p, []) for r, s, p in rows[:limit]]
    return views, len(rows) > limit


async def booking_view(session: AsyncSession, reservation_id: int, user_id: int) -> BookingView:
    """One booking with its payments, for its owner only (NotFound/NotOwner otherwise)."""
    reservation = await get_owned(session, reservation_id, user_id)
    spot, premise = await place_of(session, reservation)
    payments = list(
        await session.scalars(
            select(Payment).where(Payment.reservation_id == reservation.id).order_by(Payment.id)
        )
    )
    return BookingView(reservation, spot, premise, payments)
