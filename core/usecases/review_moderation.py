"""The console's review moderation (issue 13): drivers' reviews wait as `pending` until an
owner or a manager of the premise (Permission.MODERATE_REVIEWS) approves or rejects them.
Approved reviews are published: `is_approved` (the contract's flag, which search and the
premise card count) follows the status, and the driver is told. Rejected ones keep their
reason; nothing is deleted.

Every decision follows core/usecases/admin.py's pattern: the caller's role at the review's
premise is checked in the database, the change and its audit entry commit together, and a
refusal is audited on its own. A review already decided is not decided again
(InvalidReview), so two moderators tapping at once publish it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidReview, NotFound
from core.models import Premise, Review, ReviewStatus, User
from core.notifications import NotificationKind
from core.permissions import Permission
from core.services import outbox
from core.usecases.admin import AdminUseCases

MAX_REASON = 200  # reviews.reject_reason
QUEUE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class PendingReview:
    review_id: int
    premise_id: int
    premise_name: str
    timezone: str
    rating: int
    text: str
    reservation_id: int | None
    driver: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Decided:
    review_id: int
    status: ReviewStatus


class ReviewModerationUseCases(AdminUseCases):
    async def _moderated_premises(self, s: AsyncSession, actor_id: int) -> list[int] | None:
        """The premises whose reviews the caller moderates; None: every one (an owner)."""
        return await self._premises_allowing(s, actor_id, Permission.MODERATE_REVIEWS)

    async def may_moderate(self, actor_id: int) -> bool:
        """Whether the console shows "⭐ Reviews" to this caller."""
        async with self.db.read() as s:
            scope = await self._moderated_premises(s, actor_id)
        return scope is None or bool(scope)

    async def queue(self, actor_id: int, *, limit: int = QUEUE_LIMIT) -> tuple[list[PendingReview], int]:
        """Pending reviews of the premises the caller moderates, oldest first, and how many in
        all. Someone who moderates nowhere is refused (audited)."""
        async with self.db.read() as s:
            scope = await self._moderated_premises(s, actor_id)
        if scope is not None and not scope:
            async with self._view(actor_id, None, Permission.MODERATE_REVIEWS, "moderation.queue"):
                pass  # raises NotPermitted, audited
        async with self.db.read() as s:
            where = [Review.status == ReviewStatus.PENDING]
            if scope is not None:
                where.append(Review.premise_id.in_(scope))
            rows = await s.execute(
                select(Review, Premise.name, Premise.timezone, User.name)
                .join(Premise, Premise.id == Review.premise_id)
                .join(User, User.id == Review.user_id)
                .where(*where)
                .order_by(Review.created_at, Review.id)
                .limit(limit)
            )
            items = [
                PendingReview(
                    r.id, r.premise_id, pname, tz, r.rating, r.text, r.reservation_id, uname, r.created_at
                )
                for r, pname, tz, uname in rows.tuples()
            ]
            total = int(await s.scalar(select(func.count()).select_from(Review).where(*where)) or 0)
        return items, total

    async def _decide(
        self, actor_id: int, review_id: int, status: ReviewStatus, reason: str | None
    ) -> Decided:
        async with self.db.read() as s:
            premise_id = await s.scalar(select(Review.premise_id).where(Review.id == review_id))
        action = "moderation.approve" if status is ReviewStatus.APPROVED else "moderation.reject"
        async with self._action(actor_id, premise_id, Permission.MODERATE_REVIEWS, action) as (s, audit):
            review = await s.scalar(
                select(Review)
                .where(Review.id == review_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if review is None or review.premise_id != premise_id:
                raise NotFound(f"review {review_id}")
            audit.before = {"review_id": review.id, "status": review.status.value}
            if review.status is not ReviewStatus.PENDING:
                raise InvalidReview(f"review {review.id} is {review.status.value}")
            now = self.clock.now()
            review.status = status
            review.is_approved = status is ReviewStatus.APPROVED
            review.moderated_by, review.moderated_at = actor_id, now
            review.reject_reason = reason
            audit.after = {"review_id": review.id, "status": status.value}
            if reason:
                audit.detail = reason
            if status is ReviewStatus.APPROVED:
                await outbox.notify(
                    s,
                    review.user_id,
                    NotificationKind.REVIEW_PUBLISHED,
                    {"review_id": review.id, "premise_id": review.premise_id},
                    now=now,
                    dedupe_key=f"review_published:{review.id}",
                )
        return Decided(review_id, status)

    async def approve(self, actor_id: int, review_id: int) -> Decided:
        return await self._decide(actor_id, review_id, ReviewStatus.APPROVED, None)

    async def reject(self, actor_id: int, review_id: int, reason: str) -> Decided:
        """Rejects with a reason (a preset's words or typed; required, at most MAX_REASON)."""
        reason = " ".join(reason.split())[:MAX_REASON]
        if not reason:
            raise InvalidReview("a rejection needs a reason")
        return await self._decide(actor_id, review_id, ReviewStatus.REJECTED, reason)


__all__ = ["Decided", "PendingReview", "ReviewModerationUseCases"]
