"""The Revenue screen's periods as local days, and what its CSV writes for amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidInterval
from core.usecases.revenue import MAX_DAYS, Period, decimal_amount, local_midnight, period_days

SATURDAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        (Period.TODAY, SATURDAY, SATURDAY),
        (Period.YESTERDAY, date(2026, 11, 20), date(2026, 11, 20)),
        (Period.WEEK, date(2026, 11, 16), SATURDAY),  # from Monday
        (Period.MONTH, date(2026, 11, 1), SATURDAY),
    ],
)
def test_named_periods_end_today(period: Period, first: date, last: date) -> None:
    assert period_days(period, SATURDAY) == (first, last)


def test_a_custom_range_is_turned_round_and_bounded() -> None:
    assert period_days(Period.CUSTOM, SATURDAY, date(2026, 11, 20), date(2026, 11, 1)) == (
        date(2026, 11, 1),
        date(2026, 11, 20),
    )
    with pytest.raises(InvalidInterval):
        period_days(Period.CUSTOM, SATURDAY, date(2025, 1, 1), date(2026, 1, 2))  # 367 days
    with pytest.raises(InvalidInterval):
        period_days(Period.CUSTOM, SATURDAY)
    long = period_days(Period.CUSTOM, SATURDAY, date(2025, 11, 21), date(2026, 11, 21))
    assert (long[1] - long[0]).days + 1 == MAX_DAYS


def test_a_local_day_follows_daylight_saving() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    # 25 October 2026: clocks go back an hour in Kyiv, so that day lasts 25 hours.
    assert local_midnight(date(2026, 10, 26), kyiv) - local_midnight(date(2026, 10, 25), kyiv) == (
        datetime(2026, 10, 25, 22, tzinfo=UTC) - datetime(2026, 10, 24, 21, tzinfo=UTC)
    )


def test_amounts_in_decimal() -> None:
    assert [decimal_amount(a, c) for a, c in ((1250, "EUR"), (-5, "EUR"), (300, "JPY"), (-1234, "KWD"))] == [
        "12.50",
        "-0.05",
        "300",
        "-1.234",
    ]
