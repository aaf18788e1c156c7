"""The raising sweeps in several processes (issue 17): two processes (engines of their own on
one database, links of their own in one MQTT_SHARED_GROUP on the real Mosquitto) run
`guard_paid_spots` or `close_finished` at the same moment, again and again, over 30 blockers
that need raising: each blocker gets exactly one raise per run, counted on the simulated
devices, and ends raised (on PostgreSQL: several processes need it). A claim left by a process
that died lets nothing through until it lapses, then the next run raises (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock
from core.db import Database
from core.models import Blocker, BlockerState, Reservation, ReservationStatus
from core.usecases.arrival import ArrivalUseCases
from hardware.link import BlockerLink
from hardware.protocol import WireState
from hardware.simulator import Simulator
from tests.factories import make_user
from tests.hardware.support import eventually, register, running_link, simulator

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

BLOCKERS = [f"R{n:02d}" for n in range(30)]
RUNS = 5
ACK_TIMEOUT = 3.0


@dataclass
class Process:
    db: Database
    link: BlockerLink
    arrival: ArrivalUseCases


@asynccontextmanager
async def processes(
    db: Database, mqtt_url: str, prefix: str, clock: ManualClock, count: int = 2
) -> AsyncIterator[list[Process]]:
    """`count` service processes: the first on the test's engine, the others on engines of
    their own; links in one shared group, as `main.py run` with MQTT_SHARED_GROUP."""
    url = db.engine.url.render_as_string(hide_password=False)
    async with AsyncExitStack() as stack:
        found = []
        for n in range(count):
            engine = db if n == 0 else Database.from_url(url)
            if n:
                stack.push_async_callback(engine.dispose)
            link = await stack.enter_async_context(
                running_link(engine, mqtt_url, prefix, ack_timeout=ACK_TIMEOUT, shared_group=f"g{prefix}")
            )
            found.append(
                Process(
                    engine,
                    link,
                    ArrivalUseCases(engine, link, clock, early_minutes=15, ack_timeout=ACK_TIMEOUT),
                )
            )
        yield found


async def _bookings(db: Database, status: ReservationStatus, starts_at: datetime, ends_at: datetime) -> None:
    """One booking per blocker's spot: paid and not entered (CONFIRMED), or over after a stay
    (COMPLETED, arrived)."""
    async with db.transaction() as s:
        user = await make_user(s)
        for blocker_id in BLOCKERS:
            spot_id = (await s.get_one(Blocker, blocker_id)).spot_id
            assert spot_id is not None
            s.add(
                Reservation(
                    user_id=user.id,
                    spot_id=spot_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    status=status,
                    price=200,
                    currency="EUR",
                    arrived_at=starts_at if status is ReservationStatus.COMPLETED else None,
                )
            )


async def _states(links: list[BlockerLink], db: Database, ids: list[str]) -> dict[str, BlockerState]:
    for link in links:
        await link.flush()
    async with db.read() as s:
        rows = await s.execute(select(Blocker.id, Blocker.state).where(Blocker.id.in_(ids)))
        return dict(rows.tuples().all())


async def _lower_all(
    first: Process, links: list[BlockerLink], db: Database, sim: Simulator, ids: list[str]
) -> None:
    """Every device down (as staff's "Test: lower" would), and its row saying so."""
    results = await asyncio.gather(*(first.link.command(b, "lower") for b in ids))
    assert all(r.ok for r in results), [r.status for r in results if not r.ok]
    assert all(sim[b].state is WireState.LOWERED for b in ids)

    async def rows_down() -> bool:
        return set((await _states(links, db, ids)).values()) == {BlockerState.LOWERED}

    await _report_again(sim, ids)
    await eventually(rows_down, what="rows lowered")


async def _report_again(sim: Simulator, ids: list[str]) -> None:
    """Every device reports its state again, in a later second than its last move. Device
    timestamps are whole seconds (protocol v1), so a quick move's `moving` report and its final
    one share one; the broker may hand them to different processes, which write them in either
    order, and the row may keep `moving`. A report stamped later settles it."""
    now = datetime.now(UTC)
    await asyncio.sleep(1 - now.microsecond / 1_000_000)  # to the next whole second
    await asyncio.gather(*(sim[b].publish_state() for b in ids))


async def _online(links: list[BlockerLink], db: Database, ids: list[str]) -> None:
    async def all_online() -> bool:
        for link in links:
            await link.flush()
        async with db.read() as s:
            online = await s.scalars(select(Blocker.id).where(Blocker.id.in_(ids), Blocker.online.is_(True)))
            return len(online.all()) == len(ids)

    await eventually(all_online, what="blockers online")


# Several processes share PostgreSQL: one SQLite file serves one process (DESIGN.md §13).
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
@pytest.mark.parametrize("sweep", ["guard_paid_spots", "close_finished"])
async def test_two_processes_raise_each_blocker_once_per_run(
    db: Database, mqtt_url: str, prefix: str, sweep: str
) -> None:
    clock = ManualClock(datetime.now(UTC))
    await register(db, *BLOCKERS, with_spots=True)
    if sweep == "guard_paid_spots":
        await _bookings(
            db,
            ReservationStatus.CONFIRMED,
            clock.now() - timedelta(minutes=5),
            clock.now() + timedelta(hours=3),
        )
    else:
        await _bookings(
            db,
            ReservationStatus.COMPLETED,
            clock.now() - timedelta(hours=1),
            clock.now() - timedelta(minutes=1),
        )
    async with (
        processes(db, mqtt_url, prefix, clock) as (first, second),
        simulator(mqtt_url, prefix, *BLOCKERS, shared_connection=True, move_time=0.01) as sim,
    ):
        links = [first.link, second.link]
        await _online(links, db, BLOCKERS)
        for run in range(RUNS):
            await _lower_all(first, links, db, sim, BLOCKERS)
            before = {b: len(sim[b].executed) for b in BLOCKERS}
            raised = await asyncio.gather(getattr(first.arrival, sweep)(), getattr(second.arrival, sweep)())
            sent = {b: len(sim[b].executed) - before[b] for b in BLOCKERS}
            assert sent == dict.fromkeys(BLOCKERS, 1), f"run {run}: raises per blocker {sent}"
            assert sum(raised) == len(BLOCKERS)
            assert all(sim[b].state is WireState.RAISED for b in BLOCKERS)
            await _report_again(sim, BLOCKERS)

            async def rows_up() -> bool:
                return set((await _states(links, db, BLOCKERS)).values()) == {BlockerState.RAISED}

            await eventually(rows_up, what=f"run {run}: rows raised")
            # The next due moment: the claims of this run have lapsed.
            clock.advance(first.arrival.claim_for + timedelta(seconds=1))


async def test_a_claim_left_by_a_dead_process_holds_until_it_lapses(
    db: Database, mqtt_url: str, prefix: str
) -> None:
    ids = BLOCKERS[:3]
    clock = ManualClock(datetime.now(UTC))
    await register(db, *BLOCKERS, with_spots=True)
    await _bookings(
        db, ReservationStatus.CONFIRMED, clock.now() - timedelta(minutes=5), clock.now() + timedelta(hours=3)
    )
    async with (
        processes(db, mqtt_url, prefix, clock, count=1) as (survivor,),
        simulator(mqtt_url, prefix, *ids, shared_connection=True, move_time=0.01) as sim,
    ):
        links = [survivor.link]
        await _online(links, db, ids)
        await _lower_all(survivor, links, db, sim, ids)
        # A process claimed them for its raise and died before sending anything.
        async with db.transaction() as s:
            await s.execute(
                update(Blocker)
                .where(Blocker.id.in_(ids))
                .values(raise_claim_until=clock.now() + survivor.arrival.claim_for)
            )
        before = {b: len(sim[b].executed) for b in ids}
        assert await survivor.arrival.guard_paid_spots() == 0
        assert {b: len(sim[b].executed) - before[b] for b in ids} == dict.fromkeys(ids, 0)
        clock.advance(survivor.arrival.claim_for)  # the claim's last moment: lapsed
        assert await survivor.arrival.guard_paid_spots() == len(ids)
        assert {b: len(sim[b].executed) - before[b] for b in ids} == dict.fromkeys(ids, 1)
        assert all(sim[b].state is WireState.RAISED for b in ids)
