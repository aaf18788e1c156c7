"""The console's "Test: lower" with the real broker and the device simulator: the command
reaches the device, which lowers, and the screen shows its acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.context import Services
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import AuditEntry, Blocker, BlockerState, StaffRole, UnassignedBlocker
from core.usecases.arrival import ArrivalUseCases
from core.usecases.blockers_admin import BlockerAdminUseCases
from hardware import ingest
from tests.bot.dialog_support import Driver
from tests.factories import make_premise, make_user
from tests.hardware.support import eventually, load, register, row_matches, running_link, simulator

pytestmark = pytest.mark.mqtt

MANAGER = 9102


async def test_test_lower_reaches_the_device_and_shows_its_ack(
    sqlite_db: Database, mqtt_url: str, prefix: str
) -> None:
    db = sqlite_db
    clock = ManualClock(datetime.now(UTC))  # the device judges a command's expiry by the real clock
    settings = Settings(_env_file=None, bot_token="1:x", timezone="UTC", currency="EUR")
    await register(db, "B1", with_spots=True)
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3, clock=clock) as link,
        simulator(mqtt_url, prefix, "B1", move_time=0.2) as sim,
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        services = Services(
            db=db,
            clock=clock,
            settings=settings,
            payments=None,
            geocoder=None,
            arrival=ArrivalUseCases(db, link, clock, early_minutes=15, ack_timeout=3),
        )
        await services.admin.add_owner(9101)
        owner = (await services.users.telegram_caller(9101, name="Owner", language="en")).user_id
        [premise] = await services.admin.premises_of(owner)
        premise_id = premise.premise_id
        user = (await services.users.telegram_caller(MANAGER, name="Mira", language="en")).user_id
        invite = await services.admin.invite(owner, premise_id, StaffRole.MANAGER)
        await services.admin.accept_invite(user, invite.token)

        manager = Driver(services, MANAGER)
        await manager.send("/admin")
        await manager.tap(f"{premise.name} · manager")
        await manager.tap("🔌 Blockers")
        await manager.tap("✅ A1 · B1")
        await manager.tap("⬇️ Test: lower")
        assert manager.bot.callback_answers()[-1].text == "⏳ Sent…"
        assert manager.text.startswith("🧪 Test “lower”: ✅ acknowledged, now ⬇️ lowered\n\n")
        assert sim["B1"].executed and sim["B1"].moves == 1
        async with db.read() as s:
            entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "blocker.test"))
        assert entry is not None and entry.after is not None
        assert (entry.after["status"], entry.after["state"]) == ("ok", "lowered")


async def _noted(db: Database) -> list[str]:
    async with db.read() as s:
        return sorted(await s.scalars(select(UnassignedBlocker.id)))


async def test_a_device_heard_but_not_registered_is_listed_and_bound_in_the_console(
    db: Database, mqtt_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite and PostgreSQL."""
    monkeypatch.setattr(ingest, "MAX_UNASSIGNED", 1)  # a stranger cannot fill the table
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1)
        owner = await make_user(s, name="Owner", is_admin=True)
        await s.flush()
        premise_id, owner_id = premise.id, owner.id
    clock = ManualClock(datetime.now(UTC))
    settings = Settings(_env_file=None, bot_token="1:x")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=3, clock=clock) as link,
        simulator(mqtt_url, prefix, "B9", "B8", move_time=0.2),
    ):
        await eventually(lambda: link.writer_stats.unknown_blocker_updates >= 2, what="heard")
        await link.flush()
        noted = await _noted(db)
        assert len(noted) == 1 and noted[0] in ("B8", "B9")
        assert await load(db, noted[0]) is None  # listed, not registered
        uc = BlockerAdminUseCases(db, clock, settings, commands=link, presence=link)
        assert [v.device_id for v in await uc.unassigned(owner_id, premise_id)] == noted
        [spot] = await uc.free_spots(owner_id, premise_id)
        await uc.register(owner_id, premise_id, noted[0], spot.spot_id)
        assert await _noted(db) == []
        # Online at once, as the link heard it (the device announced it once, when it
        # connected): its spot is on sale without waiting for the device to reconnect.
        bound = await load(db, noted[0])
        assert bound is not None and (bound.online, bound.last_seen) == (True, clock.now())
        # Bound: the link writes what it reports from now on.
        result = await uc.test_command(owner_id, premise_id, noted[0], "lower")
        assert result.ok and result.state is BlockerState.LOWERED
        await eventually(lambda: row_matches(link, db, noted[0], state=BlockerState.LOWERED), what="row")
        async with db.read() as s:
            assert (await s.get_one(Blocker, noted[0])).spot_id == spot.spot_id
