"""The periodic sweeps. The database is the source of truth: each run looks at what is due
now, claims it (row locks skip what another process holds) and acts, so a crash or a second
process never loses or doubles anything."""

from __future__ import annotations

import logging
from datetime import timedelta

from core.clock import Clock
from core.db import Database
from core.services import booking, presence, reminders
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


async def complete_left(db: Database, clock: Clock, leave_grace_minutes: int) -> int:
    """Billing follows the car: active bookings whose car has been gone LEAVE_GRACE_MINUTES
    complete early, unused steps refunded (core/services/presence.py). One transaction per
    booking, claimed under its lock, so a second process or run settles none twice; the
    blocker goes up with the completed bookings' (close_finished)."""
    grace = timedelta(minutes=leave_grace_minutes)
    now = clock.now()
    async with db.read() as s:
        due = await presence.left_candidates(s, now, grace)
    done = 0
    for reservation_id, user_id in due:
        async with db.transaction() as s:
            left = await presence.complete_left(s, reservation_id, user_id, now, grace)
        if left is not None:
            done += 1
            log.debug("reservation %s completed early: the car left at %s", left.id, left.left_at)
    return done


async def release_no_shows(db: Database, clock: Clock, no_show_grace_minutes: int) -> int:
    """No-show release: asks drivers of started, empty, unlowered bookings "Still coming?" and
    releases those unanswered at the end of NO_SHOW_GRACE_MINUTES (0: never). Returns the
    bookings released."""
    if no_show_grace_minutes <= 0:
        return 0
    grace = timedelta(minutes=no_show_grace_minutes)
    now = clock.now()
    async with db.read() as s:
        to_ask = await presence.ask_candidates(s, now, grace)
        to_release = await presence.release_candidates(s, now, grace)
    for reservation_id, _user_id in to_ask:
        async with db.transaction() as s:
            await presence.ask_if_absent(s, reservation_id, now, grace)
    released = 0
    for reservation_id, user_id in to_release:
        async with db.transaction() as s:
            done = await presence.release_if_absent(s, reservation_id, user_id, now, grace)
        if done is not None:
            released += 1
            log.debug("reservation %s released as a no-show", done.id)
    return released


async def reconcile_payments(payments: PaymentUseCases | None) -> int:
    if payments is None:
        return 0
    changed = await payments.reconcile_open_checkouts()
    await payments.process_refunds()  # retries refunds a crash or Stripe outage left pending
    return changed
