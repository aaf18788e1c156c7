"""Reviews, the driver's side: rate a completed stay (1-5 stars), add or change a short text,
see one's own reviews and where each stands. Moderation is the operator console's; a review
written or changed here waits for it (`is_approved` false).

Nothing from the callback is trusted: each method checks that the booking is the caller's and
that the rules (core/services/reviews.py) allow a review of it now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import Clock
from core.db import Database
from core.errors import CannotReview, NotFound
from core.models import Premise, Reservation, Review, ReviewStatus, Spot
from core.services.booking import get_owned
from core.services.reviews import (
    RATINGS,
    back_to_moderation,
    clean_text,
    review_deadline,
    review_of,
    reviewable,
    status_of,
    why_not_review,
)


@dataclass(frozen=True, slots=True)
class MyReview:
    """One of the driver's reviews, as their screens show it."""

    reservation_id: int
    premise_name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    rating: int
    text: str
    status: ReviewStatus
    editable: bool  # within REVIEW_EDIT_DAYS of the stay


class ReviewUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def rate(self, *, user_id: int, reservation_id: int, rating: int) -> MyReview:
        """Stars for a completed stay of the caller's: the review is created, or its rating
        changed (which sends it back to moderation). Raises NotFound, CannotReview."""
        if rating not in RATINGS:
            raise CannotReview("rating")
        try:
            return await self._rate(user_id, reservation_id, rating)
        except IntegrityError:
            # Another process created the review between our look and our insert (the
            # reservation's review is unique): the second tap changes it instead.
            return await self._rate(user_id, reservation_id, rating)

    async def _rate(self, user_id: int, reservation_id: int, rating: int) -> MyReview:
        now = self.clock.now()
        async with self.db.transaction() as s:
            stay = await reviewable(s, reservation_id, user_id, now)
            review = await review_of(s, reservation_id, lock=True)
            if review is None:
                review = Review(
                    user_id=user_id,
                    premise_id=stay.premise.id,
                    reservation_id=reservation_id,
                    rating=rating,
                    text="",
                    is_approved=False,
                    created_at=now,
                )
                s.add(review)
            elif review.rating != rating:
                review.rating = rating
                back_to_moderation(review)  # changed: moderated again
            await s.flush()
            return _mine(review, stay.reservation, stay.premise, now)

    async def write(self, *, user_id: int, reservation_id: int, text: str) -> MyReview:
        """The review's text (after its stars; empty clears it), at most REVIEW_TEXT_MAX
        characters. A changed text is moderated again. Raises NotFound (no review yet, or not
        the caller's booking), CannotReview."""
        cleaned = clean_text(text)
        now = self.clock.now()
        async with self.db.transaction() as s:
            stay = await reviewable(s, reservation_id, user_id, now)
            review = await review_of(s, reservation_id, lock=True)
            if review is None:
                raise NotFound(f"review of reservation {reservation_id}")
            if review.text != cleaned:
                review.text = cleaned
                back_to_moderation(review)
            await s.flush()
            return _mine(review, stay.reservation, stay.premise, now)

    async def of_booking(self, *, user_id: int, reservation_id: int) -> MyReview | None:
        """The caller's review of their booking, if any. Raises NotFound for another's booking."""
        now = self.clock.now()
        async with self.db.read() as s:
            reservation = await get_owned(s, reservation_id, user_id)
            review = await review_of(s, reservation_id)
            if review is None:
                return None
            premise = await s.get(Premise, review.premise_id)
            assert premise is not None
            return _mine(review, reservation, premise, now)

    async def can_review(self, *, user_id: int, reservation_id: int) -> bool:
        """Whether the rules take a review (or a change) of this booking from the caller now."""
        async with self.db.read() as s:
            reservation = await get_owned(s, reservation_id, user_id)
        return why_not_review(reservation, self.clock.now()) is None

    async def mine(self, *, user_id: int, limit: int = 10) -> list[MyReview]:
        """The driver's latest reviews, newest stay first."""
        now = self.clock.now()
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(Review, Reservation, Premise)
                    .join(Reservation, Reservation.id == Review.reservation_id)
                    .join(Spot, Spot.id == Reservation.spot_id)
                    .join(Premise, Premise.id == Spot.premise_id)
                    .where(Review.user_id == user_id)
                    .order_by(Reservation.starts_at.desc(), Review.id.desc())
                    .limit(limit)
                )
            ).tuples()
            return [_mine(review, reservation, premise, now) for review, reservation, premise in rows]


def _mine(review: Review, reservation: Reservation, premise: Premise, now: datetime) -> MyReview:
    return MyReview(
        reservation_id=reservation.id,
        premise_name=premise.name,
        timezone=premise.timezone,
        starts_at=reservation.starts_at,
        ends_at=reservation.ends_at,
        rating=review.rating,
        text=review.text,
        status=status_of(review),
        editable=why_not_review(reservation, now) is None and now < review_deadline(reservation),
    )
