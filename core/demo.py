"""Demo data around a point: a handful of realistic premises with spots and blocker ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo import EARTH_RADIUS_M
from core.models import Blocker, Premise, Spot


@dataclass(frozen=True, slots=True)
class _DemoPremise:
    code: str
    name: str
    street: str
    north_m: float
    east_m: float
    price_per_hour: int
    spots: int
    features: tuple[str, ...]
    opening_hours: str
    description: str


_DEMO = (
    _DemoPremise(
        "CTR",
        "Central Station Garage",
        "1 Station Square",
        150,
        -220,
        300,
        6,
        ("covered", "cctv", "24_7", "accessible"),
        "24/7",
        "Underground garage under the station, entrance from the square. Height limit 2.1 m.",
    ),
    _DemoPremise(
        "MKT",
        "Market Street Lot",
        "14 Market Street",
        -380,
        410,
        200,
        4,
        ("cctv",),
        "06:00–23:00",
        "Open-air lot behind the market hall.",
    ),
    _DemoPremise(
        "RVR",
        "Riverside EV Hub",
        "3 Riverside Walk",
        820,
        640,
        350,
        5,
        ("ev_charging", "cctv", "24_7", "guarded"),
        "24/7",
        "Every bay has a 22 kW Type 2 charger. Charging is billed by the operator on site.",
    ),
    _DemoPremise(
        "OLD",
        "Old Town Courtyard",
        "7 Cathedral Lane",
        -950,
        -700,
        450,
        3,
        ("covered", "guarded"),
        "07:00–22:00",
        "Gated courtyard, ring the guard at the gate if the barrier is closed.",
    ),
    _DemoPremise(
        "PRK",
        "Park & Ride North",
        "120 Northern Avenue",
        1900,
        150,
        100,
        8,
        ("cctv", "24_7", "accessible"),
        "24/7",
        "Next to the tram terminus; 12 minutes to the centre.",
    ),
    _DemoPremise(
        "UNI",
        "University Deck",
        "22 Campus Road",
        -1500,
        1300,
        250,
        5,
        ("covered", "cctv", "ev_charging"),
        "Mon–Sat 07:00–21:00",
        "Multi-storey car park, levels 2 and 3 are public.",
    ),
)


# Who runs the demo car parks, as their receipts name them: a VAT-registered company with most
# of them (20 % VAT included in prices) and a small one without VAT registration (0 %).
_OPERATORS = {
    "city": ("Demo City Parking LLC", "10 Khreshchatyk Street, Kyiv 01001", "UA400500600700", 2000),
    "small": ("Riverside Mobility (sole trader)", "3 Riverside Walk, Kyiv 04070", "", 0),
}
_OPERATOR_OF = {"RVR": "small"}  # the rest: "city"


def _set_operator(premise: Premise, code: str) -> None:
    """The demo operator's details, unless the premise has some already (set in the console)."""
    if premise.operator_name:
        return
    name, address, vat_number, rate = _OPERATORS[_OPERATOR_OF.get(code, "city")]
    premise.operator_name, premise.operator_address = name, address
    premise.vat_number, premise.vat_rate_bp = vat_number, rate


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    import math

    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return round(lat + dlat, 6), round(lon + dlon, 6)


@dataclass(frozen=True, slots=True)
class SeedResult:
    premises_created: int
    premises_existing: int
    spots: int
    blocker_ids: list[str]


async def seed_demo(
    session: AsyncSession, *, lat: float, lon: float, currency: str, timezone: str, now: datetime
) -> SeedResult:
    """Idempotent: a premise already seeded under its name and address is left as it is. The
    result lists the blocker ids of every demo premise, new or already there."""
    created = existing = spots_total = 0
    blocker_ids: list[str] = []
    for demo in _DEMO:
        found = await session.scalar(
            select(Premise).where(Premise.name == demo.name, Premise.address == demo.street)
        )
        if found is not None:
            existing += 1
            _set_operator(found, demo.code)  # seeded before premises had operator fields
            # Whoever lost the ids of an earlier run needs them to start the simulator.
            blocker_ids += await session.scalars(
                select(Blocker.id)
                .join(Spot, Spot.id == Blocker.spot_id)
                .where(Spot.premise_id == found.id)
                .order_by(Spot.id, Blocker.id)
            )
            continue
        plat, plon = _offset(lat, lon, demo.north_m, demo.east_m)
        premise = Premise(
            name=demo.name,
            address=demo.street,
            lat=plat,
            lon=plon,
            timezone=timezone,
            price_per_hour=demo.price_per_hour,
            currency=currency,
            features=list(demo.features),
            photos=[],
            description=demo.description,
            opening_hours=demo.opening_hours,
            is_active=True,
            created_at=now,
        )
        _set_operator(premise, demo.code)
        session.add(premise)
        await session.flush()
        for n in range(1, demo.spots + 1):
            spot = Spot(premise_id=premise.id, label=f"{demo.code[0]}{n}", is_active=True)
            session.add(spot)
            await session.flush()
            blocker_id = f"BLK-{demo.code}-{n:02d}"
            session.add(Blocker(id=blocker_id, spot_id=spot.id))
            blocker_ids.append(blocker_id)
            spots_total += 1
        created += 1
    await session.flush()
    return SeedResult(created, existing, spots_total, blocker_ids)
