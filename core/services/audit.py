"""Consistency checks an operator (or a test, or a benchmark) can run against the database."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.models import HOLDING_STATUSES, Reservation


async def overlapping_holds(session: AsyncSession) -> int:
    """Pairs of holding reservations of one spot whose intervals overlap: must always be 0."""
    a, b = aliased(Reservation), aliased(Reservation)
    count = await session.scalar(
        select(func.count())
        .select_from(a)
        .join(
            b,
            and_(
                a.spot_id == b.spot_id,
                a.id < b.id,
                a.starts_at < b.ends_at,
                b.starts_at < a.ends_at,
                a.status.in_(HOLDING_STATUSES),
                b.status.in_(HOLDING_STATUSES),
            ),
        )
    )
    return int(count or 0)
