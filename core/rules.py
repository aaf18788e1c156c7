"""Booking and payment rules of DESIGN.md §5 that need no database: the one place that says what may happen
to a booking and when. Services enforce them, use cases report them, screens ask them (a screen
never compares statuses itself)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import InvalidInterval, InvalidTopUp
from core.models import Reservation, ReservationStatus

STEP_MINUTES = 15
MIN_DURATION_MINUTES = 30
MAX_DURATION_MINUTES = 24 * 60
MAX_DAYS_AHEAD = 30
# A start chosen a moment ago (the user read the screen) is still accepted as "now".
START_GRACE = timedelta(minutes=5)
# A driver may hold at most this many unpaid bookings at a time (the texts say the number).
MAX_PENDING_HOLDS_PER_USER = 3
# The driver is warned once this many minutes before an unpaid hold lapses.
HOLD_WARNING_MINUTES = 2


@dataclass(frozen=True, slots=True)
class Interval:
    """Half-open [starts_at, ends_at) in UTC."""

    starts_at: datetime
    ends_at: datetime

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def overlaps(self, other: Interval) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def start_now(now: datetime) -> datetime:
    """ "Now" as a booking start: the current minute."""
    return now.astimezone(UTC).replace(second=0, microsecond=0)


def cut_short(starts_at: datetime, now: datetime) -> datetime:
    """The end of a stay ended early at `now` (ended by the driver or staff, the car gone, a
    no-show released): the whole minutes elapsed since the start, at least one. A stay always
    lasts whole minutes: prices, receipts and extensions count in minutes (an end with seconds
    made the booking's screen and its receipt fail to price it)."""
    elapsed = int((now - starts_at).total_seconds() // 60)
    return starts_at + timedelta(minutes=max(1, elapsed))


def end_early(reservation: Reservation, now: datetime) -> None:
    """Cuts a stay short at `now` (see cut_short), keeping the end that was bought in
    `booked_ends_at`: a receipt issued afterwards prints what its payment paid for."""
    if reservation.booked_ends_at is None:
        reservation.booked_ends_at = reservation.ends_at
    reservation.ends_at = cut_short(reservation.starts_at, now)


def booking_interval(starts_at: datetime, minutes: int, now: datetime) -> Interval:
    """Validates a requested booking and returns its interval; raises InvalidInterval."""
    if starts_at.tzinfo is None:
        raise InvalidInterval("start time must carry a time zone")
    check_duration(minutes)
    starts_at = starts_at.astimezone(UTC)
    if starts_at < now - START_GRACE:
        raise InvalidInterval("the start is in the past")
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInterval(f"bookings open at most {MAX_DAYS_AHEAD} days ahead")
    return Interval(starts_at, starts_at + timedelta(minutes=minutes))


def check_duration(minutes: int) -> None:
    if minutes % STEP_MINUTES:
        raise InvalidInterval(f"durations go in {STEP_MINUTES}-minute steps")
    if not MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES:
        raise InvalidInterval("a booking lasts from 30 minutes to 24 hours")


def check_extension(current: Interval, added_minutes: int) -> Interval:
    """The added interval [old end, new end); the whole stay stays within 24 hours."""
    if added_minutes <= 0 or added_minutes % STEP_MINUTES:
        raise InvalidInterval(f"extensions go in {STEP_MINUTES}-minute steps")
    if current.minutes + added_minutes > MAX_DURATION_MINUTES:
        raise InvalidInterval("a booking lasts at most 24 hours")
    return Interval(current.ends_at, current.ends_at + timedelta(minutes=added_minutes))


# The state machine of DESIGN.md §5: action → states it may start from → state it leads to.
TRANSITIONS: dict[str, tuple[frozenset[ReservationStatus], ReservationStatus]] = {
    "confirm": (frozenset({ReservationStatus.PENDING_PAYMENT}), ReservationStatus.CONFIRMED),
    "expire": (frozenset({ReservationStatus.PENDING_PAYMENT}), ReservationStatus.EXPIRED),
    "cancel": (
        frozenset({ReservationStatus.PENDING_PAYMENT, ReservationStatus.CONFIRMED}),
        ReservationStatus.CANCELLED,
    ),
    # The driver lets an unpaid hold go: never a paid booking (that is a cancellation, refunded).
    "release": (frozenset({ReservationStatus.PENDING_PAYMENT}), ReservationStatus.CANCELLED),
    "arrive": (frozenset({ReservationStatus.CONFIRMED}), ReservationStatus.ACTIVE),
    # The blocker's "lowered" was contradicted by a failure for the same command (one answer
    # forged): the driver never got in, so the booking is waiting for them again.
    "unarrive": (frozenset({ReservationStatus.ACTIVE}), ReservationStatus.CONFIRMED),
    "complete": (
        frozenset({ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE}),
        ReservationStatus.COMPLETED,
    ),
    # A payment that arrives after its hold lapsed still confirms while the spot is free
    # (the payments rule); otherwise the money goes back.
    "confirm_late": (frozenset({ReservationStatus.EXPIRED}), ReservationStatus.CONFIRMED),
}

# Actions that keep the state but are allowed only in some.
EXTENDABLE = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE})
ENDABLE = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE})
LOWERABLE = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE})
# Paid for: a payment for it again is not wanted, and "Release the spot" must not touch it.
PAID = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE, ReservationStatus.COMPLETED})


def is_paid(status: ReservationStatus) -> bool:
    return status in PAID


def is_payable(status: ReservationStatus, hold_expires_at: datetime | None, now: datetime) -> bool:
    """An unpaid hold whose time has not run out (the sweep may not have expired it yet)."""
    return status == ReservationStatus.PENDING_PAYMENT and (hold_expires_at is None or now < hold_expires_at)


def can_cancel(status: ReservationStatus, starts_at: datetime, now: datetime) -> bool:
    """An unpaid hold can always be given up; a paid booking only before its start. After the
    start there is no cancel (DESIGN.md §5): the driver ends the booking instead."""
    if status == ReservationStatus.PENDING_PAYMENT:
        return True
    return status == ReservationStatus.CONFIRMED and now < starts_at


def can_end_now(status: ReservationStatus, starts_at: datetime, now: datetime) -> bool:
    """ "End parking now": a paid booking once it has started (before, it is cancelled)."""
    return status in ENDABLE and now >= starts_at


def is_over(status: ReservationStatus, ends_at: datetime, now: datetime) -> bool:
    """Nothing is left to do on the stay: it is not a paid booking any more, or its time ran out."""
    return status not in ENDABLE or now >= ends_at


# Wallet top-ups by card, in minor units of the wallet's currency.
TOPUP_MIN = 500
TOPUP_MAX = 50_000
TOPUP_PRESETS = (1_000, 2_000, 5_000)


def check_topup(amount: int) -> None:
    """Raises InvalidTopUp for an amount outside the top-up limits."""
    if not TOPUP_MIN <= amount <= TOPUP_MAX:
        raise InvalidTopUp(f"top-ups go from {TOPUP_MIN} to {TOPUP_MAX} minor units")


def topup_to_cover(price: int, balance: int) -> int:
    """The top-up offered when the wallet is short of a price: what is missing, within the
    top-up limits."""
    return min(max(price - balance, TOPUP_MIN), TOPUP_MAX)


class NotLowerable(enum.StrEnum):
    """Why the blocker may not go down for a booking now (the values are LowerRefused's)."""

    WRONG_STATE = "wrong_state"
    TOO_EARLY = "too_early"
    ENDED = "ended"


def lowering_opens_at(starts_at: datetime, early_minutes: int) -> datetime:
    return starts_at - timedelta(minutes=early_minutes)


def why_not_lower(
    status: ReservationStatus, starts_at: datetime, ends_at: datetime, now: datetime, early_minutes: int
) -> NotLowerable | None:
    """The lowering window of DESIGN.md §5: a paid booking (confirmed or active), from
    `early_minutes` before its start until its end. None when the blocker may go down now (the
    blocker's own health and a lowering already under way are checked with the device row)."""
    if status not in LOWERABLE:
        return NotLowerable.WRONG_STATE
    if now < lowering_opens_at(starts_at, early_minutes):
        return NotLowerable.TOO_EARLY
    if now >= ends_at:
        return NotLowerable.ENDED
    return None


def can_lower(
    status: ReservationStatus, starts_at: datetime, ends_at: datetime, now: datetime, early_minutes: int
) -> bool:
    return why_not_lower(status, starts_at, ends_at, now, early_minutes) is None
