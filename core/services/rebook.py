"""Book again: the same car park and stay length, from the first moment a spot is free."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import blocker_unhealthy
from core.models import Blocker, Premise, Reservation, Spot
from core.opening_hours import is_open
from core.rules import MAX_DAYS_AHEAD, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, STEP_MINUTES, start_now
from core.services.availability import holds_spot

_STEP = timedelta(minutes=STEP_MINUTES)


def stay_minutes(reservation: Reservation) -> int:
    """How long the earlier stay lasted, as a booking length (15-minute steps, 30 min-24 h): a
    stay ended early counts as long as the driver actually stayed."""
    minutes = math.ceil((reservation.ends_at - reservation.starts_at).total_seconds() / 60)
    minutes = math.ceil(minutes / STEP_MINUTES) * STEP_MINUTES
    return max(MIN_DURATION_MINUTES, min(MAX_DURATION_MINUTES, minutes))


async def next_free_start(
    session: AsyncSession, premise: Premise, minutes: int, now: datetime
) -> datetime | None:
    """The earliest start from now (this minute) at which some spot of the premise that is on
    sale stays free for `minutes` within the opening hours; None within the booking horizon.
    A spot frees up when a booking on it ends, or opens at a step of the clock (opening hours,
    a closed spot's reopening), so those moments are the candidates, earliest first."""
    first = start_now(now)
    last = first + timedelta(days=MAX_DAYS_AHEAD)
    length = timedelta(minutes=minutes)
    unhealthy = exists().where(Blocker.spot_id == Spot.id, blocker_unhealthy())
    spots = (
        await session.execute(
            select(Spot.id, Spot.is_active, Spot.closed_until).where(
                Spot.premise_id == premise.id, ~unhealthy
            )
        )
    ).all()
    # A closed spot counts from its reopening on; one closed until further notice not at all.
    opens = {s.id: first if s.is_active else s.closed_until for s in spots if s.is_active or s.closed_until}
    if not opens:
        return None
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    rows = await session.execute(
        select(Reservation.spot_id, Reservation.starts_at, Reservation.ends_at).where(
            Reservation.spot_id.in_(opens),
            holds_spot(now),
            Reservation.ends_at > first,
            Reservation.starts_at < last + length,
        )
    )
    for spot_id, starts_at, ends_at in rows.tuples():
        busy[spot_id].append((starts_at, ends_at))
    candidates = {first} | {end for taken in busy.values() for _s, end in taken if end <= last}
    candidates |= {at for at in opens.values() if at is not None and first <= at <= last}
    step = first.replace(minute=first.minute - first.minute % STEP_MINUTES) + _STEP
    while step <= last:
        candidates.add(step)
        step += _STEP
    for start in sorted(candidates):
        end = start + length
        if not is_open(premise.opening_hours, premise.timezone, start, end):
            continue
        for spot_id, opens_at in opens.items():
            if (
                opens_at is not None
                and opens_at <= start
                and not any(s < end and e > start for s, e in busy[spot_id])
            ):
                return start
    return None
