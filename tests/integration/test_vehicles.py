"""A driver's vehicles on SQLite and PostgreSQL: one spelling per plate, at most one default
(the database's partial unique index), a limit of five, forgetting the default."""

from __future__ import annotations

import pytest

from core.clock import ManualClock
from core.db import Database
from core.errors import InvalidPlate, NotFound, TooManyVehicles
from core.usecases.vehicles import VehicleUseCases
from tests.factories import make_user


async def test_plates_defaults_limit_and_forgetting(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        user_id, other_id = (await make_user(s, name="Olena")).id, (await make_user(s, name="Petro")).id
    uc = VehicleUseCases(db, clock)
    first = await uc.add(user_id, "АА 1234 ВВ")
    assert (first.plate, first.is_default) == ("AA1234BB", True)  # the first is the default
    assert await uc.add(user_id, "aa-1234-bb") == first  # the same vehicle
    second = await uc.add(user_id, "KA 0001 AK")
    assert not second.is_default
    await uc.make_default(user_id, second.vehicle_id)
    assert [(v.plate, v.is_default) for v in await uc.vehicles(user_id)] == [
        ("KA0001AK", True),
        ("AA1234BB", False),
    ]
    with pytest.raises(NotFound):
        await uc.make_default(other_id, first.vehicle_id)  # somebody else's
    with pytest.raises(InvalidPlate):
        await uc.add(user_id, "??")
    for n in range(3):
        await uc.add(user_id, f"BC000{n}")
    with pytest.raises(TooManyVehicles):
        await uc.add(user_id, "BC0009")
    await uc.remove(user_id, second.vehicle_id)
    plates = await uc.vehicles(user_id)
    assert len(plates) == 4 and [v.is_default for v in plates].count(True) == 1
    assert plates[0].plate == "BC0002"  # the newest left became the default
    await uc.add(other_id, "AA1234BB")  # another driver may save the same plate
