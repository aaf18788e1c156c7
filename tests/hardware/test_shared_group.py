"""Several service processes on one PostgreSQL and one broker (DESIGN.md §13, issue 17): with
MQTT_SHARED_GROUP each `state`/`availability` report is written by exactly one process, each
health change is reported once whatever process hears it (and not again after a restart), and
an ack reaches the process that sent the command although every process hears it.

"Processes" are links over engines of their own on the same database, as two `main.py run`
would be; the broker is the shared Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core.blockers import CommandStatus
from core.clock import SystemClock
from core.config import Settings
from core.db import Database
from core.models import Blocker, BlockerIncident, BlockerState
from core.usecases.blockers_admin import BlockerAdminUseCases
from core.usecases.incidents import IncidentUseCases
from hardware import protocol
from hardware.link import BlockerLink
from hardware.protocol import Kind
from tests.hardware.support import HealthLog, eventually, load, raw_client, register, running_link, simulator

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres]

SETTINGS = Settings(_env_file=None, bot_token="1:x")
GROUP = "parking"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

# Every write of a `state` report to a blocker row (an UPDATE that sets `state_ts`), as
# PostgreSQL saw it: one row per process's write.
_LOG_WRITES = [
    "CREATE TABLE test_blocker_writes (id text, old_ts timestamptz, new_ts timestamptz)",
    """CREATE OR REPLACE FUNCTION test_log_blocker_write() RETURNS trigger AS $$
    BEGIN
      INSERT INTO test_blocker_writes VALUES (NEW.id, OLD.state_ts, NEW.state_ts);
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER test_blocker_writes AFTER UPDATE OF state_ts ON blockers
      FOR EACH ROW EXECUTE FUNCTION test_log_blocker_write()""",
]
_UNLOG_WRITES = [
    "DROP TRIGGER IF EXISTS test_blocker_writes ON blockers",
    "DROP TABLE IF EXISTS test_blocker_writes",
]


@pytest.fixture
async def databases(postgres_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one PostgreSQL database, emptied first: two processes' views of it."""
    first, second = Database.from_url(postgres_url), Database.from_url(postgres_url)
    async with first.engine.begin() as conn:
        await conn.execute(text("TRUNCATE blocker_incidents, unassigned_blockers, blockers CASCADE"))
        for statement in [*_UNLOG_WRITES, *_LOG_WRITES]:
            await conn.execute(text(statement))
    try:
        yield first, second
    finally:
        async with first.engine.begin() as conn:
            for statement in _UNLOG_WRITES:
                await conn.execute(text(statement))
        await first.dispose()
        await second.dispose()


async def _written(db: Database) -> list[tuple[str, datetime | None, datetime | None]]:
    async with db.read() as s:
        rows = await s.execute(text("SELECT id, old_ts, new_ts FROM test_blocker_writes"))
        return [(r.id, r.old_ts, r.new_ts) for r in rows]


async def _forget_writes(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(text("DELETE FROM test_blocker_writes"))


def _state(state: str, ts: datetime, battery: int = 90) -> bytes:
    body = {"v": 1, "state": state, "car_present": False, "battery": battery, "ts": protocol.format_utc(ts)}
    return json.dumps(body).encode()


@contextlib.asynccontextmanager
async def _snapshotted(link: BlockerLink) -> AsyncIterator[BlockerLink]:
    """The link once its start-up snapshot is over (from then on it hears its share only)."""
    await eventually(lambda: link.stats.snapshots >= 1, what="start-up snapshot taken")
    yield link


async def test_each_report_is_written_by_exactly_one_process(
    databases: tuple[Database, Database], mqtt_url: str, prefix: str
) -> None:
    db_a, db_b = databases
    ids = [f"S{n:02d}" for n in range(20)]
    await register(db_a, *ids)
    reports = 5  # per blocker, each newer than the one before
    async with raw_client(mqtt_url) as device:
        for blocker_id in ids:
            await device.publish(
                protocol.topic(prefix, blocker_id, Kind.AVAILABILITY), b"online", qos=1, retain=True
            )
            await device.publish(
                protocol.topic(prefix, blocker_id, Kind.STATE), _state("raised", T0), qos=1, retain=True
            )
        async with (
            running_link(db_a, mqtt_url, prefix, shared_group=GROUP) as a,
            running_link(db_b, mqtt_url, prefix, shared_group=GROUP) as b,
            _snapshotted(a),
            _snapshotted(b),
        ):
            # Each process read the retained reports at start-up: the rows are current.
            async with asyncio.timeout(5):
                await a.flush()
                await b.flush()
            row = await load(db_a, "S07")
            assert row is not None and (row.online, row.state, row.state_ts) == (
                True,
                BlockerState.RAISED,
                T0,
            )
            await _forget_writes(db_a)
            a.stats.reports = b.stats.reports = 0

            for n in range(1, reports + 1):
                for blocker_id in ids:
                    state = "lowered" if n % 2 else "raised"
                    await device.publish(
                        protocol.topic(prefix, blocker_id, Kind.STATE),
                        _state(state, T0 + timedelta(seconds=n)),
                        qos=1,
                        retain=True,
                    )
            last = T0 + timedelta(seconds=reports)

            async def all_written() -> bool:
                await a.flush()
                await b.flush()
                async with db_a.read() as s:
                    done = await s.scalar(
                        select(func.count()).select_from(Blocker).where(Blocker.state_ts == last)
                    )
                return done == len(ids)

            await eventually(all_written, what="every blocker's last report written")
            # Every message went to one process of the group, and both took a share.
            assert a.stats.reports + b.stats.reports == reports * len(ids)
            assert a.stats.reports > 0 and b.stats.reports > 0
            writes = await _written(db_a)
            # Nothing written twice, nothing older written over something newer (a process's
            # writes may coalesce a blocker's reports, so there may be fewer writes than reports).
            assert writes and all(new is not None and (old is None or new > old) for _, old, new in writes)
            assert len({(bid, new) for bid, _, new in writes}) == len(writes)
            row = await load(db_b, "S07")
            assert row is not None and row.state is BlockerState.LOWERED  # report 5: odd


async def test_a_health_change_is_reported_once_whatever_process_hears_it(
    databases: tuple[Database, Database], mqtt_url: str, prefix: str
) -> None:
    db_a, db_b = databases
    await register(db_a, "H1", with_spots=True)
    health: list[HealthLog] = []
    seen: list[tuple[bool, str]] = []  # by both processes, in the order reported

    def incidents(db: Database) -> HealthLog:
        """What service.App does with a health change: the premise's incident, once."""
        clock = SystemClock()
        uc = IncidentUseCases(db, clock, SETTINGS, blockers_admin=BlockerAdminUseCases(db, clock, SETTINGS))

        class Settling(HealthLog):
            async def __call__(self, blocker_id: str, healthy: bool, reason: str) -> None:
                await super().__call__(blocker_id, healthy, reason)
                await uc.settle(blocker_id)
                seen.append((healthy, reason))  # settled: the test sends the next report

        log = Settling()
        health.append(log)
        return log

    def changes() -> list[tuple[bool, str]]:
        return seen

    async def rows() -> list[tuple[str, bool]]:
        async with db_a.read() as s:
            found = await s.execute(
                select(BlockerIncident.kind, BlockerIncident.closed_at).order_by(BlockerIncident.id)
            )
            return [(kind.value, closed is not None) for kind, closed in found.tuples()]

    async with raw_client(mqtt_url) as device:
        state_topic = protocol.topic(prefix, "H1", Kind.STATE)
        await device.publish(protocol.topic(prefix, "H1", Kind.AVAILABILITY), b"online", qos=1, retain=True)
        await device.publish(state_topic, _state("raised", T0), qos=1, retain=True)
        async with (
            running_link(db_a, mqtt_url, prefix, shared_group=GROUP, on_health_change=incidents(db_a)) as a,
            running_link(db_b, mqtt_url, prefix, shared_group=GROUP, on_health_change=incidents(db_b)) as b,
            _snapshotted(a),
            _snapshotted(b),
        ):
            # Fault, fine, fault, fine: the shared subscription spreads them over both processes.
            for n, state in enumerate(["fault", "raised", "fault", "raised", "fault"], start=1):
                ts = T0 + timedelta(seconds=n)
                await device.publish(state_topic, _state(state, ts), qos=1, retain=True)

                async def written(ts: datetime = ts) -> bool:
                    await a.flush()
                    await b.flush()
                    row = await load(db_a, "H1")
                    return row is not None and row.state_ts == ts

                await eventually(written, what=f"report {n} written")
                await eventually(lambda n=n: len(changes()) == n, what=f"health change {n}")
            assert changes() == [
                (False, "fault"),
                (True, "recovered"),
                (False, "fault"),
                (True, "recovered"),
                (False, "fault"),
            ]
            # Both processes reported some of them (which ones is the broker's choice).
            assert all(log.of("H1") for log in health)
            assert a.stats.reports > 0 and b.stats.reports > 0
            expected = [("fault", True), ("fault", True), ("fault", False)]

            async def settled() -> bool:
                return await rows() == expected

            await eventually(settled, what="two incidents closed, one open")

        # A restart: the retained fault is read again at start-up, but the row has it already:
        # not written again, not reported again.
        await _forget_writes(db_a)
        async with (
            running_link(db_b, mqtt_url, prefix, shared_group=GROUP, on_health_change=incidents(db_b)) as c,
            _snapshotted(c),
        ):
            async with asyncio.timeout(5):
                await c.flush()
            await asyncio.sleep(0.2)
            assert c.stats.reports == 1  # the retained report, read
            assert await _written(db_a) == []
            assert len(changes()) == 5
            assert await rows() == expected


async def test_an_ack_reaches_the_process_that_sent_the_command(
    databases: tuple[Database, Database], mqtt_url: str, prefix: str
) -> None:
    db_a, db_b = databases
    await register(db_a, "K1")
    async with (
        simulator(mqtt_url, prefix, "K1") as sim,
        running_link(db_a, mqtt_url, prefix, ack_timeout=3, shared_group=GROUP) as a,
        running_link(db_b, mqtt_url, prefix, ack_timeout=3, shared_group=GROUP) as b,
        _snapshotted(a),
        _snapshotted(b),
    ):
        # Both heard the device come online (availability is heard by every process).
        assert a.availability("K1") is True and b.availability("K1") is True
        lowered = await a.command("K1", "lower", reservation_id=1)
        assert lowered.status is CommandStatus.OK and lowered.state is BlockerState.LOWERED
        raised = await b.command("K1", "raise", reservation_id=1)
        assert raised.status is CommandStatus.OK and raised.state is BlockerState.RAISED
        assert sim["K1"].executed == [lowered.command_id, raised.command_id]
        # Each heard the other's ack and left it alone.
        await eventually(lambda: a.stats.stray_acks == 1 and b.stats.stray_acks == 1, what="stray acks")


async def test_a_process_leaving_the_group_mid_stream_loses_none_of_its_share(
    databases: tuple[Database, Database], mqtt_url: str, prefix: str
) -> None:
    """A rolling restart: one process stops while reports pour in. It leaves the group first
    and writes what the broker had already handed it; the others get the rest. Every row ends
    with its report (not retained here: a lost one would stay lost until the device's next)."""
    db_a, db_b = databases
    ids = [f"L{n:03d}" for n in range(300)]
    await register(db_a, *ids)
    async with (
        raw_client(mqtt_url) as device,
        running_link(db_b, mqtt_url, prefix, shared_group=GROUP) as b,
        _snapshotted(b),
    ):
        a = BlockerLink(db_a, url=mqtt_url, prefix=prefix, shared_group=GROUP)
        await a.start()
        async with asyncio.timeout(5):
            await a.wait_connected()
        await eventually(lambda: a.stats.snapshots >= 1, what="a's snapshot taken")
        for n, blocker_id in enumerate(ids):
            await device.publish(protocol.topic(prefix, blocker_id, Kind.STATE), _state("lowered", T0), qos=1)
            if n == 150:
                stopping = asyncio.create_task(a.stop())  # mid-stream
        await stopping
        assert a.stats.received > 0  # it had its share until it left
        async with asyncio.timeout(10):
            await eventually(
                lambda: b.stats.received + a.stats.received >= len(ids), what="every report taken"
            )
            await b.flush()
    async with db_a.read() as s:
        lowered = await s.scalar(
            select(func.count()).select_from(Blocker).where(Blocker.id.in_(ids), Blocker.state_ts == T0)
        )
    assert lowered == len(ids)
