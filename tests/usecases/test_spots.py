"""The console's Spots section: who may add, rename, close and reopen spots (each action and
each refusal audited with before and after), what a closing does to search and quotes, and
the bookings on a closed spot: moved (the driver told, the time kept) or cancelled with a
full refund."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import (
    InvalidClosing,
    InvalidTransition,
    NoSpotToMoveTo,
    NotFound,
    NotPermitted,
    SpotLabelTaken,
    TooManySpots,
)
from core.models import (
    AuditEntry,
    AuditOutcome,
    Notification,
    Reservation,
    ReservationStatus,
    Spot,
)
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.search import SearchUseCases
from core.usecases.spots import SpotUseCases
from tests.factories import make_premise, make_user
from tests.usecases.support import fund, hire_staff


@dataclass
class Site:
    uc: SpotUseCases
    search: SearchUseCases
    a: int  # "Alpha": spots A1, A2
    b: int  # "Beta"
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
    uc = SpotUseCases(db, clock, settings)
    site = Site(uc, SearchUseCases(db, clock, settings), *ids)
    await hire_staff(uc, site.owner, site.a, site.manager, site.attendant)
    return site


async def _log(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as s:
        return list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


async def _spot_id(db: Database, premise_id: int, label: str) -> int:
    async with db.read() as s:
        found = await s.scalar(select(Spot.id).where(Spot.premise_id == premise_id, Spot.label == label))
        assert found is not None
        return found


async def _paid_booking(db: Database, clock: ManualClock, site: Site, start_h: float = 2) -> int:
    """A 2-hour booking paid from the wallet; the engine takes the first free spot (A1)."""
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
        await pay_rules.pay_booking_with_wallet(s, reservation_id=rid, user_id=site.driver, now=clock.now())
    return rid


async def test_managers_and_owners_add_and_rename_spots(db: Database, site: Site) -> None:
    added = await site.uc.add_spots(site.manager, site.a, "B1-B3, C7")
    assert [s.label for s in added] == ["B1", "B2", "B3", "C7"]
    listed = await site.uc.spots(site.owner, site.a)
    assert listed.premise_name == "Alpha"
    assert [(s.label, s.is_active) for s in listed.spots] == [
        ("A1", True), ("A2", True), ("B1", True), ("B2", True), ("B3", True), ("C7", True),
    ]  # fmt: skip
    with pytest.raises(SpotLabelTaken) as taken:
        await site.uc.add_spots(site.owner, site.a, "A2-A4")
    assert taken.value.labels == ["A2"]
    with pytest.raises(TooManySpots):
        await site.uc.add_spots(site.owner, site.a, "X1-X501")
    assert len((await site.uc.spots(site.owner, site.a)).spots) == 6  # nothing of a refusal is kept
    # The same label at another car park is another spot.
    await site.uc.add_spots(site.owner, site.b, "B1")

    renamed = await site.uc.rename_spot(site.manager, site.a, added[3].spot_id, "C8")
    assert renamed.label == "C8"
    with pytest.raises(SpotLabelTaken):
        await site.uc.rename_spot(site.manager, site.a, added[3].spot_id, "A1")

    adds = await _log(db, "spot.add")
    assert [(e.outcome, e.after) for e in adds[:1]] == [
        (AuditOutcome.OK, {"count": 4, "labels": ["B1", "B2", "B3", "C7"], "first_id": added[0].spot_id})
    ]
    assert [e.outcome for e in adds] == [
        AuditOutcome.OK,
        AuditOutcome.REFUSED,
        AuditOutcome.REFUSED,
        AuditOutcome.OK,
    ]
    assert adds[1].detail.startswith("spot_label_taken")
    rename = (await _log(db, "spot.rename"))[0]
    assert (rename.before, rename.after) == (
        {"spot_id": added[3].spot_id, "label": "C7"},
        {"spot_id": added[3].spot_id, "label": "C8"},
    )


async def test_an_attendant_and_other_premises_are_refused_and_audited(db: Database, site: Site) -> None:
    a1 = await _spot_id(db, site.a, "A1")
    with pytest.raises(NotPermitted):
        await site.uc.spots(site.attendant, site.a)
    with pytest.raises(NotPermitted):
        await site.uc.add_spots(site.attendant, site.a, "Z1")
    with pytest.raises(NotPermitted):
        await site.uc.close_spot(site.attendant, site.a, a1, "works", None)
    with pytest.raises(NotPermitted):  # the manager of Alpha, at Beta
        await site.uc.add_spots(site.manager, site.b, "Z1")
    with pytest.raises(NotFound):  # Alpha's spot, named as Beta's (a forged button)
        await site.uc.close_spot(site.owner, site.b, a1, "works", None)
    async with db.read() as s:
        refused = list(
            await s.scalars(
                select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED).order_by(AuditEntry.id)
            )
        )
        spot = await s.get(Spot, a1)
        assert spot is not None and spot.is_active
    assert [(e.actor_user_id, e.premise_id, e.action, e.detail.split(":")[0]) for e in refused] == [
        (site.attendant, site.a, "spot.list", "not_permitted"),
        (site.attendant, site.a, "spot.add", "not_permitted"),
        (site.attendant, site.a, "spot.close", "not_permitted"),
        (site.manager, site.b, "spot.add", "not_permitted"),
        (site.owner, site.b, "spot.close", "not_found"),
    ]


async def test_a_closed_spot_is_not_offered_until_its_reopen_time(
    db: Database, clock: ManualClock, site: Site
) -> None:
    a1, a2 = await _spot_id(db, site.a, "A1"), await _spot_id(db, site.a, "A2")
    start = clock.now() + timedelta(hours=1)
    assert (await site.search.quote(site.a, start, 60)).quote.free_spots == 2

    closed = await site.uc.close_spot(site.manager, site.a, a1, "  Painting   the lines ", None)
    assert (closed.spot.is_active, closed.spot.closed_reason, closed.bookings) == (
        False,
        "Painting the lines",
        [],
    )
    assert (await site.search.quote(site.a, start, 60)).quote.free_spots == 1
    await site.uc.close_spot(site.manager, site.a, a2, "Flooded", clock.now() + timedelta(hours=3))
    assert (await site.search.quote(site.a, start, 60)).quote.free_spots == 0
    # A2 reopens at +3 h by itself: a stay from then is offered, one that runs into it is not.
    assert (await site.search.quote(site.a, clock.now() + timedelta(hours=3), 60)).quote.free_spots == 1
    assert (await site.search.quote(site.a, clock.now() + timedelta(hours=2), 120)).quote.free_spots == 0

    reopened = await site.uc.reopen_spot(site.owner, site.a, a1)
    assert (reopened.is_active, reopened.closed_reason, reopened.closed_until) == (True, None, None)
    assert (await site.search.quote(site.a, start, 60)).quote.free_spots == 1
    close = (await _log(db, "spot.close"))[0]
    assert close.before is not None and close.before["is_active"] is True
    assert close.after == {
        "spot_id": a1, "label": "A1", "is_active": False, "closed_reason": "Painting the lines",
        "closed_until": None, "bookings": [],
    }  # fmt: skip
    reopen = (await _log(db, "spot.reopen"))[0]
    assert reopen.before is not None and reopen.before["closed_reason"] == "Painting the lines"
    assert reopen.after is not None and reopen.after["is_active"] is True

    with pytest.raises(InvalidClosing):
        await site.uc.close_spot(site.owner, site.a, a1, "   ", None)
    with pytest.raises(InvalidClosing):
        await site.uc.close_spot(site.owner, site.a, a1, "late", clock.now() - timedelta(minutes=1))


async def test_closing_lists_the_bookings_and_a_move_keeps_the_time_and_tells_the_driver(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _paid_booking(db, clock, site)
    a1 = await _spot_id(db, site.a, "A1")
    closed = await site.uc.close_spot(site.manager, site.a, a1, "Painting", None)
    assert [(b.reservation_id, b.driver, b.status) for b in closed.bookings] == [
        (rid, "Olena", ReservationStatus.CONFIRMED)
    ]
    assert [b.reservation_id for b in await site.uc.affected_bookings(site.owner, site.a, a1)] == [rid]
    async with db.read() as s:
        before = await s.get(Reservation, rid)
        assert before is not None
        interval = before.starts_at, before.ends_at

    with pytest.raises(NotPermitted):
        await site.uc.move_booking(site.attendant, site.a, rid)
    with pytest.raises(NotFound):  # a booking of Alpha, named as Beta's
        await site.uc.move_booking(site.owner, site.b, rid)
    moved = await site.uc.move_booking(site.manager, site.a, rid)
    assert (moved.from_label, moved.to_label) == ("A1", "A2")
    async with db.read() as s:
        after = await s.get(Reservation, rid)
        assert after is not None
        assert (after.spot_id, after.starts_at, after.ends_at, after.status) == (
            await _spot_id(db, site.a, "A2"), *interval, ReservationStatus.CONFIRMED,
        )  # fmt: skip
        notes = list(await s.scalars(select(Notification).where(Notification.user_id == site.driver)))
    assert [(n.kind, n.payload) for n in notes if n.kind == "booking_moved"] == [
        ("booking_moved", {"reservation_id": rid, "from_spot": "A1", "reason": "Painting"})
    ]
    assert await site.uc.affected_bookings(site.owner, site.a, a1) == []
    entry = (await _log(db, "spot.move_booking"))[-1]
    assert (entry.outcome, entry.before, entry.after) == (
        AuditOutcome.OK,
        {"reservation_id": rid, "spot_id": a1, "label": "A1"},
        {"reservation_id": rid, "spot_id": moved_to(entry), "label": "A2"},
    )

    # Nowhere left to go: A2 closed too, the booking cannot move again.
    await site.uc.close_spot(site.manager, site.a, moved_to(entry), "Painting", None)
    with pytest.raises(NoSpotToMoveTo):
        await site.uc.move_booking(site.manager, site.a, rid)
    # Once it has started it stays where it is (the car is on the spot).
    await site.uc.reopen_spot(site.manager, site.a, a1)
    clock.advance(timedelta(hours=2, minutes=1))
    with pytest.raises(InvalidTransition):
        await site.uc.move_booking(site.manager, site.a, rid)


def moved_to(entry: AuditEntry) -> int:
    assert entry.after is not None
    return int(entry.after["spot_id"])


async def test_cancel_and_refund_as_the_operator(db: Database, clock: ManualClock, site: Site) -> None:
    rid = await _paid_booking(db, clock, site)
    a1 = await _spot_id(db, site.a, "A1")
    await site.uc.close_spot(site.owner, site.a, a1, "Works", None)
    async with db.read() as s:
        assert await wallet.balance(s, site.driver, "EUR") == 0
    with pytest.raises(NotPermitted):  # REFUND: not an attendant's
        await site.uc.cancel_booking_as_operator(site.attendant, site.a, rid)
    done = await site.uc.cancel_booking_as_operator(site.manager, site.a, rid)
    assert (done.refunded_to_wallet, done.refund_to_card, done.currency) == (400, 0, "EUR")
    async with db.read() as s:
        assert await wallet.balance(s, site.driver, "EUR") == 400
        r = await s.get(Reservation, rid)
        assert r is not None and r.status is ReservationStatus.CANCELLED
        kinds = list(await s.scalars(select(Notification.kind).where(Notification.user_id == site.driver)))
    assert kinds[-1] == "booking_cancelled"
    async with db.read() as s:
        note = await s.scalar(select(Notification).where(Notification.kind == "booking_cancelled"))
        assert note is not None and note.payload["closed_reason"] == "Works"
    assert await site.uc.affected_bookings(site.owner, site.a, a1) == []
    entry = (await _log(db, "spot.cancel_booking"))[-1]
    assert entry.after == {
        "reservation_id": rid,
        "status": "cancelled",
        "refund_wallet": 400,
        "refund_card": 0,
    }
    assert [e.outcome for e in await _log(db, "spot.cancel_booking")] == [
        AuditOutcome.REFUSED,
        AuditOutcome.OK,
    ]
    with pytest.raises(InvalidTransition):  # twice
        await site.uc.cancel_booking_as_operator(site.manager, site.a, rid)
