"""The operator's log of the running service: one line per thing that happened, nothing per
scheduler tick or per Telegram update."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import Reservation, ReservationStatus
from tests.e2e.conftest import start_stack
from tests.e2e.test_edges import _hold_via_bot


async def test_the_log_shows_work_done_not_ticks_or_updates(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async for e2e in start_stack(tmp_path, sqlite_template, sweep_seconds=0.2):
        caplog.clear()  # start-up lines are fine: once per start
        job = e2e.app.scheduler.get_job("expire_holds")
        assert job is not None
        first: datetime = job.next_run_time

        async def ticks_after(start: datetime, ticks: int) -> None:
            while (job.next_run_time - start) < timedelta(seconds=0.2 * ticks):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(ticks_after(first, 4), 10)  # idle sweeps
        user, _ = await _hold_via_bot(e2e, 3001)  # a dozen updates
        await user.send_command("/wallet")
        await user.wait_for_message(lambda m: "Balance:" in m.text)
        e2e.clock.advance(timedelta(minutes=11))  # the hold lapses: the next sweep has work

        async def expired() -> None:
            while True:
                async with e2e.db.read() as s:
                    status = await s.scalar(select(Reservation.status))
                if status == ReservationStatus.EXPIRED:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(expired(), 10)
        await asyncio.wait_for(ticks_after(job.next_run_time, 4), 10)  # and idle ones again
        lines = [
            (r.name, r.getMessage())
            for r in caplog.records
            if r.levelno == logging.INFO
            # aiogram's two polling-started lines come once per start, just after start() returns
            and not (r.name == "aiogram.dispatcher" and "polling" in r.getMessage().lower())
        ]
        # Sixty-odd job runs and a dozen updates: the log holds only the run that did work.
        assert lines == [("jobs.scheduler", "expired 1 unpaid hold")], lines
