"""The waitlist (issue 16): drivers' wishes for a spot at a full car park, and the one function
that reacts to capacity freed there (`capacity_freed`), called in the transaction that frees it
(a cancellation, a lapsed or released hold, an early end, a spot reopened) so the offer and the
freeing commit together (the outbox).

One offer per free spot at a time, first come first served: the car park's row is locked
(FOR NO KEY UPDATE on PostgreSQL; on SQLite the write transaction is BEGIN IMMEDIATE, so already
exclusive) while offers are counted and made, so two processes freeing spots at one car park
never offer the same spot twice. An offer is not a hold: the spot is held only when the driver
taps "Hold it" (core/usecases/waitlist.py), through the normal hold."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Premise, Spot, WaitlistEntry, WaitlistStatus
from core.notifications import NotificationKind
from core.rules import Interval, start_now
from core.services import outbox
from core.services.availability import free_spot_ids

log = logging.getLogger(__name__)

LIVE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


def wish_interval(wish: WaitlistEntry, now: datetime) -> Interval:
    """The stay a wish asks for as of `now`: a "park now" wish whose start has passed is offered
    from now on, for the same length."""
    return stay_as_of(wish.starts_at, wish.ends_at, now)


def stay_as_of(starts_at: datetime, ends_at: datetime, now: datetime) -> Interval:
    """`wish_interval` from a wish's columns."""
    starts = max(starts_at, start_now(now))
    return Interval(starts, starts + (ends_at - starts_at))


# What every wish's notice names: whose, where, and the time wished for.
_WISH = (
    WaitlistEntry.id,
    WaitlistEntry.user_id,
    WaitlistEntry.premise_id,
    WaitlistEntry.starts_at,
    WaitlistEntry.ends_at,
)


async def _lock_premise(session: AsyncSession, premise_id: int) -> None:
    # NO KEY UPDATE: serialises offering per car park without blocking rows that merely
    # reference the premise (a new wish, a spot).
    await session.execute(select(Premise.id).where(Premise.id == premise_id).with_for_update(key_share=True))


async def capacity_freed(
    session: AsyncSession,
    premise_id: int,
    starts_at: datetime | None,
    ends_at: datetime | None,
    now: datetime,
) -> list[int]:
    """Capacity freed at the premise for [starts_at, ends_at) (None, None: look at every wish):
    the first waiting drivers whose stay now fits a free spot, in the order they asked, are
    offered it, as many as there are free spots not already offered to someone. Returns the
    wish ids offered now."""
    if starts_at is not None and ends_at is not None and ends_at <= now:
        return []
    await _lock_premise(session, premise_id)
    open_offers = list(
        await session.scalars(
            select(WaitlistEntry).where(
                WaitlistEntry.premise_id == premise_id,
                WaitlistEntry.status == WaitlistStatus.OFFERED,
                WaitlistEntry.offer_expires_at > now,
            )
        )
    )
    waiting = await session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.premise_id == premise_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.expires_at > now,
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .with_for_update(skip_locked=True)
    )
    freed = Interval(starts_at, ends_at) if starts_at is not None and ends_at is not None else None
    offered: list[int] = []
    for wish in waiting.all():
        wanted = wish_interval(wish, now)
        if freed is not None and not wanted.overlaps(freed):
            continue
        promised = sum(1 for o in open_offers if wish_interval(o, now).overlaps(wanted))
        if len(await free_spot_ids(session, premise_id, wanted, now)) <= promised:
            continue
        wish.status = WaitlistStatus.OFFERED
        wish.offered_at = now
        wish.offer_expires_at = now + timedelta(minutes=wish.offer_minutes)
        open_offers.append(wish)
        offered.append(wish.id)
        await session.flush()
        await outbox.notify(
            session,
            wish.user_id,
            NotificationKind.WAITLIST_OFFER,
            {
                "wish_id": wish.id,
                "premise_id": premise_id,
                "starts_at": wanted.starts_at.isoformat(),
                "ends_at": wanted.ends_at.isoformat(),
                "until": wish.offer_expires_at.isoformat(),
            },
            now=now,
            dedupe_key=f"waitlist_offer:{wish.id}:{int(now.timestamp())}",
        )
        log.info("waitlist: a freed spot at premise %s offered to wish %s", premise_id, wish.id)
    return offered


async def spot_freed(
    session: AsyncSession, spot_id: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> list[int]:
    """`capacity_freed` for the car park of one spot."""
    premise_id = await session.scalar(select(Spot.premise_id).where(Spot.id == spot_id))
    if premise_id is None:
        return []
    return await capacity_freed(session, premise_id, starts_at, ends_at, now)


async def expire_due(session: AsyncSession, now: datetime) -> list[int]:
    """Wishes whose time has passed are dropped, and offers not taken within their time lapse
    (the next driver is offered by `capacity_freed`). Each driver is told once per wish, in
    this transaction: a lapsed offer with "Wait again" while the wish would still stand, an
    ended wish that no spot freed in time. Returns the premises where an offer lapsed."""
    ended = await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.expires_at <= now)
        .values(status=WaitlistStatus.EXPIRED)
        .returning(*_WISH)
        .execution_options(synchronize_session=False)
    )
    await outbox.notify_many(
        session,
        NotificationKind.WAITLIST_WISH_ENDED,
        [
            outbox.Queued(
                user_id,
                {
                    "wish_id": wish_id,
                    "premise_id": premise_id,
                    "starts_at": starts_at.isoformat(),
                    "ends_at": ends_at.isoformat(),
                },
                f"waitlist_ended:{wish_id}",
            )
            for wish_id, user_id, premise_id, starts_at, ends_at in ended.tuples()
        ],
        now=now,
    )
    lapsed = await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now)
        .values(status=WaitlistStatus.EXPIRED)
        .returning(
            *_WISH,
            WaitlistEntry.expires_at,
            WaitlistEntry.offered_at,
            WaitlistEntry.offer_minutes,
        )
        .execution_options(synchronize_session=False)
    )
    notes: list[outbox.Queued] = []
    premises: set[int] = set()
    for wish_id, user_id, premise_id, starts_at, ends_at, expires_at, offered_at, minutes in lapsed.tuples():
        premises.add(premise_id)
        # The stay as it was offered (a "park now" wish moves with the clock: the offer's).
        offered = stay_as_of(starts_at, ends_at, offered_at or now)
        notes.append(
            outbox.Queued(
                user_id,
                {
                    "wish_id": wish_id,
                    "premise_id": premise_id,
                    "starts_at": offered.starts_at.isoformat(),
                    "ends_at": offered.ends_at.isoformat(),
                    "minutes": minutes,
                    # The wish would still stand: the driver may wait again for the same stay.
                    "again": expires_at > now,
                },
                f"waitlist_lapsed:{wish_id}",
            )
        )
    await outbox.notify_many(session, NotificationKind.WAITLIST_OFFER_LAPSED, notes, now=now)
    return sorted(premises)


async def premises_waiting(session: AsyncSession, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(WaitlistEntry.premise_id)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.expires_at > now)
        .distinct()
    )
    return sorted(rows)
