"""The operator's log of the running service: one line per thing that happened, nothing per
scheduler tick or per Telegram update."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.job import Job
from sqlalchemy import select

from core.models import Reservation, ReservationStatus
from tests.e2e.conftest import E2E, start_stack
from tests.e2e.test_edges import _hold_via_bot


async def test_the_log_shows_work_done_not_ticks_or_updates(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async for e2e in start_stack(tmp_path, sqlite_template, sweep_seconds=0.2):
        caplog.clear()  # start-up lines are fine: once per start
        job = e2e.app.scheduler.get_job("expire_holds")
        assert job is not None
        await asyncio.wait_for(_ticks(job, 4), 10)  # idle sweeps
        user, _ = await _hold_via_bot(e2e, 3001)  # a dozen updates
        await user.send_command("/wallet")
        await user.wait_for_message(lambda m: "Balance:" in m.text)
        e2e.clock.advance(timedelta(minutes=11))  # the hold lapses: the next sweep has work
        await asyncio.wait_for(_expired(e2e), 10)
        await asyncio.wait_for(_ticks(job, 4), 10)  # and idle ones again
        lines = [
            (r.name, r.getMessage())
            for r in caplog.records
            if r.levelno == logging.INFO
            # aiogram's two polling-started lines come once per start, just after start() returns
            and not (r.name == "aiogram.dispatcher" and "polling" in r.getMessage().lower())
        ]
        # Sixty-odd job runs and a dozen updates: the log holds only the runs that did work,
        # the expiry and (if it went out already) the notification it wrote.
        assert lines in (
            [("jobs.scheduler", "expired 1 unpaid hold")],
            [("jobs.scheduler", "expired 1 unpaid hold"), ("jobs.scheduler", "sent 1 notification")],
        ), lines


async def _ticks(job: Job, ticks: int) -> None:
    """Returns once the scheduler has run the job `ticks` more times."""
    start: datetime = job.next_run_time
    while True:
        if job.next_run_time - start >= job.trigger.interval * ticks:
            return
        await asyncio.sleep(0.05)


async def _expired(e2e: E2E) -> None:
    while True:
        async with e2e.db.read() as s:
            if await s.scalar(select(Reservation.status)) == ReservationStatus.EXPIRED:
                return
        await asyncio.sleep(0.05)
