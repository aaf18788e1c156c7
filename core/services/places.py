"""Where a reservation is: its spot and the premise around it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Premise, Reservation, Spot


async def place_of(session: AsyncSession, reservation: Reservation) -> tuple[Spot, Premise]:
    """The reservation's spot and premise (NotFound if either row is gone)."""
    spot = await session.get(Spot, reservation.spot_id)
    premise = await session.get(Premise, spot.premise_id) if spot else None
    if spot is None or premise is None:
        raise NotFound(f"place of reservation {reservation.id}")
    return spot, premise
