"""The pure rules of core/rules.py that screens and services both ask: what may happen to a
booking in each state and at each moment (DESIGN.md §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.models import ReservationStatus as S
from core.rules import (
    TRANSITIONS,
    NotLowerable,
    can_cancel,
    can_end_now,
    can_lower,
    is_paid,
    is_payable,
    why_not_lower,
)

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
BEFORE = START - timedelta(minutes=1)
AFTER = START + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (S.PENDING_PAYMENT, BEFORE, True),
        (S.PENDING_PAYMENT, AFTER, True),  # an unpaid hold can always be given up
        (S.CONFIRMED, BEFORE, True),
        (S.CONFIRMED, START, False),  # from the start on there is no cancel: end it instead
        (S.CONFIRMED, AFTER, False),
        (S.ACTIVE, BEFORE, False),
        (S.ACTIVE, AFTER, False),
        (S.COMPLETED, BEFORE, False),
        (S.EXPIRED, BEFORE, False),
        (S.CANCELLED, BEFORE, False),
    ],
)
def test_can_cancel(status: S, now: datetime, expected: bool) -> None:
    assert can_cancel(status, START, now) is expected


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (S.CONFIRMED, BEFORE, False),  # before the start it is cancelled instead
        (S.CONFIRMED, START, True),
        (S.ACTIVE, AFTER, True),
        (S.PENDING_PAYMENT, AFTER, False),
        (S.COMPLETED, AFTER, False),
        (S.CANCELLED, AFTER, False),
    ],
)
def test_can_end_now(status: S, now: datetime, expected: bool) -> None:
    assert can_end_now(status, START, now) is expected


def test_every_booking_is_either_cancelled_or_ended_but_never_both() -> None:
    for status in S:
        for now in (BEFORE, START, AFTER):
            assert not (can_cancel(status, START, now) and can_end_now(status, START, now))


@pytest.mark.parametrize(
    ("status", "hold_expires_at", "expected"),
    [
        (S.PENDING_PAYMENT, START + timedelta(minutes=10), True),
        (S.PENDING_PAYMENT, START, False),  # the hold ran out (the sweep has not expired it yet)
        (S.PENDING_PAYMENT, START - timedelta(minutes=1), False),
        (S.CONFIRMED, None, False),  # paid already
        (S.EXPIRED, None, False),
        (S.CANCELLED, None, False),
    ],
)
def test_is_payable(status: S, hold_expires_at: datetime | None, expected: bool) -> None:
    assert is_payable(status, hold_expires_at, START) is expected


def test_paid_and_releasable_states() -> None:
    assert {s for s in S if is_paid(s)} == {S.CONFIRMED, S.ACTIVE, S.COMPLETED}
    # "Release the spot" is for an unpaid hold only: never a paid booking.
    assert TRANSITIONS["release"][0] == {S.PENDING_PAYMENT}


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (S.CONFIRMED, START - timedelta(minutes=16), NotLowerable.TOO_EARLY),
        (S.CONFIRMED, START - timedelta(minutes=15), None),  # the early-arrival window opens
        (S.CONFIRMED, START, None),
        (S.ACTIVE, END - timedelta(seconds=1), None),  # lowered again after driving out
        (S.ACTIVE, END, NotLowerable.ENDED),
        (S.PENDING_PAYMENT, START, NotLowerable.WRONG_STATE),
        (S.COMPLETED, START, NotLowerable.WRONG_STATE),
        (S.CANCELLED, START, NotLowerable.WRONG_STATE),
    ],
)
def test_the_lowering_window(status: S, now: datetime, expected: NotLowerable | None) -> None:
    assert why_not_lower(status, START, END, now, 15) is expected
    assert can_lower(status, START, END, now, 15) is (expected is None)
