"""The periodic sweeps. The database is the source of truth: each run looks at what is due
now, claims it (row locks skip what another process holds) and acts, so a crash or a second
process never loses or doubles anything."""

from __future__ import annotations

import logging

from core.clock import Clock
from core.db import Database
from core.services import booking, reminders
from core.usecases.payments import PaymentUseCases

log = logging.getLogger(__name__)


async def expire_holds(db: Database, clock: Clock, payments: PaymentUseCases | None) -> int:
    """Unpaid holds past their time free their spot (the driver is told); their Stripe pages
    are closed so nobody pays for a spot no longer held."""
    async with db.transaction() as s:
        expired = await booking.expire_holds(s, clock.now())
    if payments is not None:
        await payments.expire_unpaid_checkouts()
    return len(expired)


async def warn_expiring_holds(db: Database, clock: Clock) -> int:
    """Unpaid holds about to lapse: the driver is warned once, with a "Pay now" button."""
    async with db.transaction() as s:
        return len(await booking.warn_expiring_holds(s, clock.now()))


async def send_reminders(db: Database, clock: Clock, reminder_minutes: int) -> int:
    async with db.transaction() as s:
        return len(await reminders.send_due_reminders(s, clock.now(), reminder_minutes=reminder_minutes))


async def complete_ended(db: Database, clock: Clock) -> int:
    async with db.transaction() as s:
        done = await booking.complete_due(s, clock.now())
    for r in done:
        if r.no_show:
            log.info("reservation %s completed as a no-show (nobody arrived; no refund)", r.id)
    return len(done)


async def reconcile_payments(payments: PaymentUseCases | None) -> int:
    if payments is None:
        return 0
    changed = await payments.reconcile_open_checkouts()
    await payments.process_refunds()  # retries refunds a crash or Stripe outage left pending
    return changed
