"""Review moderation on SQLite and PostgreSQL: the queue shows the pending reviews of the
premises the caller moderates (owners everywhere, managers at theirs, never attendants);
approving publishes (is_approved follows the status, the rating drivers see counts it, the
driver is told), rejecting needs a reason; a decision is taken once, even from two taps at
once; a forged id is refused and audited."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InvalidReview, NotPermitted
from core.models import (
    AuditEntry,
    AuditOutcome,
    Notification,
    PremiseStaff,
    Review,
    ReviewStatus,
    StaffRole,
)
from core.notifications import NotificationKind as K
from core.services.catalog import premise_card
from core.usecases.review_moderation import ReviewModerationUseCases
from tests.factories import make_premise, make_review, make_user

SETTINGS = Settings(_env_file=None, bot_token="1:x")


@dataclass
class Site:
    db: Database
    uc: ReviewModerationUseCases
    alpha: int
    beta: int
    owner: int
    manager: int  # of Alpha
    attendant: int  # of Alpha
    driver: int
    reviews: list[int]  # Alpha 4★ (oldest), Alpha 2★, Beta 5★


@pytest.fixture
async def site(db: Database, clock: ManualClock) -> Site:
    async with db.transaction() as s:
        alpha, beta = await make_premise(s, name="Alpha"), await make_premise(s, name="Beta")
        owner = await make_user(s, name="Owner", is_admin=True)
        manager, attendant = await make_user(s, name="Mira"), await make_user(s, name="Andrii")
        driver = await make_user(s, name="Olena")
        for user, role in ((manager, StaffRole.MANAGER), (attendant, StaffRole.ATTENDANT)):
            s.add(PremiseStaff(premise_id=alpha.id, user_id=user.id, role=role, created_at=clock.now()))
        reviews = [
            await make_review(
                s,
                user_id=driver.id,
                premise_id=pid,
                rating=rating,
                text=text,
                created_at=clock.now() + timedelta(minutes=n),
            )
            for n, (pid, rating, text) in enumerate(
                ((alpha.id, 4, "Easy to find"), (alpha.id, 2, "Tight ramp"), (beta.id, 5, "Great"))
            )
        ]
        # Published before moderation existed: counts already.
        await make_review(s, user_id=driver.id, premise_id=alpha.id, rating=3, status=ReviewStatus.APPROVED)
        ids = alpha.id, beta.id, owner.id, manager.id, attendant.id, driver.id, [r.id for r in reviews]
    return Site(db, ReviewModerationUseCases(db, clock, SETTINGS), *ids)


async def _rating(site: Site) -> tuple[float | None, int]:
    async with site.db.read() as s:
        card = await premise_card(s, site.alpha)
    return card.rating, card.review_count


async def test_the_queue_is_the_pending_reviews_the_caller_moderates(site: Site) -> None:
    mine, total = await site.uc.queue(site.manager)
    assert [(r.review_id, r.premise_name, r.rating, r.text) for r in mine] == [
        (site.reviews[0], "Alpha", 4, "Easy to find"),
        (site.reviews[1], "Alpha", 2, "Tight ramp"),
    ] and total == 2
    everything, total = await site.uc.queue(site.owner)
    assert [r.review_id for r in everything] == site.reviews and total == 3
    assert await site.uc.may_moderate(site.manager) and not await site.uc.may_moderate(site.attendant)
    with pytest.raises(NotPermitted):
        await site.uc.queue(site.attendant)


async def test_approving_publishes_counts_in_the_rating_and_tells_the_driver(site: Site) -> None:
    assert await _rating(site) == (3.0, 1)
    await site.uc.approve(site.manager, site.reviews[0])
    assert await _rating(site) == (3.5, 2)
    async with site.db.read() as s:
        review = await s.get(Review, site.reviews[0])
        assert review is not None
        assert (review.status, review.is_approved, review.moderated_by) == (
            ReviewStatus.APPROVED,
            True,
            site.manager,
        )
        notes = list(await s.scalars(select(Notification).where(Notification.kind == K.REVIEW_PUBLISHED)))
    assert [(n.user_id, n.payload["review_id"]) for n in notes] == [(site.driver, site.reviews[0])]
    assert [r.review_id for r in (await site.uc.queue(site.manager))[0]] == [site.reviews[1]]


async def test_rejecting_needs_a_reason_and_is_not_published(site: Site) -> None:
    with pytest.raises(InvalidReview):
        await site.uc.reject(site.manager, site.reviews[1], "   ")
    await site.uc.reject(site.manager, site.reviews[1], "  Offensive   language ")
    async with site.db.read() as s:
        review = await s.get(Review, site.reviews[1])
        assert review is not None
        assert (review.status, review.is_approved, review.reject_reason) == (
            ReviewStatus.REJECTED,
            False,
            "Offensive language",
        )
        assert await s.scalar(select(Notification.id).where(Notification.kind == K.REVIEW_PUBLISHED)) is None
    assert await _rating(site) == (3.0, 1)


async def test_a_review_is_decided_once_even_from_two_taps_at_once(site: Site) -> None:
    results = await asyncio.gather(
        site.uc.approve(site.manager, site.reviews[0]),
        site.uc.approve(site.owner, site.reviews[0]),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Decided", "InvalidReview"]
    with pytest.raises(InvalidReview):
        await site.uc.reject(site.owner, site.reviews[0], "Spam")
    async with site.db.read() as s:
        published = list(
            await s.scalars(select(Notification.id).where(Notification.kind == K.REVIEW_PUBLISHED))
        )
    assert len(published) == 1


async def test_others_premises_and_attendants_are_refused_and_audited(site: Site) -> None:
    with pytest.raises(NotPermitted):
        await site.uc.approve(site.manager, site.reviews[2])  # Beta's
    with pytest.raises(NotPermitted):
        await site.uc.reject(site.attendant, site.reviews[0], "Spam")
    with pytest.raises(NotPermitted):
        await site.uc.approve(site.manager, 999_999)
    async with site.db.read() as s:
        log = list(await s.execute(select(AuditEntry.action, AuditEntry.outcome).order_by(AuditEntry.id)))
    assert [tuple(row) for row in log] == [
        ("moderation.approve", AuditOutcome.REFUSED),
        ("moderation.reject", AuditOutcome.REFUSED),
        ("moderation.approve", AuditOutcome.REFUSED),
    ]
    async with site.db.read() as s:
        assert all(
            r.status is ReviewStatus.PENDING
            for r in await s.scalars(select(Review).where(Review.id.in_(site.reviews)))
        )
