"""APScheduler 3.11's AsyncIOScheduler, in memory: it only says *when* to look; what is due
comes from the database, so nothing is lost when the process restarts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.clock import Clock
from core.db import Database
from core.services.arrival import ArrivalService
from jobs import sweeps
from jobs.dispatcher import OutboxDispatcher
from payments.service import PaymentService

log = logging.getLogger(__name__)


def _guarded(name: str, job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job()
        except Exception:  # one failed run is logged; the next run tries again
            log.exception("job %s failed", name)

    return run


def build_scheduler(
    *,
    db: Database,
    clock: Clock,
    payments: PaymentService | None,
    dispatcher: OutboxDispatcher,
    reminder_minutes: int,
    sweep_seconds: float,
    dispatch_seconds: float = 1.0,
    arrival: ArrivalService | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    jobs: dict[str, tuple[Callable[[], Awaitable[Any]], float]] = {
        # kick returns at once and drains in its own task: a long drain (one admin's chat gets
        # a message a second) never makes this job overlap itself.
        "dispatch_outbox": (dispatcher.kick, dispatch_seconds),
        "expire_holds": (lambda: sweeps.expire_holds(db, clock, payments), sweep_seconds),
        "send_reminders": (lambda: sweeps.send_reminders(db, clock, reminder_minutes), sweep_seconds),
        "complete_ended": (lambda: sweeps.complete_ended(db, clock), sweep_seconds),
        "reconcile_payments": (lambda: sweeps.reconcile_payments(payments), max(sweep_seconds, 60.0)),
    }
    if arrival is not None:
        jobs["guard_paid_spots"] = (arrival.guard_paid_spots, sweep_seconds)
        jobs["close_finished"] = (arrival.close_finished, sweep_seconds)
    for name, (job, seconds) in jobs.items():
        # One run at a time per job; a run that overlaps its next tick makes that tick wait.
        scheduler.add_job(
            _guarded(name, job),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
        )
    return scheduler
