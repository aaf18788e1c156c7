"""Blocker incidents and the buttons of their alerts, on SQLite and PostgreSQL: one open
incident per blocker and kind however often (and from however many callers at once) the news
comes; the premise's blocker staff and the owners are alerted with the bookings affected;
"incident ended" once, only after a report newer than the opening; every button checks the
caller's role at the incident's premise (a forged id is refused and audited)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NotFound, NotPermitted
from core.models import (
    AuditEntry,
    AuditOutcome,
    Blocker,
    BlockerIncident,
    BlockerState,
    IncidentKind,
    Notification,
    PremiseStaff,
    Reservation,
    ReservationStatus,
    Spot,
    StaffRole,
    WalletTxKind,
)
from core.notifications import NotificationKind as K
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.arrival import ArrivalUseCases
from core.usecases.blockers_admin import BlockerAdminUseCases
from core.usecases.incidents import IncidentUseCases
from tests.factories import make_premise, make_user
from tests.fakes.blockers import FakeBlockers

SETTINGS = Settings(_env_file=None, bot_token="1:x")


@dataclass
class Site:
    db: Database
    clock: ManualClock
    uc: IncidentUseCases
    fake: FakeBlockers
    premise: int
    other_premise: int
    spots: list[int]
    owner: int
    manager: int
    attendant: int
    other_manager: int  # a manager of the other premise
    driver: int


@pytest.fixture
async def site(db: Database, clock: ManualClock) -> Site:
    async with db.transaction() as s:
        alpha = await make_premise(s, name="Alpha", spots=3, now=clock.now())
        beta = await make_premise(s, name="Beta")
        owner = await make_user(s, name="Owner", is_admin=True)
        manager, attendant = await make_user(s, name="Mira"), await make_user(s, name="Andrii")
        other, driver = await make_user(s, name="Oksana"), await make_user(s, name="Olena Shevchenko")
        revoked = await make_user(s, name="Gone")
        for user, premise, role in (
            (manager, alpha, StaffRole.MANAGER),
            (attendant, alpha, StaffRole.ATTENDANT),
            (other, beta, StaffRole.MANAGER),
        ):
            s.add(PremiseStaff(premise_id=premise.id, user_id=user.id, role=role, created_at=clock.now()))
        s.add(
            PremiseStaff(
                premise_id=alpha.id,
                user_id=revoked.id,
                role=StaffRole.MANAGER,
                created_at=clock.now(),
                revoked_at=clock.now(),
            )
        )
        spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == alpha.id).order_by(Spot.id)))
        for n, spot in enumerate(spots):
            s.add(
                Blocker(
                    id=f"BLK-{n + 1}",
                    spot_id=spot,
                    online=True,
                    state=BlockerState.RAISED,
                    battery=90,
                    state_ts=clock.now(),
                )
            )
        ids = alpha.id, beta.id, spots, owner.id, manager.id, attendant.id, other.id, driver.id
    fake = FakeBlockers()
    blockers_admin = BlockerAdminUseCases(db, clock, SETTINGS, commands=fake)
    uc = IncidentUseCases(db, clock, SETTINGS, blockers_admin=blockers_admin)
    return Site(db, clock, uc, fake, *ids)


async def _paid_booking(site: Site, *, in_hours: float = 1, minutes: int = 120) -> int:
    """A wallet-paid booking of the driver on spot A1 (the first free one)."""
    db, clock = site.db, site.clock
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=site.driver,
            premise_id=site.premise,
            starts_at=clock.now() + timedelta(hours=in_hours),
            minutes=minutes,
            now=clock.now(),
            hold_minutes=10,
        )
        await wallet.credit(
            s, site.driver, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
        )
    async with db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=site.driver, now=clock.now())
    return r.id


async def _report(site: Site, blocker_id: str, *, at: datetime | None = None, **values: object) -> None:
    """What the MQTT link writes for a report, then its health callback."""
    async with site.db.transaction() as s:
        await s.execute(
            update(Blocker).where(Blocker.id == blocker_id).values(**values, state_ts=at or site.clock.now())
        )
    await site.uc.settle(blocker_id)


async def _notes(site: Site, kind: K) -> list[Notification]:
    async with site.db.read() as s:
        return list(
            await s.scalars(
                select(Notification).where(Notification.kind == kind).order_by(Notification.user_id)
            )
        )


async def _incidents(site: Site) -> list[BlockerIncident]:
    async with site.db.read() as s:
        return list(await s.scalars(select(BlockerIncident).order_by(BlockerIncident.id)))


async def _audit(site: Site, action: str) -> list[AuditOutcome]:
    async with site.db.read() as s:
        return list(
            await s.scalars(
                select(AuditEntry.outcome).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def test_a_fault_opens_one_incident_and_alerts_the_premises_blocker_staff_once(site: Site) -> None:
    booked = await _paid_booking(site)
    site.clock.advance(timedelta(seconds=5))
    await _report(site, "BLK-1", state=BlockerState.FAULT)
    # The same news again (a retained or repeated report, another process's callback): nothing new.
    await _report(site, "BLK-1", state=BlockerState.FAULT)
    await asyncio.gather(*(site.uc.settle("BLK-1") for _ in range(4)))
    (incident,) = await _incidents(site)
    assert (incident.kind, incident.blocker_id, incident.premise_id) == (
        IncidentKind.FAULT,
        "BLK-1",
        site.premise,
    )
    assert incident.closed_at is None and incident.alerted
    alerts = await _notes(site, K.ADMIN_INCIDENT)
    # Owner, manager and attendant of Alpha; not Beta's manager, not the revoked one, not the driver.
    assert sorted(n.user_id for n in alerts) == sorted([site.owner, site.manager, site.attendant])
    assert all(n.payload["incident_id"] == incident.id for n in alerts)
    assert all(n.payload["reservations"] == [booked] for n in alerts)
    # Each reader is offered what they may do: the attendant may move drivers, not refund them.
    rights = {n.user_id: (n.payload["may_move"], n.payload["may_refund"]) for n in alerts}
    assert rights == {
        site.owner: (True, True),
        site.manager: (True, True),
        site.attendant: (True, False),
    }


async def test_concurrent_reports_from_two_processes_open_one_incident(site: Site) -> None:
    await _paid_booking(site)
    async with site.db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.id == "BLK-1").values(online=False))
    # A second process: its own engine and connections on the same database.
    other_db = Database.from_url(site.db.engine.url.render_as_string(hide_password=False))
    other = IncidentUseCases(
        other_db, site.clock, SETTINGS, blockers_admin=BlockerAdminUseCases(other_db, site.clock, SETTINGS)
    )
    try:
        await asyncio.gather(*(uc.settle("BLK-1") for uc in (site.uc, other) * 3))
    finally:
        await other_db.dispose()
    incidents = await _incidents(site)
    assert [(i.kind, i.closed_at) for i in incidents] == [(IncidentKind.OFFLINE, None)]
    assert len(await _notes(site, K.ADMIN_INCIDENT)) == 3


async def test_no_bookings_ahead_opens_a_quiet_incident(site: Site) -> None:
    await _report(site, "BLK-2", battery=5)
    (incident,) = await _incidents(site)
    assert incident.kind is IncidentKind.LOW_BATTERY and not incident.alerted
    assert await _notes(site, K.ADMIN_INCIDENT) == []


async def test_it_ends_once_and_only_on_a_report_newer_than_the_opening(site: Site) -> None:
    await _paid_booking(site)
    fault_at = site.clock.now() + timedelta(seconds=1)
    site.clock.advance(timedelta(seconds=2))
    await _report(site, "BLK-1", at=fault_at, state=BlockerState.FAULT)
    site.clock.advance(timedelta(minutes=42))
    # A healthy report stamped no later than the fault (replayed, delayed): still open.
    await _report(site, "BLK-1", at=fault_at, state=BlockerState.RAISED)
    assert (await _incidents(site))[0].closed_at is None
    assert await site.uc.close_recovered() == 0
    await _report(site, "BLK-1", at=site.clock.now(), state=BlockerState.RAISED)
    (incident,) = await _incidents(site)
    assert incident.closed_at == site.clock.now()
    await _report(site, "BLK-1", at=site.clock.now(), state=BlockerState.RAISED)
    assert await site.uc.close_recovered() == 0
    ended = await _notes(site, K.ADMIN_INCIDENT_ENDED)
    assert sorted(n.user_id for n in ended) == sorted([site.owner, site.manager, site.attendant])
    # A new fault is a new incident.
    site.clock.advance(timedelta(seconds=5))
    await _report(site, "BLK-1", state=BlockerState.FAULT)
    assert [i.closed_at is None for i in await _incidents(site)] == [False, True]


async def test_an_outage_ends_when_the_blocker_is_back_online(site: Site) -> None:
    await _paid_booking(site)
    async with site.db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.id == "BLK-1").values(online=False))
    await site.uc.settle("BLK-1")
    async with site.db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.id == "BLK-1").values(online=True))
    assert await site.uc.close_recovered() == 1  # the sweep, as when another process heard it
    assert len(await _notes(site, K.ADMIN_INCIDENT_ENDED)) == 3


async def test_a_jammed_lowering_opens_the_fault_incident_its_fault_state_then_joins(site: Site) -> None:
    site.clock.advance(timedelta(minutes=1))
    booked = await _paid_booking(site, in_hours=0.1)
    site.clock.advance(timedelta(minutes=10))
    arrival = ArrivalUseCases(site.db, FakeBlockers(CommandStatus.JAMMED), site.clock, early_minutes=15)
    result = await arrival.lower(booked, site.driver)
    assert result.result is not None and result.result.status is CommandStatus.JAMMED
    await _report(site, "BLK-1", state=BlockerState.FAULT)  # the device's fault state after the jam
    (incident,) = await _incidents(site)
    assert incident.kind is IncidentKind.FAULT and incident.detail == "jammed"
    assert len(await _notes(site, K.ADMIN_INCIDENT)) == 3


async def test_move_these_drivers_moves_what_has_not_started_and_tells_the_driver(site: Site) -> None:
    booked = await _paid_booking(site)
    await _report(site, "BLK-1", state=BlockerState.FAULT)
    (incident,) = await _incidents(site)
    # Another premise's manager forging the button: refused and audited, nothing moved.
    with pytest.raises(NotPermitted):
        await site.uc.move_drivers(site.other_manager, incident.id)
    with pytest.raises(NotFound):
        await site.uc.move_drivers(site.owner, incident.id + 100)
    outcome = await site.uc.move_drivers(site.attendant, incident.id)
    assert outcome.moved == [(booked, "A2")] and outcome.stuck == []
    async with site.db.read() as s:
        r = await s.get(Reservation, booked)
        assert r is not None and r.spot_id == site.spots[1] and r.status is ReservationStatus.CONFIRMED
    (moved,) = await _notes(site, K.BOOKING_MOVED)
    assert moved.user_id == site.driver and moved.payload["blocker"] is True
    assert await _audit(site, "incident.move") == [
        AuditOutcome.REFUSED,
        AuditOutcome.REFUSED,
        AuditOutcome.OK,
    ]
    # Nothing is left on the spot to move.
    assert (await site.uc.move_drivers(site.manager, incident.id)).moved == []


async def test_refund_them_needs_the_refund_right_and_cancels_with_a_full_refund(site: Site) -> None:
    booked = await _paid_booking(site)
    await _report(site, "BLK-1", state=BlockerState.FAULT)
    (incident,) = await _incidents(site)
    with pytest.raises(NotPermitted):
        await site.uc.refund_drivers(site.attendant, incident.id)
    outcome = await site.uc.refund_drivers(site.manager, incident.id)
    assert outcome.refunded == [booked] and outcome.amount == 400 and outcome.currency == "EUR"
    async with site.db.read() as s:
        r = await s.get(Reservation, booked)
        assert r is not None and r.status is ReservationStatus.CANCELLED
        assert await wallet.balance(s, site.driver, "EUR") == 400
    assert [n.user_id for n in await _notes(site, K.BOOKING_CANCELLED)] == [site.driver]
    assert await _audit(site, "incident.refund") == [AuditOutcome.REFUSED, AuditOutcome.OK]


async def test_test_blocker_and_acknowledge(site: Site) -> None:
    await _paid_booking(site)
    await _report(site, "BLK-1", state=BlockerState.FAULT)
    (incident,) = await _incidents(site)
    site.fake.answers = [CommandStatus.JAMMED]
    result = await site.uc.test_blocker(site.attendant, incident.id)
    assert result.status is CommandStatus.JAMMED and site.fake.sent == [("BLK-1", "raise", None)]
    with pytest.raises(NotPermitted):
        await site.uc.test_blocker(site.other_manager, incident.id)
    assert len(site.fake.sent) == 1
    first = await site.uc.acknowledge(site.attendant, incident.id)
    again = await site.uc.acknowledge(site.manager, incident.id)
    assert (first.first, first.by) == (True, "Andrii")
    assert (again.first, again.by, again.at) == (False, "Andrii", first.at)
    with pytest.raises(NotPermitted):
        await site.uc.acknowledge(site.other_manager, incident.id)
    assert await _audit(site, "incident.acknowledge") == [
        AuditOutcome.OK,
        AuditOutcome.OK,
        AuditOutcome.REFUSED,
    ]
    assert await _audit(site, "incident.test") == [AuditOutcome.REFUSED]


async def test_a_driver_the_blocker_failed_at_the_gate_is_moved_too_but_not_a_parked_one(site: Site) -> None:
    at_the_gate = await _paid_booking(site, in_hours=0.5)  # A1
    parked = await _paid_booking(site, in_hours=0.5)  # A2
    site.clock.advance(timedelta(minutes=40))  # both under way
    async with site.db.transaction() as s:
        await booking.mark_arrived(s, parked, user_id=site.driver, now=site.clock.now())
    for blocker_id in ("BLK-1", "BLK-2"):
        await _report(site, blocker_id, state=BlockerState.FAULT)
    first, second = await _incidents(site)
    assert (await site.uc.move_drivers(site.attendant, first.id)).moved == [(at_the_gate, "A3")]
    outcome = await site.uc.move_drivers(site.attendant, second.id)
    assert (outcome.moved, outcome.stuck) == ([], [parked])
