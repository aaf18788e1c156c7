"""APScheduler 3.11's AsyncIOScheduler, in memory: it only says *when* to look; what is due
comes from the database, so nothing is lost when the process restarts."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core import metrics
from core.clock import Clock
from core.db import Database
from core.logs import demote_info_to_debug
from core.usecases.arrival import ArrivalUseCases
from core.usecases.blocked_bay import BlockedBayUseCases
from core.usecases.incidents import IncidentUseCases
from core.usecases.payments import PaymentUseCases
from core.usecases.waitlist import WaitlistUseCases
from jobs import sweeps
from jobs.dispatcher import OutboxDispatcher

log = logging.getLogger(__name__)


# What a run that did something logs (one line); a run with nothing to do logs nothing.
_DID = {
    "dispatch_outbox": "sent {n} notification{s}",
    "expire_holds": "expired {n} unpaid hold{s}",
    "warn_expiring_holds": "warned {n} driver{s} of a hold about to lapse",
    "send_reminders": "queued {n} reminder{s}",
    "complete_ended": "completed {n} ended booking{s}",
    "complete_left": "completed {n} booking{s} whose car left early",
    "release_no_shows": "released {n} booking{s} nobody came for",
    "offer_blocked_bays": "offered {n} driver{s} a move or a refund: a car on their bay",
    # Missing before: a run that closed incidents raised KeyError here (seen in bench/soak.py).
    "close_incidents": "closed {n} blocker incident{s}",
    "reconcile_payments": "settled {n} checkout page{s} with Stripe",
    "guard_paid_spots": "raised {n} blocker{s} to guard paid spots",
    "close_finished": "raised {n} blocker{s} after bookings ended",
    "waitlist": "offered {n} freed spot{s} to waiting drivers",
}


class SweepScheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 has no types
    """An AsyncIOScheduler that lets the runs under way finish when the service stops.

    APScheduler's own shutdown cancels every running job at once; a sweep cancelled inside
    its transaction has asyncpg's connection closed under the cancel, which SQLAlchemy's pool
    logs as an ERROR with a traceback at every ordinary stop (seen in CI, a city-sized sweep
    was running at SIGTERM)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.runs: set[asyncio.Task[Any]] = set()

    async def stop(self, grace: float) -> None:
        """No new run starts; the runs under way get `grace` seconds, then are cancelled (the
        database still holds what they left undone: the next start's first run does it)."""
        if not self.running:
            return
        self.pause()
        under_way = [task for task in self.runs if not task.done()]
        if under_way:
            _, late = await asyncio.wait(under_way, timeout=grace)
            if late:
                log.warning("%d sweep run(s) still busy after %g s; cancelling them", len(late), grace)
        self.shutdown(wait=False)


def _guarded(
    name: str, job: Callable[[], Awaitable[Any]], runs: set[asyncio.Task[Any]]
) -> Callable[[], Awaitable[None]]:
    # The dispatcher's job only starts a drain and returns: its duration says nothing.
    timed = not name.startswith("dispatch")

    async def run() -> None:
        started = time.perf_counter()
        task = asyncio.current_task()
        if task is not None:
            runs.add(task)
        try:
            done = await job()
        except asyncio.CancelledError:
            # A stop that outlived its grace cancels a run in progress; the database still
            # holds what it left undone.
            log.debug("job %s cancelled", name)
            return
        except Exception:  # one failed run is logged; the next run tries again
            log.exception("job %s failed", name)
            metrics.SWEEP_FAILURES.labels(name).inc()
            done = None
        finally:
            if task is not None:
                runs.discard(task)
        if timed:
            metrics.SWEEP_SECONDS.labels(name).observe(time.perf_counter() - started)
        if isinstance(done, int) and done > 0:
            log.info(_DID.get(name, name + ": {n} done").format(n=done, s="" if done == 1 else "s"))

    return run


def build_scheduler(
    *,
    db: Database,
    clock: Clock,
    payments: PaymentUseCases | None,
    dispatcher: OutboxDispatcher,
    reminder_minutes: int,
    sweep_seconds: float,
    arrival: ArrivalUseCases | None,
    dispatch_seconds: float = 1.0,
    incidents: IncidentUseCases | None = None,
    leave_grace_minutes: int = 5,
    no_show_grace_minutes: int = 30,
    waitlist: WaitlistUseCases | None = None,
    blocked_bay: BlockedBayUseCases | None = None,
) -> SweepScheduler:
    """The sweeps of a running service. `arrival` has no default on purpose: without it no
    blocker is raised to guard a paid spot or after the end, so leaving it out must be a
    choice (hardware disabled), never an omission."""
    # APScheduler logs two INFO lines per job run (eight a second here); `_guarded` logs work.
    demote_info_to_debug("apscheduler.scheduler", "apscheduler.executors.default")
    scheduler = SweepScheduler(timezone=UTC)
    jobs: dict[str, tuple[Callable[[], Awaitable[Any]], float]] = {
        # kick returns at once and drains in its own task: a long drain (one admin's chat gets
        # a message a second) never makes this job overlap itself.
        "dispatch_outbox": (dispatcher.kick, dispatch_seconds),
        "expire_holds": (lambda: sweeps.expire_holds(db, clock, payments), sweep_seconds),
        "warn_expiring_holds": (lambda: sweeps.warn_expiring_holds(db, clock), sweep_seconds),
        "send_reminders": (lambda: sweeps.send_reminders(db, clock, reminder_minutes), sweep_seconds),
        "complete_ended": (lambda: sweeps.complete_ended(db, clock), sweep_seconds),
        "reconcile_payments": (lambda: sweeps.reconcile_payments(payments), max(sweep_seconds, 60.0)),
    }
    if arrival is not None:
        jobs["guard_paid_spots"] = (arrival.guard_paid_spots, sweep_seconds)
        jobs["close_finished"] = (arrival.close_finished, sweep_seconds)
        # Both read what blockers report: without hardware there is no car to follow.
        jobs["complete_left"] = (lambda: sweeps.complete_left(db, clock, leave_grace_minutes), sweep_seconds)
        jobs["release_no_shows"] = (
            lambda: sweeps.release_no_shows(db, clock, no_show_grace_minutes),
            sweep_seconds,
        )
        if blocked_bay is not None:
            # A car on a booked bay before its driver came: "Move me" / "Refund me" at once.
            jobs["offer_blocked_bays"] = (blocked_bay.offer_car_present, sweep_seconds)
    if waitlist is not None:
        # Wishes past their time dropped, lapsed offers passed on (offers themselves are made
        # in the transactions that free spots).
        jobs["waitlist"] = (waitlist.sweep, sweep_seconds)
    if incidents is not None:
        # Recoveries another process heard, or that came while this one was down.
        jobs["close_incidents"] = (incidents.close_recovered, sweep_seconds)
    for name, (job, seconds) in jobs.items():
        # One run at a time per job; a run that overlaps its next tick makes that tick wait.
        scheduler.add_job(
            _guarded(name, job, scheduler.runs),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
        )
    return scheduler
