"""Simulated blockers in the process, for a demo without an MQTT broker: the same port
(`core.blockers.BlockerCommands`) the MQTT link fills in, answering like a healthy device."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import select, update

from core.blockers import CommandResult, CommandStatus
from core.clock import Clock
from core.db import Database
from core.models import Blocker, BlockerState


class LocalBlockers:
    """Every blocker answers `ok` after `move_time`; its row changes as the link's ingestion
    would change it after the device's `state` report (a car parks after lowering)."""

    def __init__(self, db: Database, clock: Clock, *, move_time: float = 0.6) -> None:
        self.db, self.clock, self.move_time = db, clock, move_time

    async def power_on(self, blocker_ids: Iterable[str]) -> None:
        """The devices announce themselves: online, raised, full battery, no car."""
        async with self.db.transaction() as session:
            await session.execute(
                update(Blocker)
                .where(Blocker.id.in_(list(blocker_ids)))
                .values(
                    online=True,
                    state=BlockerState.RAISED,
                    battery=100,
                    car_present=False,
                    last_seen=self.clock.now(),
                )
            )

    async def command(
        self, blocker_id: str, action: Literal["lower", "raise"], reservation_id: int | None = None
    ) -> CommandResult:
        started = asyncio.get_running_loop().time()
        async with self.db.read() as session:
            known = await session.scalar(select(Blocker.id).where(Blocker.id == blocker_id))
        if known is None:
            return CommandResult(CommandStatus.OFFLINE, blocker_id)
        await asyncio.sleep(self.move_time)
        state = BlockerState.LOWERED if action == "lower" else BlockerState.RAISED
        async with self.db.transaction() as session:
            await session.execute(
                update(Blocker)
                .where(Blocker.id == blocker_id)
                .values(state=state, car_present=action == "lower", last_seen=self.clock.now())
            )
        return CommandResult(
            CommandStatus.OK,
            blocker_id,
            command_id=str(uuid.uuid4()),
            state=state,
            elapsed=asyncio.get_running_loop().time() - started,
        )
