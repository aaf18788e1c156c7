"""Pricing, amounts and interval rules: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInterval, InvalidTopUp
from core.money import Money, parse_amount, price_for_minutes
from core.rules import (
    TOPUP_MAX,
    TOPUP_MIN,
    Interval,
    booking_interval,
    check_extension,
    check_topup,
    start_now,
    topup_to_cover,
)

NOW = datetime(2026, 11, 21, 9, 7, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("per_hour", "minutes", "expected"),
    [
        (200, 60, 200),
        (200, 30, 100),
        (250, 45, 188),
        (1, 30, 1),
        (333, 15, 84),
        (0, 90, 0),
        (199, 1440, 4776),
    ],
)
def test_price_is_rounded_up_to_the_minor_unit(per_hour: int, minutes: int, expected: int) -> None:
    assert price_for_minutes(per_hour, minutes) == expected


@given(st.integers(0, 10**7), st.integers(0, 24 * 60))
def test_price_is_the_exact_ceiling(per_hour: int, minutes: int) -> None:
    price = price_for_minutes(per_hour, minutes)
    assert price * 60 >= per_hour * minutes > (price - 1) * 60 or price == 0


def test_money_formats_and_parses_without_floats() -> None:
    assert Money(1250, "EUR").format() == "12.50 EUR"
    assert Money(-5, "EUR").format() == "-0.05 EUR"
    assert Money(500, "JPY").format() == "500 JPY"
    assert parse_amount("12,5", "EUR") == 1250
    assert parse_amount("7", "UAH") == 700
    for bad in ("", "1.234", "-3", "abc", "1e3"):
        with pytest.raises(ValueError):
            parse_amount(bad, "EUR")
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]


def test_now_starts_at_the_current_minute() -> None:
    assert start_now(NOW) == datetime(2026, 11, 21, 9, 7, tzinfo=UTC)


def test_booking_interval_accepts_steps_of_15_from_30_min_to_24_h() -> None:
    assert booking_interval(NOW, 30, NOW).minutes == 30
    assert booking_interval(NOW + timedelta(days=30), 24 * 60, NOW).minutes == 1440
    for minutes in (0, 15, 40, 24 * 60 + 15):
        with pytest.raises(InvalidInterval):
            booking_interval(NOW, minutes, NOW)


def test_booking_interval_refuses_the_past_far_future_and_naive_times() -> None:
    with pytest.raises(InvalidInterval):
        booking_interval(NOW - timedelta(minutes=6), 60, NOW)
    with pytest.raises(InvalidInterval):
        booking_interval(NOW + timedelta(days=30, minutes=1), 60, NOW)
    with pytest.raises(InvalidInterval):
        booking_interval(NOW.replace(tzinfo=None), 60, NOW)


def test_intervals_are_half_open() -> None:
    a = Interval(NOW, NOW + timedelta(hours=1))
    assert not a.overlaps(Interval(a.ends_at, a.ends_at + timedelta(hours=1)))
    assert a.overlaps(Interval(a.ends_at - timedelta(minutes=1), a.ends_at + timedelta(hours=1)))


def test_extension_adds_quarter_hours_up_to_24_h_in_total() -> None:
    current = Interval(NOW, NOW + timedelta(hours=23))
    assert check_extension(current, 60) == Interval(current.ends_at, current.ends_at + timedelta(hours=1))
    for minutes in (0, 10, 75):
        with pytest.raises(InvalidInterval):
            check_extension(current, minutes)


@pytest.mark.parametrize("amount", [TOPUP_MIN, 1_000, TOPUP_MAX])
def test_top_ups_within_the_limits_pass(amount: int) -> None:
    check_topup(amount)


@pytest.mark.parametrize("amount", [-1, 0, TOPUP_MIN - 1, TOPUP_MAX + 1])
def test_top_ups_outside_the_limits_are_refused(amount: int) -> None:
    with pytest.raises(InvalidTopUp, match="top-ups go from"):
        check_topup(amount)


@pytest.mark.parametrize(
    ("price", "balance", "offered"),
    [
        (250, 100, TOPUP_MIN),  # 1.50 missing: the smallest top-up
        (2_000, 100, 1_900),  # exactly what is missing
        (90_000, 0, TOPUP_MAX),  # more than one top-up can bring
        (250, 250, TOPUP_MIN),  # nothing missing: still a valid top-up
    ],
)
def test_the_top_up_offered_for_a_price_covers_what_is_missing_within_the_limits(
    price: int, balance: int, offered: int
) -> None:
    assert topup_to_cover(price, balance) == offered
    check_topup(offered)
