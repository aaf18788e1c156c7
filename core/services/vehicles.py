"""A driver's saved number plates (`vehicles`): at most one default (partial unique index)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import plates
from core.errors import NotFound, NotOwner, TooManyVehicles
from core.models import User, Vehicle


async def of_user(session: AsyncSession, user_id: int) -> list[Vehicle]:
    """The default first, then the newest."""
    rows = await session.scalars(
        select(Vehicle)
        .where(Vehicle.user_id == user_id)
        .order_by(Vehicle.is_default.desc(), Vehicle.id.desc())
    )
    return list(rows)


async def make_default(session: AsyncSession, user_id: int, vehicle: Vehicle) -> None:
    # The old default is cleared first: the index allows one default per driver at any time.
    await session.execute(
        update(Vehicle)
        .where(Vehicle.user_id == user_id, Vehicle.is_default.is_(True), Vehicle.id != vehicle.id)
        .values(is_default=False)
    )
    vehicle.is_default = True
    await session.flush()


async def save(session: AsyncSession, user_id: int, text: str, now: datetime, *, default: bool) -> Vehicle:
    """The driver's vehicle with this plate, saved now if new (the default when it is the first
    or `default`). Raises InvalidPlate, TooManyVehicles."""
    plate = plates.normalise(text)
    # The driver's row serialises concurrent saves of one driver (the plate limit).
    await session.scalar(select(User.id).where(User.id == user_id).with_for_update())
    saved = await of_user(session, user_id)
    vehicle = next((v for v in saved if v.plate == plate), None)
    if vehicle is None:
        if len(saved) >= plates.MAX_VEHICLES:
            raise TooManyVehicles(f"user {user_id}")
        vehicle = Vehicle(user_id=user_id, plate=plate, is_default=False, created_at=now)
        session.add(vehicle)
        await session.flush()
    if default or not saved:
        await make_default(session, user_id, vehicle)
    return vehicle


async def owned(session: AsyncSession, user_id: int, vehicle_id: int) -> Vehicle:
    vehicle = await session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_id}")
    if vehicle.user_id != user_id:
        raise NotOwner(f"vehicle {vehicle_id}")
    return vehicle
