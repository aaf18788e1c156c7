"""The pricing rules of core/pricing.py: what a stay costs under a rate plan, line by line."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.errors import RatePlanBadAmount, RatePlanBadPeriod, RatePlanCapTooLow
from core.money import price_for_minutes
from core.pricing import (
    DAY_MINUTES,
    LineKind,
    PeriodRate,
    Priced,
    RatePlan,
    marginal_price,
    price_stay,
    validate,
)

KYIV = ZoneInfo("Europe/Kyiv")
EVERY_DAY = frozenset(range(7))
NIGHT = PeriodRate(EVERY_DAY, time(22, 0), time(7, 0), 100)
WEEKEND = PeriodRate(frozenset({5, 6}), time(0, 0), time(0, 0), 100)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)  # type: ignore[misc,arg-type]


def stay(plan: RatePlan, starts_at: datetime, hours: float) -> Priced:
    return price_stay(plan, starts_at, starts_at + timedelta(hours=hours), KYIV)


def summary(priced: Priced) -> list[tuple[str, int, int, int]]:
    return [(line.kind.value, line.minutes, line.per_hour, line.amount) for line in priced.lines]


def test_a_plain_plan_prices_as_the_hourly_price_always_did() -> None:
    plan = RatePlan.plain(250, "EUR")
    for minutes in (30, 45, 60, 135, 24 * 60):
        start = local(2026, 11, 21, 9, 7)
        priced = price_stay(plan, start, start + timedelta(minutes=minutes), KYIV)
        assert priced.total == price_for_minutes(250, minutes)
        assert summary(priced) == [("base", minutes, 250, priced.total)]
        assert not priced.itemised
    # 45 min at 2.50/h is 1.875: rounded up to the minor unit, as before.
    assert stay(plan, local(2026, 11, 21, 9), 0.75).total == 188


def test_the_first_hour_replaces_the_rate_for_the_first_60_minutes() -> None:
    plan = RatePlan(base_per_hour=200, currency="EUR", first_hour=300)
    priced = stay(plan, local(2026, 11, 21, 9), 3)
    assert summary(priced) == [("first_hour", 60, 300, 300), ("base", 120, 200, 400)]
    assert priced.total == 700 and priced.itemised
    # A stay shorter than an hour pays its share of the first-hour price.
    assert summary(stay(plan, local(2026, 11, 21, 9), 0.5)) == [("first_hour", 30, 300, 150)]
    # The first hour wins over a period (it is the first hour whatever the time).
    night_plan = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, periods=(NIGHT,))
    assert summary(stay(night_plan, local(2026, 11, 21, 23), 2)) == [
        ("first_hour", 60, 300, 300),
        ("period", 60, 100, 100),
    ]


def test_a_night_period_crosses_midnight_and_splits_by_the_minute() -> None:
    plan = RatePlan(base_per_hour=200, currency="EUR", periods=(NIGHT,))
    priced = stay(plan, local(2026, 11, 20, 20, 0), 12)  # Fri 20:00 → Sat 08:00
    # The minutes at one rate make one line: 2 h before and 1 h after the night.
    assert summary(priced) == [("base", 180, 200, 600), ("period", 540, 100, 900)]
    assert priced.total == 1500
    # A stay from 21:52 pays 8 minutes of day rate (ceil(200 × 8 / 60) = 27), not a slice.
    assert summary(stay(plan, local(2026, 11, 20, 21, 52), 1)) == [
        ("base", 8, 200, 27),
        ("period", 52, 100, 87),
    ]
    # The period belongs to the day it starts on: Friday 22:00 runs into Saturday 07:00.
    friday_night = PeriodRate(frozenset({4}), time(22, 0), time(7, 0), 100)
    assert friday_night.covers(5, 6 * 60 + 59) and not friday_night.covers(5, 7 * 60)
    assert not friday_night.covers(3, 23 * 60) and friday_night.covers(4, 23 * 60)


def test_a_weekend_rate_covers_saturday_and_sunday() -> None:
    plan = RatePlan(base_per_hour=200, currency="EUR", periods=(WEEKEND,))
    priced = stay(plan, local(2026, 11, 20, 22, 0), 4)  # Fri 22:00 → Sat 02:00
    assert summary(priced) == [("base", 120, 200, 400), ("period", 120, 100, 200)]
    priced = stay(plan, local(2026, 11, 22, 22, 0), 4)  # Sun 22:00 → Mon 02:00
    assert summary(priced) == [("period", 120, 100, 200), ("base", 120, 200, 400)]


@pytest.mark.parametrize(
    ("start", "night_hours"),
    [
        (local(2026, 10, 24, 20, 0), 10),  # autumn: 04:00 happens twice, the night is 10 h
        (local(2026, 3, 28, 20, 0), 8),  # spring: 03:00–04:00 never happens, the night is 8 h
    ],
)
def test_daylight_saving_nights_in_kyiv_last_the_hours_that_really_pass(
    start: datetime, night_hours: int
) -> None:
    plan = RatePlan(base_per_hour=200, currency="EUR", periods=(NIGHT,))
    ends_at = datetime(start.year, start.month, start.day + 1, 12, 0, tzinfo=KYIV)  # 12:00 next day
    priced = price_stay(plan, start.astimezone(UTC), ends_at.astimezone(UTC), "Europe/Kyiv")
    assert summary(priced) == [("base", 420, 200, 1400), ("period", night_hours * 60, 100, night_hours * 100)]


def test_the_daily_cap_holds_in_each_24_hours_from_the_start() -> None:
    plan = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, daily_cap=2000)
    priced = stay(plan, local(2026, 11, 21, 9), 24)
    # 3.00 + 23 h × 2.00 = 49.00, down to the cap of 20.00.
    assert summary(priced) == [
        ("first_hour", 60, 300, 300),
        ("base", 1380, 200, 4600),
        ("cap", 1440, 2000, -2900),
    ]
    assert priced.total == 2000
    # Over 30 h (longer than a booking may last, but the rule is per 24 h): the second window
    # starts without a first hour and stays under the cap.
    priced = stay(plan, local(2026, 11, 21, 9), 30)
    assert priced.total == 2000 + 6 * 200
    assert [line.window for line in priced.lines] == [0, 0, 0, 1]
    # Under the cap, no cap line.
    assert LineKind.CAP not in {line.kind for line in stay(plan, local(2026, 11, 21, 9), 5).lines}


def test_an_extension_costs_what_it_adds_to_the_whole_stay() -> None:
    plan = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, daily_cap=2000)
    start = local(2026, 11, 21, 9)
    # The first hour is not charged again for the added hour.
    assert marginal_price(plan, start, start + timedelta(hours=1), start + timedelta(hours=2), KYIV) == 200
    # Once the cap is reached, more time costs nothing.
    assert marginal_price(plan, start, start + timedelta(hours=20), start + timedelta(hours=24), KYIV) == 0
    # Capped part way: 8 h cost 17.00; 2 h more would be 4.00, but only 3.00 is left to the cap.
    assert marginal_price(plan, start, start + timedelta(hours=8), start + timedelta(hours=10), KYIV) == 300


def test_plans_that_cannot_be_priced_are_refused() -> None:
    with pytest.raises(RatePlanBadAmount):
        validate(RatePlan(base_per_hour=-1, currency="EUR"))
    with pytest.raises(RatePlanBadAmount):  # a stay in it would cost 0: never payable
        validate(RatePlan(base_per_hour=200, first_hour=0, currency="EUR"))
    with pytest.raises(RatePlanBadAmount):
        validate(
            RatePlan(
                base_per_hour=200, currency="EUR", periods=(PeriodRate(EVERY_DAY, time(1), time(2), -5),)
            )
        )
    with pytest.raises(RatePlanCapTooLow):
        validate(RatePlan(base_per_hour=200, currency="EUR", first_hour=500, daily_cap=400))
    with pytest.raises(RatePlanBadPeriod):
        validate(
            RatePlan(
                base_per_hour=200, currency="EUR", periods=(PeriodRate(frozenset(), time(1), time(2), 5),)
            )
        )
    with pytest.raises(RatePlanBadPeriod):
        validate(
            RatePlan(
                base_per_hour=200, currency="EUR", periods=(PeriodRate(frozenset({7}), time(1), time(2), 5),)
            )
        )
    with pytest.raises(RatePlanBadPeriod):
        validate(
            RatePlan(
                base_per_hour=200,
                currency="EUR",
                periods=(PeriodRate(EVERY_DAY, time(1, 0, 30), time(2), 5),),
            )
        )
    with pytest.raises(RatePlanBadPeriod):  # Saturday's night runs into the weekend rate of Sunday
        validate(RatePlan(base_per_hour=200, currency="EUR", periods=(WEEKEND, NIGHT)))
    # Touching periods do not overlap.
    evening = PeriodRate(EVERY_DAY, time(18, 0), time(22, 0), 150)
    validate(RatePlan(base_per_hour=200, currency="EUR", daily_cap=200, periods=(evening, NIGHT)))
    assert RatePlan(base_per_hour=200, currency="EUR", periods=(evening, NIGHT)).from_price == 100


def test_periods_survive_their_json_form() -> None:
    for period in (NIGHT, WEEKEND, PeriodRate(frozenset({0, 2}), time(7, 45), time(9, 15), 350)):
        assert PeriodRate.from_json(period.to_json()) == period


# --- the property: for any plan and stay, the total is the sum of its lines and no 24 h window
# costs more than the cap.

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 7]))
periods = st.builds(
    PeriodRate,
    days=st.frozensets(st.integers(0, 6), min_size=1),
    start=times,
    end=times,
    per_hour=st.integers(1, 2000),
)


@st.composite
def plans(draw: st.DrawFn) -> RatePlan:
    base = draw(st.integers(1, 2000))
    first = draw(st.none() | st.integers(1, 3000))
    chosen = tuple(draw(st.lists(periods, max_size=3)))
    plan = RatePlan(base_per_hour=base, currency="EUR", first_hour=first, periods=chosen)
    if draw(st.booleans()):
        plan = RatePlan(
            base_per_hour=base,
            currency="EUR",
            first_hour=first,
            daily_cap=plan.dearest_hour + draw(st.integers(0, 20_000)),
            periods=chosen,
        )
    try:
        return validate(plan)
    except RatePlanBadPeriod:
        # Overlapping periods are refused: keep the first only.
        return validate(RatePlan(base, "EUR", first, plan.daily_cap, chosen[:1]))


# Hypothesis takes naive bounds and attaches the zone itself.
starts = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda d: d.replace(second=0, microsecond=0))
zones = st.sampled_from(["Europe/Kyiv", "UTC", "America/New_York", "Australia/Lord_Howe"])


@settings(max_examples=150, deadline=None)
@given(
    plan=plans(),
    starts_at=starts,
    minutes=st.integers(0, 3 * DAY_MINUTES),
    extra=st.integers(0, 600),
    tz=zones,
)
def test_any_quote_is_the_sum_of_its_lines_and_never_exceeds_the_caps(
    plan: RatePlan, starts_at: datetime, minutes: int, extra: int, tz: str
) -> None:
    assume(plan.daily_cap is None or plan.daily_cap >= plan.dearest_hour)
    ends_at = starts_at + timedelta(minutes=minutes)
    priced = price_stay(plan, starts_at, ends_at, tz)
    assert priced.total == sum(line.amount for line in priced.lines)
    assert priced.total >= 0 and priced.currency == "EUR"
    windows = -(-minutes // DAY_MINUTES)
    for w in range(windows):
        day = [line for line in priced.lines if line.window == w]
        charged = [line for line in day if line.kind != LineKind.CAP]
        # Every minute of the window is charged once, each line rounded up as one rate.
        assert sum(line.minutes for line in charged) == min(DAY_MINUTES, minutes - w * DAY_MINUTES)
        for line in charged:
            assert line.amount == price_for_minutes(line.per_hour, line.minutes)
        if plan.daily_cap is not None:
            assert sum(line.amount for line in day) <= plan.daily_cap
    if plan.first_hour is None and not plan.periods and plan.daily_cap is None:
        assert priced.total == price_for_minutes(plan.base_per_hour, minutes)
    # An extension never costs less than nothing, and booking + extension = the whole stay.
    added = marginal_price(plan, starts_at, ends_at, ends_at + timedelta(minutes=extra), tz)
    assert added >= 0
    assert priced.total + added == price_stay(plan, starts_at, ends_at + timedelta(minutes=extra), tz).total
