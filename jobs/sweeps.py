"""The periodic sweeps. The database is the source of truth: each run looks at what is due
now, claims it (row locks skip what another process holds) and acts, so a crash or a second
process never loses or doubles anything. The reminders, completions and hold expiries claim
their rows in batches, one statement per batch (core/services/booking.py `_claim`)."""

from __future__ import annotations

import logging

from core.clock import Clock
from core.db import Database
from core.services import booking, reminders
from core.usecases.payments import PaymentUseCases

log = logging.getLogger(__name__)

# Rows a sweep claims and changes per transaction (one UPDATE … RETURNING, then one INSERT of
# their notifications). A run takes batch after batch until less than a full one is due: a
# city's bookings all ending at 18:00 are reminded, completed or expired in seconds.
BATCH = 500


async def expire_holds(db: Database, clock: Clock, payments: PaymentUseCases | None) -> int:
    """Unpaid holds past their time free their spot (the driver is told); their Stripe pages
    are closed so nobody pays for a spot no longer held."""
    expired = 0
    while True:  # batches in short transactions: other writers get in between
        async with db.transaction() as s:
            batch = await booking.expire_holds(s, clock.now(), limit=BATCH)
        expired += len(batch)
        if len(batch) < BATCH:
            break
    if payments is not None:
        await payments.expire_unpaid_checkouts()
    return expired


async def warn_expiring_holds(db: Database, clock: Clock) -> int:
    """Unpaid holds about to lapse: the driver is warned once, with a "Pay now" button."""
    async with db.transaction() as s:
        return len(await booking.warn_expiring_holds(s, clock.now()))


async def send_reminders(db: Database, clock: Clock, reminder_minutes: int) -> int:
    queued = 0
    while True:
        async with db.transaction() as s:
            batch = await reminders.send_due_reminders(
                s, clock.now(), reminder_minutes=reminder_minutes, limit=BATCH
            )
        queued += len(batch)
        if len(batch) < BATCH:
            return queued


async def complete_ended(db: Database, clock: Clock) -> int:
    completed = 0
    while True:
        async with db.transaction() as s:
            done = await booking.complete_due(s, clock.now(), limit=BATCH)
        for r in done:
            if r.no_show:
                log.info("reservation %s completed as a no-show (nobody arrived; no refund)", r.id)
        completed += len(done)
        if len(done) < BATCH:
            return completed


async def reconcile_payments(payments: PaymentUseCases | None) -> int:
    if payments is None:
        return 0
    changed = await payments.reconcile_open_checkouts()
    await payments.process_refunds()  # retries refunds a crash or Stripe outage left pending
    return changed
