"""Details edits everything the wizard asks: features, photos (added one at a time, as an
album's photos arrive; one removed; all cleared) and the location (with the time zone guessed
there, offered, not imposed), each audited before and after and refused to an attendant.
(Two creations racing for one code: tests/integration/test_premise_code_race.py.)"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InvalidPremise, NotFound, NotPermitted
from core.models import AuditEntry, AuditOutcome
from core.rules import Interval
from core.usecases.premises_admin import MAX_PHOTOS, PremiseAdminUseCases
from core.usecases.search import SearchUseCases
from tests.factories import make_premise, make_user
from tests.usecases.support import hire_staff


@dataclass
class Site:
    uc: PremiseAdminUseCases
    a: int
    owner: int
    manager: int
    attendant: int


@pytest.fixture
async def site(db: Database, clock: ManualClock, settings: Settings) -> Site:
    async with db.transaction() as s:
        alpha = await make_premise(s, name="Alpha", spots=1, now=clock.now())
        owner = await make_user(s, name="Owner", is_admin=True)
        manager, attendant = await make_user(s, name="Mira"), await make_user(s, name="Andrii")
        ids = alpha.id, owner.id, manager.id, attendant.id
    uc = PremiseAdminUseCases(db, clock, settings)
    site = Site(uc, *ids)
    await hire_staff(uc, site.owner, site.a, site.manager, site.attendant)
    return site


async def _log(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as s:
        return list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


async def test_features_are_edited_in_display_order_and_audited(db: Database, site: Site) -> None:
    edited = await site.uc.update_premise(site.manager, site.a, "features", ["ev_charging", "covered"])
    assert edited.features == ["covered", "ev_charging"]
    [entry] = await _log(db, "premises.edit.features")
    assert (entry.before, entry.after) == (
        {"premise_id": site.a, "features": []},
        {"premise_id": site.a, "features": ["covered", "ev_charging"]},
    )
    with pytest.raises(NotPermitted):
        await site.uc.update_premise(site.attendant, site.a, "features", [])
    with pytest.raises(InvalidPremise):
        await site.uc.update_premise(site.manager, site.a, "features", ["helipad"])


async def test_the_blocked_bay_credit_is_an_amount_none_or_the_plans_hour(db: Database, site: Site) -> None:
    assert (
        await site.uc.update_premise(site.manager, site.a, "blocked_bay_credit", 250)
    ).blocked_bay_credit == 250
    assert (
        await site.uc.update_premise(site.manager, site.a, "blocked_bay_credit", 0)
    ).blocked_bay_credit == 0
    assert (
        await site.uc.update_premise(site.manager, site.a, "blocked_bay_credit", None)
    ).blocked_bay_credit is None
    for wrong in (-1, True, "5", 10_000_000):
        with pytest.raises(InvalidPremise):
            await site.uc.update_premise(site.manager, site.a, "blocked_bay_credit", wrong)
    with pytest.raises(NotPermitted):  # money: attendants never set it
        await site.uc.update_premise(site.attendant, site.a, "blocked_bay_credit", 100)
    # Refused attempts are audited too, with nothing changed.
    changes = [(e.before, e.after) for e in await _log(db, "premises.edit.blocked_bay_credit") if e.after]
    assert changes == [
        (
            {"premise_id": site.a, "blocked_bay_credit": None},
            {"premise_id": site.a, "blocked_bay_credit": 250},
        ),
        ({"premise_id": site.a, "blocked_bay_credit": 250}, {"premise_id": site.a, "blocked_bay_credit": 0}),
        ({"premise_id": site.a, "blocked_bay_credit": 0}, {"premise_id": site.a, "blocked_bay_credit": None}),
    ]


async def test_photos_are_added_removed_and_cleared(db: Database, site: Site) -> None:
    # An album: its photos arrive as messages at once; none is lost.
    await asyncio.gather(*(site.uc.add_photo(site.manager, site.a, f"photo-{n}") for n in range(3)))
    photos = (await site.uc.details(site.manager, site.a)).photos
    assert sorted(photos) == ["photo-0", "photo-1", "photo-2"]
    left = await site.uc.remove_photo(site.manager, site.a, photos[1])
    assert left.photos == [photos[0], photos[2]]
    [removed] = await _log(db, "premises.edit.photos.remove")
    assert (removed.before, removed.after) == (
        {"premise_id": site.a, "photos": photos},
        {"premise_id": site.a, "photos": [photos[0], photos[2]]},
    )
    with pytest.raises(NotFound):  # removed meanwhile (another tap, another manager)
        await site.uc.remove_photo(site.manager, site.a, photos[1])
    with pytest.raises(NotPermitted):
        await site.uc.add_photo(site.attendant, site.a, "mine")
    assert (await site.uc.update_premise(site.manager, site.a, "photos", [])).photos == []
    for n in range(MAX_PHOTOS):
        await site.uc.add_photo(site.manager, site.a, f"p{n}")
    with pytest.raises(InvalidPremise) as refused:
        await site.uc.add_photo(site.manager, site.a, "one-too-many")
    assert refused.value.field == "photos"
    assert len((await site.uc.details(site.manager, site.a)).photos) == MAX_PHOTOS
    assert [e.outcome for e in await _log(db, "premises.edit.photos.add")][-1] is AuditOutcome.REFUSED


async def test_a_move_is_searchable_at_once_and_offers_the_time_zone_there(
    db: Database, clock: ManualClock, settings: Settings, site: Site
) -> None:
    moved = await site.uc.relocate(site.manager, site.a, 48.2082, 16.3738)  # Kyiv → Vienna
    assert (moved.details.lat, moved.details.lon, moved.details.timezone) == (48.2082, 16.3738, "Europe/Kyiv")
    assert moved.guessed_timezone == "Europe/Vienna"
    [entry] = await _log(db, "premises.edit.location")
    assert (entry.before, entry.after) == (
        {"premise_id": site.a, "lat": 50.45, "lon": 30.52},
        {"premise_id": site.a, "lat": 48.2082, "lon": 16.3738},
    )
    search = SearchUseCases(db, clock, settings)
    interval = Interval(clock.now(), clock.now() + timedelta(hours=1))
    near_vienna = await search.nearby(48.2083, 16.3739, interval=interval, radius_m=500, limit=5)
    assert [p.premise_id for p in near_vienna.items] == [site.a]
    near_kyiv = await search.nearby(50.45, 30.52, interval=interval, radius_m=500, limit=5)
    assert near_kyiv.items == []
    # Moving within the zone: nothing to offer.
    assert (await site.uc.relocate(site.manager, site.a, 48.21, 16.37)).guessed_timezone == "Europe/Vienna"
    with pytest.raises(InvalidPremise) as refused:
        await site.uc.relocate(site.manager, site.a, 91.0, 0.0)
    assert refused.value.field == "coordinates"
    with pytest.raises(NotPermitted):
        await site.uc.relocate(site.attendant, site.a, 50.45, 30.52)
