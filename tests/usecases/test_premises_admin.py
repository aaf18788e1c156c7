"""The console's Premises section: owners create a car park (a short numeric code, no spots
yet, priced from its price per hour); managers edit their premise's fields (audited before
and after); attendants and other premises' staff are refused; a deactivated premise is not
offered (search, quotes) and its future bookings are kept or cancelled with a full refund."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import premise_codes
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InvalidPremise, NotFound, NotPermitted
from core.models import AuditEntry, AuditOutcome, Premise, Reservation, ReservationStatus
from core.rules import Interval
from core.services import booking
from core.services import payments as pay_rules
from core.usecases.premises_admin import PremiseAdminUseCases, PremiseDraft, parse_coordinates
from core.usecases.search import SearchUseCases
from tests.factories import make_premise, make_user
from tests.usecases.support import balance, fund, hire_staff

DRAFT = PremiseDraft(
    name="Podil Garage",
    lat=50.4655,
    lon=30.5155,
    address="Kontraktova Square 4",
    timezone="Europe/Kyiv",
    currency="uah",
    price_per_hour=3000,
    opening_hours="Mo-Fr 07:00-21:00; Sa 08:00-14:00",
    features=["cctv", "covered", "cctv"],
    description="Entrance from the yard.",
    photos=["AgACAgIAAxk-photo"],
)


@dataclass
class Site:
    uc: PremiseAdminUseCases
    search: SearchUseCases
    a: int
    b: int
    owner: int
    manager: int
    attendant: int
    driver: int


@pytest.fixture
async def site(db: Database, clock: ManualClock, settings: Settings) -> Site:
    async with db.transaction() as s:
        alpha = await make_premise(s, name="Alpha", spots=2, now=clock.now())
        beta = await make_premise(s, name="Beta")
        owner = await make_user(s, name="Owner", is_admin=True)
        manager, attendant = await make_user(s, name="Mira"), await make_user(s, name="Andrii")
        driver = await make_user(s, name="Olena")
        ids = alpha.id, beta.id, owner.id, manager.id, attendant.id, driver.id
    uc = PremiseAdminUseCases(db, clock, settings)
    site = Site(uc, SearchUseCases(db, clock, settings), *ids)
    await hire_staff(uc, site.owner, site.a, site.manager, site.attendant)
    return site


async def _log(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as s:
        return list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


async def test_an_owner_creates_a_car_park_with_a_code_and_no_spots(
    db: Database, clock: ManualClock, site: Site
) -> None:
    made = await site.uc.create_premise(site.owner, DRAFT)
    assert (made.name, made.currency, made.features, made.spots, made.is_active) == (
        "Podil Garage", "UAH", ["covered", "cctv"], 0, True,
    )  # fmt: skip
    assert premise_codes.CODE.match(made.code) and len(made.code) == 4
    assert made.opening_hours == "Mo-Fr 07:00-21:00; Sa 08:00-14:00"
    [entry] = await _log(db, "premises.create")
    assert (entry.outcome, entry.premise_id, entry.actor_user_id) == (AuditOutcome.OK, None, site.owner)
    assert (
        entry.after is not None and entry.after["code"] == made.code and entry.after["name"] == "Podil Garage"
    )
    assert (await site.uc.details(site.manager, site.a)).code != made.code


async def test_only_owners_create_and_bad_fields_are_refused(db: Database, site: Site) -> None:
    for who in (site.manager, site.attendant, site.driver):
        with pytest.raises(NotPermitted):
            await site.uc.create_premise(who, DRAFT)
    refusals = await _log(db, "premises.create")
    assert [e.outcome for e in refusals] == [AuditOutcome.REFUSED] * 3
    bad = {
        "name": replace(DRAFT, name="  "),
        "coordinates": replace(DRAFT, lat=91.0),
        "timezone": replace(DRAFT, timezone="Europe/Atlantis"),
        "currency": replace(DRAFT, currency="EURO"),
        "opening_hours": replace(DRAFT, opening_hours="whenever"),
        "features": replace(DRAFT, features=["helipad"]),
        "price_per_hour": replace(DRAFT, price_per_hour=0),
    }
    for field, draft in bad.items():
        with pytest.raises(InvalidPremise) as refused:
            await site.uc.create_premise(site.owner, draft)
        assert refused.value.field == field
    async with db.read() as s:
        assert not list(await s.scalars(select(Premise).where(Premise.name == "Podil Garage")))


async def test_a_manager_edits_their_premise_audited_before_and_after(db: Database, site: Site) -> None:
    edited = await site.uc.update_premise(site.manager, site.a, "opening_hours", "Mo-Su 06:00-23:00")
    assert edited.opening_hours == "Mo-Su 06:00-23:00"
    [entry] = await _log(db, "premises.edit.opening_hours")
    assert entry.before == {"premise_id": site.a, "opening_hours": "24/7"}
    assert entry.after == {"premise_id": site.a, "opening_hours": "Mo-Su 06:00-23:00"}
    assert (await site.uc.update_premise(site.owner, site.a, "name", " Alpha Plaza ")).name == "Alpha Plaza"
    with pytest.raises(InvalidPremise):
        await site.uc.update_premise(site.manager, site.a, "timezone", "Mars/Olympus")
    with pytest.raises(InvalidPremise):  # the price has its own section
        await site.uc.update_premise(site.manager, site.a, "price_per_hour", 1)
    with pytest.raises(NotPermitted):
        await site.uc.update_premise(site.attendant, site.a, "name", "Mine")
    with pytest.raises(NotPermitted):  # not their premise
        await site.uc.update_premise(site.manager, site.b, "name", "Mine")
    assert (await site.uc.details(site.owner, site.a)).name == "Alpha Plaza"
    assert (await site.uc.details(site.owner, site.b)).name == "Beta"


async def test_deactivated_is_not_offered_and_its_bookings_are_kept_or_refunded(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rids = []
    for start_h in (2, 5):
        async with db.transaction() as s:
            r = await booking.hold(
                s,
                user_id=site.driver,
                premise_id=site.a,
                starts_at=clock.now() + timedelta(hours=start_h),
                minutes=120,
                now=clock.now(),
                hold_minutes=10,
            )
            rid, price = r.id, r.price
        await fund(db, clock, site.driver, price)
        async with db.transaction() as s:
            await pay_rules.pay_booking_with_wallet(
                s, reservation_id=rid, user_id=site.driver, now=clock.now()
            )
        rids.append(rid)
    with pytest.raises(NotPermitted):
        await site.uc.deactivate(site.attendant, site.a)
    done = await site.uc.deactivate(site.manager, site.a)
    assert not done.details.is_active
    assert [(b.reservation_id, b.driver) for b in done.bookings] == [(rids[0], "Olena"), (rids[1], "Olena")]
    with pytest.raises(NotFound):
        await site.search.quote(site.a, clock.now() + timedelta(hours=1), 60)
    page = await site.search.nearby(
        50.45,
        30.52,
        interval=Interval(clock.now(), clock.now() + timedelta(hours=1)),
        radius_m=1000,
        limit=10,
    )
    assert site.a not in [p.premise_id for p in page.items] and site.b in [p.premise_id for p in page.items]
    # Keep the first (nothing to do); cancel the second with a full refund.
    cancelled = await site.uc.cancel_booking_as_operator(site.manager, site.a, rids[1])
    assert cancelled.refunded_to_wallet > 0 and await balance(db, site.driver) == cancelled.refunded_to_wallet
    async with db.read() as s:
        statuses = [(await s.get(Reservation, rid)).status for rid in rids]  # type: ignore[union-attr]
    assert statuses == [ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED]
    assert [b.reservation_id for b in await site.uc.future_bookings(site.owner, site.a)] == [rids[0]]
    with pytest.raises(NotPermitted):  # another premise's booking: not this manager's
        await site.uc.cancel_booking_as_operator(site.manager, site.b, rids[0])
    assert (await site.uc.reactivate(site.owner, site.a)).is_active
    assert (await site.search.quote(site.a, clock.now() + timedelta(hours=1), 60)).quote.free_spots == 2
    assert [e.after for e in await _log(db, "premises.deactivate") if e.outcome is AuditOutcome.OK] == [
        {"premise_id": site.a, "is_active": False}
    ]


async def test_codes_are_unique_and_four_to_six_digits(db: Database, site: Site) -> None:
    async with db.transaction() as s:
        for n in range(20):
            await make_premise(s, name=f"P{n}", spots=0)
    async with db.read() as s:
        codes = [c for c in await s.scalars(select(Premise.code))]
    assert len(codes) == len(set(codes)) == 22
    assert all(c is not None and premise_codes.CODE.match(c) for c in codes)
    # Once every 4-digit code is taken, 5 digits; then 6.
    four = [str(n) for n in range(1000, 10000)]
    assert len(premise_codes.pick(four)) == 5
    assert premise_codes.pick([*four[:-1]]) == "9999"
    five = [str(n) for n in range(10000, 100000)]
    assert len(premise_codes.pick(four + five)) == 6


def test_typed_coordinates() -> None:
    assert parse_coordinates("50.45, 30.52") == (50.45, 30.52)
    assert parse_coordinates("50.45 30.52") == (50.45, 30.52)
    for text in ("50.45", "north", "95, 30", "50, 200"):
        with pytest.raises(InvalidPremise):
            parse_coordinates(text)


def test_the_time_zone_is_guessed_from_the_coordinates(settings: Settings, site: Site) -> None:
    assert site.uc.guess_timezone(50.45, 30.52) == "Europe/Kyiv"
    assert site.uc.guess_timezone(48.2082, 16.3738) == "Europe/Vienna"
