"""Reminders before a booking ends: with the extensions that are still possible, or, when
someone booked the spot next, the time the driver must leave by."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Premise, Reservation
from core.notifications import NotificationKind
from core.opening_hours import is_open
from core.rules import ENDABLE, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Interval
from core.services import outbox
from core.services.availability import is_spot_free, next_booking_on_spot
from core.services.booking import extension_price
from core.services.places import place_of

EXTENSION_CHOICES = (30, 60, 120)


def reminder_due_at(starts_at: datetime, ends_at: datetime, reminder_minutes: int) -> datetime:
    """When the "ends soon" reminder goes: `reminder_minutes` before the end, but never before
    half of the stay has passed. A short stay would otherwise be reminded at (or before) its
    start, right after its confirmation; stays last 30 minutes or more, so the reminder comes
    at least 15 minutes after the start (a 30-minute booking: 15 minutes before its end)."""
    return max(ends_at - timedelta(minutes=reminder_minutes), starts_at + (ends_at - starts_at) / 2)


async def send_due_reminders(
    session: AsyncSession, now: datetime, *, reminder_minutes: int, limit: int = 200
) -> list[int]:
    """Queues one reminder per booking whose reminder is due (reminder_due_at). A booking is
    reminded again only after its end moved (an extension clears `reminded_at`)."""
    candidates = (
        await session.scalars(
            select(Reservation)
            .where(
                Reservation.status.in_(ENDABLE),
                Reservation.reminded_at.is_(None),
                Reservation.ends_at > now,
                Reservation.ends_at <= now + timedelta(minutes=reminder_minutes),
                # Half of the shortest stay: what the portable SQL can say; the rest is below.
                Reservation.starts_at <= now - timedelta(minutes=MIN_DURATION_MINUTES / 2),
            )
            .order_by(Reservation.ends_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    due = [r for r in candidates if reminder_due_at(r.starts_at, r.ends_at, reminder_minutes) <= now]
    for reservation in due:
        await _remind(session, reservation, now)
    return [r.id for r in due]


async def extension_options(
    session: AsyncSession, reservation: Reservation, premise: Premise, now: datetime
) -> list[dict[str, int]]:
    """The extensions still possible now ({"minutes", "price"}), shortest first: each within
    24 hours in all, the opening hours and before the spot's next booking."""
    stay = reservation.ends_at - reservation.starts_at
    options: list[dict[str, int]] = []
    for minutes in EXTENSION_CHOICES:
        if stay + timedelta(minutes=minutes) > timedelta(minutes=MAX_DURATION_MINUTES):
            break
        added = Interval(reservation.ends_at, reservation.ends_at + timedelta(minutes=minutes))
        if not is_open(premise.opening_hours, premise.timezone, added.starts_at, added.ends_at):
            break  # a longer extension would run further past closing time
        if not await is_spot_free(
            session, reservation.spot_id, added, now, ignore_reservation_id=reservation.id
        ):
            break  # a longer extension would cross the same booking
        # Priced as the extension itself will be: the marginal price under the booking's plan.
        # A quote (also read in read-only transactions): the plan is stored when the
        # extension is requested, not here.
        _plan_id, price = await extension_price(
            session, reservation, premise, added.ends_at, now, store=False
        )
        options.append({"minutes": minutes, "price": price})
    return options


async def _remind(session: AsyncSession, reservation: Reservation, now: datetime) -> None:
    _spot, premise = await place_of(session, reservation)
    options = await extension_options(session, reservation, premise, now)
    following = await next_booking_on_spot(session, reservation.spot_id, reservation.ends_at, now)
    reservation.reminded_at = now
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_REMINDER,
        {
            "reservation_id": reservation.id,
            "ends_at": reservation.ends_at.isoformat(),
            "options": options,
            "currency": premise.currency,
            "next_starts_at": following.starts_at.isoformat() if following else None,
        },
        now=now,
        dedupe_key=f"reminder:{reservation.id}:{int(reservation.ends_at.timestamp())}",
    )
