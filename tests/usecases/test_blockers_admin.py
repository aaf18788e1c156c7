"""The console's Blockers section: who may register, unbind, replace and test blockers (each
action and each refusal audited), the rules of binding devices to spots, the health list worst
first, and a test command that goes through the blocker port with its answer in the audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.blockers import CommandStatus, valid_device_id
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import (
    BlockerBound,
    BlockersUnavailable,
    InvalidBlockerId,
    NotFound,
    NotPermitted,
    SpotHasBlocker,
)
from core.models import AuditEntry, AuditOutcome, Blocker, BlockerState, Spot, UnassignedBlocker
from core.usecases.blockers_admin import BlockerAdminUseCases
from hardware.protocol import ProtocolError, check_blocker_id
from tests.factories import make_premise, make_user
from tests.fakes.blockers import FakeBlockers
from tests.usecases.support import hire_staff


@dataclass
class Site:
    uc: BlockerAdminUseCases
    fake: FakeBlockers
    a: int  # "Alpha": spots A1..A4
    b: int  # "Beta": one spot
    a_spots: list[int]
    b_spot: int
    owner: int
    manager: int
    attendant: int
    stranger: int


@pytest.fixture
async def site(db: Database, clock: ManualClock, settings: Settings) -> Site:
    async with db.transaction() as s:
        alpha = await make_premise(s, name="Alpha", spots=4, now=clock.now())
        beta = await make_premise(s, name="Beta")
        owner = await make_user(s, name="Owner", is_admin=True)
        manager, attendant = await make_user(s, name="Mira"), await make_user(s, name="Andrii")
        stranger = await make_user(s, name="Olena")
        await s.flush()
        a_spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == alpha.id).order_by(Spot.id)))
        b_spot = await s.scalar(select(Spot.id).where(Spot.premise_id == beta.id))
        assert b_spot is not None
        ids = alpha.id, beta.id, a_spots, b_spot, owner.id, manager.id, attendant.id, stranger.id
    fake = FakeBlockers()
    uc = BlockerAdminUseCases(db, clock, settings, commands=fake)
    site = Site(uc, fake, *ids)
    await hire_staff(uc, site.owner, site.a, site.manager, site.attendant)
    return site


async def _log(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as s:
        return list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


async def _spot_of(db: Database, device_id: str) -> int | None:
    async with db.read() as s:
        blocker = await s.get(Blocker, device_id)
        assert blocker is not None
        return blocker.spot_id


async def test_owner_manager_and_attendant_register_and_unbind(db: Database, site: Site) -> None:
    for n, actor in enumerate((site.owner, site.manager, site.attendant)):
        view = await site.uc.register(actor, site.a, f"blk-{n}", site.a_spots[n])
        assert (view.device_id, view.spot_id) == (f"blk-{n}", site.a_spots[n])
        assert view.state is BlockerState.UNKNOWN
    listed = await site.uc.blockers(site.attendant, site.a)
    assert listed.premise_name == "Alpha"
    assert sorted(v.device_id for v in listed.blockers) == ["blk-0", "blk-1", "blk-2"]
    unbound = await site.uc.unbind(site.attendant, site.a, "blk-2")
    assert unbound.spot_id is None
    assert await _spot_of(db, "blk-2") is None  # the row stays: unassigned
    assert [v.device_id for v in await site.uc.unassigned(site.manager, site.a)] == ["blk-2"]
    # An unassigned device is bound again like a new one.
    await site.uc.register(site.manager, site.a, "blk-2", site.a_spots[3])
    assert await _spot_of(db, "blk-2") == site.a_spots[3]
    registered = await _log(db, "blocker.register")
    assert [e.outcome for e in registered] == [AuditOutcome.OK] * 4
    assert registered[0].before is None
    assert registered[0].after == {"device_id": "blk-0", "spot_id": site.a_spots[0], "label": "A1"}
    assert registered[3].before == {"device_id": "blk-2", "spot_id": None}
    [unbind] = await _log(db, "blocker.unbind")
    assert (unbind.before, unbind.after) == (
        {"device_id": "blk-2", "spot_id": site.a_spots[2]},
        {"device_id": "blk-2", "spot_id": None},
    )


async def test_a_stranger_and_another_premise_are_refused_and_audited(db: Database, site: Site) -> None:
    await site.uc.register(site.owner, site.a, "blk-a", site.a_spots[0])
    with pytest.raises(NotPermitted):
        await site.uc.register(site.stranger, site.a, "blk-x", site.a_spots[1])
    with pytest.raises(NotPermitted):
        await site.uc.blockers(site.stranger, site.a)
    # The manager of Alpha is nobody at Beta.
    with pytest.raises(NotPermitted):
        await site.uc.register(site.manager, site.b, "blk-x", site.b_spot)
    # A spot of another premise through Alpha's console (a forged callback) is not found.
    with pytest.raises(NotFound):
        await site.uc.register(site.manager, site.a, "blk-x", site.b_spot)
    # Alpha's blocker through Beta's console: not found, not unbound.
    with pytest.raises(NotFound):
        await site.uc.unbind(site.owner, site.b, "blk-a")
    with pytest.raises(NotFound):
        await site.uc.test_command(site.owner, site.b, "blk-a", "lower")
    assert site.fake.sent == []
    assert await _spot_of(db, "blk-a") == site.a_spots[0]
    refused = [e for e in await _log(db, "blocker.register") if e.outcome is AuditOutcome.REFUSED]
    assert [e.detail.split(":")[0] for e in refused] == ["not_permitted", "not_permitted", "not_found"]
    assert [e.outcome for e in await _log(db, "blocker.list")] == [AuditOutcome.REFUSED]
    assert [e.outcome for e in await _log(db, "blocker.unbind")] == [AuditOutcome.REFUSED]
    assert [e.outcome for e in await _log(db, "blocker.test")] == [AuditOutcome.REFUSED]


async def test_registering_refuses_a_bound_device_a_taken_spot_and_a_bad_id(db: Database, site: Site) -> None:
    await site.uc.register(site.manager, site.a, "blk-1", site.a_spots[0])
    with pytest.raises(BlockerBound):
        await site.uc.register(site.manager, site.a, "blk-1", site.a_spots[1])
    with pytest.raises(SpotHasBlocker):
        await site.uc.register(site.manager, site.a, "blk-2", site.a_spots[0])
    # Bound at another premise: still bound (Beta's owner cannot take it by typing its id).
    await site.uc.register(site.owner, site.b, "blk-b", site.b_spot)
    with pytest.raises(BlockerBound):
        await site.uc.register(site.manager, site.a, "blk-b", site.a_spots[1])
    for bad in ("", " blk", "a/b", "a+", "#", "x" * 65):
        with pytest.raises(InvalidBlockerId):
            await site.uc.register(site.manager, site.a, bad, site.a_spots[1])
    async with db.read() as s:
        assert sorted(await s.scalars(select(Blocker.id))) == ["blk-1", "blk-b"]
    entries = await _log(db, "blocker.register")
    details = [e.detail.split(":")[0] for e in entries if e.outcome is AuditOutcome.REFUSED]
    assert details == ["blocker_bound", "spot_has_blocker", "blocker_bound"] + ["invalid_blocker_id"] * 6


def test_the_device_id_rule_is_the_protocols() -> None:
    for candidate in ("blk-1", "A1_gate", "", " x", "x ", "a/b", "a+b", "a#", "a\0b", "x" * 64, "x" * 65):
        try:
            check_blocker_id(candidate)
            protocol_ok = True
        except ProtocolError:
            protocol_ok = False
        assert valid_device_id(candidate) is protocol_ok, candidate


async def test_replace_moves_the_spot_to_the_new_device(db: Database, site: Site) -> None:
    await site.uc.register(site.manager, site.a, "old", site.a_spots[0])
    await site.uc.register(site.manager, site.a, "other", site.a_spots[1])
    with pytest.raises(BlockerBound):
        await site.uc.replace(site.manager, site.a, "old", "other")
    view = await site.uc.replace(site.attendant, site.a, "old", "new")
    assert (view.device_id, view.spot_id, view.spot_label) == ("new", site.a_spots[0], "A1")
    assert await _spot_of(db, "old") is None
    assert await _spot_of(db, "new") == site.a_spots[0]
    # The old one, now unassigned, can replace a blocker in turn.
    await site.uc.replace(site.manager, site.a, "other", "old")
    assert await _spot_of(db, "old") == site.a_spots[1]
    assert await _spot_of(db, "other") is None
    entries = await _log(db, "blocker.replace")
    assert [e.outcome for e in entries] == [AuditOutcome.REFUSED, AuditOutcome.OK, AuditOutcome.OK]
    assert entries[1].before == {"old": {"device_id": "old", "spot_id": site.a_spots[0]}, "new": None}
    assert entries[1].after == {
        "old": {"device_id": "old", "spot_id": None},
        "new": {"device_id": "new", "spot_id": site.a_spots[0]},
        "label": "A1",
    }


async def test_the_health_list_is_worst_first(db: Database, site: Site, clock: ManualClock) -> None:
    now = clock.now()
    rows = {
        # id: (spot, online, state, battery, last seen minutes ago)
        "healthy-old": (0, True, BlockerState.RAISED, 90, 30),
        "healthy-new": (1, True, BlockerState.LOWERED, 80, 1),
        "low": (2, True, BlockerState.RAISED, 5, 2),
        "fault": (3, True, BlockerState.FAULT, 70, 1),
    }
    async with db.transaction() as s:
        for device, (spot, online, state, battery, ago) in rows.items():
            s.add(
                Blocker(
                    id=device,
                    spot_id=site.a_spots[spot],
                    online=online,
                    state=state,
                    battery=battery,
                    last_seen=now - timedelta(minutes=ago),
                )
            )
    await site.uc.unbind(site.owner, site.a, "healthy-new")
    await site.uc.register(site.owner, site.a, "offline-never", site.a_spots[1])  # never heard
    listed = await site.uc.blockers(site.attendant, site.a)
    assert [v.device_id for v in listed.blockers] == ["offline-never", "fault", "low", "healthy-old"]
    assert [v.problems for v in listed.blockers] == [["offline"], ["fault"], ["battery 5% (below 15%)"], []]
    assert listed.timezone == "Europe/Kyiv"


async def test_a_test_command_goes_to_the_device_and_its_answer_is_audited(db: Database, site: Site) -> None:
    await site.uc.register(site.attendant, site.a, "blk-1", site.a_spots[0])
    site.fake.answers = [CommandStatus.OK, CommandStatus.OBSTACLE]
    lowered = await site.uc.test_command(site.attendant, site.a, "blk-1", "lower")
    assert (lowered.status, lowered.state) == (CommandStatus.OK, BlockerState.LOWERED)
    refused = await site.uc.test_command(site.manager, site.a, "blk-1", "raise")
    assert refused.status is CommandStatus.OBSTACLE
    assert site.fake.sent == [("blk-1", "lower", None), ("blk-1", "raise", None)]
    entries = await _log(db, "blocker.test")
    assert [(e.actor_user_id, e.outcome) for e in entries] == [
        (site.attendant, AuditOutcome.OK),
        (site.manager, AuditOutcome.OK),
    ]
    assert entries[0].after == {
        "action": "lower",
        "status": "ok",
        "state": "lowered",
        "command_id": lowered.command_id,
    }
    assert entries[1].after is not None and entries[1].after["status"] == "obstacle"
    with pytest.raises(NotPermitted):
        await site.uc.test_command(site.stranger, site.a, "blk-1", "lower")
    assert len(site.fake.sent) == 2


async def test_without_mqtt_a_test_command_is_refused_in_words(
    db: Database, site: Site, clock: ManualClock, settings: Settings
) -> None:
    await site.uc.register(site.owner, site.a, "blk-1", site.a_spots[0])
    offline = BlockerAdminUseCases(db, clock, settings, commands=None)
    with pytest.raises(BlockersUnavailable):
        await offline.test_command(site.owner, site.a, "blk-1", "lower")
    [entry] = await _log(db, "blocker.test")
    assert (entry.outcome, entry.detail.split(":")[0]) == (AuditOutcome.REFUSED, "blockers_unavailable")


async def test_a_device_heard_on_mqtt_is_unassigned_until_bound(
    db: Database, site: Site, clock: ManualClock
) -> None:
    await site.uc.register(site.owner, site.a, "blk-1", site.a_spots[0])
    await site.uc.unbind(site.owner, site.a, "blk-1")
    async with db.transaction() as s:  # what the MQTT link notes for an unregistered id
        s.add(UnassignedBlocker(id="heard-1", heard_at=clock.now() + timedelta(minutes=1)))
    listed = await site.uc.unassigned(site.attendant, site.a)
    assert [v.device_id for v in listed] == ["heard-1", "blk-1"]  # heard most recently first
    await site.uc.register(site.attendant, site.a, "heard-1", site.a_spots[1])
    assert await _spot_of(db, "heard-1") == site.a_spots[1]
    assert [v.device_id for v in await site.uc.unassigned(site.attendant, site.a)] == ["blk-1"]
    async with db.read() as s:
        assert list(await s.scalars(select(UnassignedBlocker.id))) == []
