"""Reviews of a stay (DESIGN.md §5 `reviews`): who may write one, until when, and what a
review's status is. One review per booking; stored unapproved, shown once moderated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import CannotReview
from core.models import Premise, Reservation, ReservationStatus, Review, ReviewStatus, Spot
from core.services.booking import get_owned

REVIEW_TEXT_MAX = 500
REVIEW_EDIT_DAYS = 7  # after the stay ended, a review may be written or changed this long
RATINGS = range(1, 6)


def status_of(review: Review) -> ReviewStatus:
    """The one place that says where a review stands; every screen asks this. The console's
    moderation (core/usecases/review_moderation.py) sets `status`; `is_approved` follows it."""
    return review.status


def back_to_moderation(review: Review) -> None:
    """A changed rating or text is moderated again: pending, not published, undecided."""
    review.status = ReviewStatus.PENDING
    review.is_approved = False
    review.moderated_by = review.moderated_at = review.reject_reason = None


def review_deadline(reservation: Reservation) -> datetime:
    return (reservation.closed_at or reservation.ends_at) + timedelta(days=REVIEW_EDIT_DAYS)


def why_not_review(reservation: Reservation, now: datetime) -> str | None:
    """None when the driver may review (or change their review of) this booking now."""
    if reservation.status != ReservationStatus.COMPLETED:
        return "not_completed"
    if reservation.no_show:
        return "no_show"
    if now >= review_deadline(reservation):
        return "closed"
    return None


@dataclass(frozen=True, slots=True)
class Reviewable:
    """A completed booking of the caller's, with its place."""

    reservation: Reservation
    premise: Premise
    spot: Spot


async def reviewable(session: AsyncSession, reservation_id: int, user_id: int, now: datetime) -> Reviewable:
    """The caller's booking, if it may be reviewed now; NotFound for somebody else's (callback
    data is never trusted), CannotReview when the rules refuse."""
    reservation = await get_owned(session, reservation_id, user_id)
    reason = why_not_review(reservation, now)
    if reason is not None:
        raise CannotReview(reason)
    spot = await session.get(Spot, reservation.spot_id)
    assert spot is not None
    premise = await session.get(Premise, spot.premise_id)
    assert premise is not None
    return Reviewable(reservation, premise, spot)


async def review_of(session: AsyncSession, reservation_id: int, *, lock: bool = False) -> Review | None:
    statement = select(Review).where(Review.reservation_id == reservation_id)
    found: Review | None = await session.scalar(statement.with_for_update() if lock else statement)
    return found


def clean_text(text: str) -> str:
    """What is stored of a typed review: trimmed; CannotReview("too_long") past the limit.
    Stored as typed (escaped where it is shown, never here)."""
    cleaned = text.strip()
    if len(cleaned) > REVIEW_TEXT_MAX:
        raise CannotReview("too_long")
    return cleaned
