"""A driver's vehicles (issue 15): number plates saved once, normalised (core/plates.py), one
the default the booking offers. A booking may name a plate or none (optional)."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.db import Database
from core.services import vehicles


@dataclass(frozen=True, slots=True)
class VehicleView:
    vehicle_id: int
    plate: str
    is_default: bool


class VehicleUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def vehicles(self, user_id: int) -> list[VehicleView]:
        """The default first, then the newest."""
        async with self.db.read() as s:
            return [VehicleView(v.id, v.plate, v.is_default) for v in await vehicles.of_user(s, user_id)]

    async def add(self, user_id: int, text: str, *, default: bool = False) -> VehicleView:
        """Saves a plate (the same plate typed again is the same vehicle). Raises InvalidPlate,
        TooManyVehicles."""
        async with self.db.transaction() as s:
            v = await vehicles.save(s, user_id, text, self.clock.now(), default=default)
            return VehicleView(v.id, v.plate, v.is_default)

    async def make_default(self, user_id: int, vehicle_id: int) -> None:
        """Raises NotFound (also for somebody else's vehicle)."""
        async with self.db.transaction() as s:
            await vehicles.make_default(s, user_id, await vehicles.owned(s, user_id, vehicle_id))

    async def remove(self, user_id: int, vehicle_id: int) -> None:
        """Forgets a plate (bookings keep theirs); the newest left becomes the default if the
        default went. Raises NotFound."""
        async with self.db.transaction() as s:
            vehicle = await vehicles.owned(s, user_id, vehicle_id)
            was_default = vehicle.is_default
            await s.delete(vehicle)
            await s.flush()
            rest = await vehicles.of_user(s, user_id)
            if was_default and rest:
                await vehicles.make_default(s, user_id, rest[0])
