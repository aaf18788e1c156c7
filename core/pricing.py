"""Rate plans and the price of a stay (DESIGN.md §5 "Prices"): pure, no database.

A premise's plan, in integer minor units of its currency:

- `base_per_hour`: the rate that applies when nothing else does;
- `first_hour` (optional): the first 60 minutes of a stay are charged at this hourly rate
  instead of whichever rate would apply then (a 30-minute stay pays half of it);
- `periods` (optional): time-of-day and weekday rates, each on a set of weekdays (the day the
  period starts on), from a local start time to a local end time; an end at or before the
  start crosses midnight into the next day (`22:00–07:00` on Friday runs to Saturday 07:00),
  and an end equal to the start is the whole 24 hours (`00:00–00:00` on Sat, Sun: weekends).
  Periods of one plan never overlap (validate refuses it);
- `daily_cap` (optional): no 24-hour window of the stay, counted from its start (0–24 h,
  24–48 h, …), costs more than this.

How a stay is priced (`price_stay`):

1. Every minute of the stay, in real (UTC) time, takes the rate in force at that minute's
   local wall-clock time in the premise's zone: the first-hour rate for the first 60 minutes
   when the plan has one, else the period covering that weekday and time, else the base
   rate. Minutes rather than 15-minute slices: bookings start on any minute ("now"), so a
   stay from 21:52 pays 8 minutes of day rate before a 22:00 night period, exactly. On
   daylight-saving days the minutes are the ones that really pass: a night of 22:00–07:00
   is 8 or 10 hours long, as the opening hours' night ranges are.
2. Within each 24-hour window, the minutes at one rate make one line:
   amount = ceil(per_hour × minutes / 60), the rounding of `core.money.price_for_minutes`.
   A plan with only a base rate therefore prices a stay exactly as before plans existed.
3. When a window's lines add up to more than the daily cap, a `cap` line with the negative
   difference brings that window down to the cap.
4. The total is the sum of the lines.

Extensions are charged the marginal cost, `price(whole new stay) − price(old stay)` under
the booking's plan (`marginal_price`), so the first hour is not charged twice and the cap
holds across extensions; a booking's price is then always the price of its whole stay.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import RatePlanBadAmount, RatePlanBadPeriod, RatePlanCapTooLow

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
FIRST_HOUR_MINUTES = 60
# The largest amount a plan may hold (a day at 10,000.00 stays well inside a 32-bit column).
MAX_AMOUNT = 1_000_000


def _minute_of_day(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True, slots=True)
class PeriodRate:
    """A time-of-day or weekday rate: on `days` (0 = Monday … 6 = Sunday, the day it starts
    on), from local `start` to local `end` (crossing midnight when `end <= start`; the whole
    day from `start` when they are equal)."""

    days: frozenset[int]
    start: time
    end: time
    per_hour: int

    @property
    def length(self) -> int:
        """Minutes from start to end (1..1440)."""
        span = (_minute_of_day(self.end) - _minute_of_day(self.start)) % DAY_MINUTES
        return span or DAY_MINUTES

    def covers(self, weekday: int, minute_of_day: int) -> bool:
        start = _minute_of_day(self.start)
        end = start + self.length  # may run past midnight (up to 2880)
        if weekday in self.days and start <= minute_of_day < end:
            return True
        return (weekday - 1) % 7 in self.days and minute_of_day < end - DAY_MINUTES

    def week_minutes(self) -> Iterable[int]:
        """The minutes of a week (Monday 00:00 = 0) the period covers."""
        start = _minute_of_day(self.start)
        for day in self.days:
            for m in range(start, start + self.length):
                yield (day * DAY_MINUTES + m) % WEEK_MINUTES

    def to_json(self) -> dict[str, Any]:
        return {
            "days": sorted(self.days),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "per_hour": self.per_hour,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PeriodRate:
        return cls(
            days=frozenset(int(d) for d in data["days"]),
            start=time.fromisoformat(str(data["start"])),
            end=time.fromisoformat(str(data["end"])),
            per_hour=int(data["per_hour"]),
        )


@dataclass(frozen=True, slots=True)
class RatePlan:
    base_per_hour: int
    currency: str
    first_hour: int | None = None
    daily_cap: int | None = None
    periods: tuple[PeriodRate, ...] = ()

    @classmethod
    def plain(cls, per_hour: int, currency: str) -> RatePlan:
        """One hourly rate: what every premise had before plans."""
        return cls(base_per_hour=per_hour, currency=currency)

    @property
    def from_price(self) -> int:
        """The cheapest hourly rate a stay can run at (the first hour aside): the "from" price
        search shows, kept in `premises.price_per_hour`."""
        return min([self.base_per_hour, *(p.per_hour for p in self.periods)])

    @property
    def dearest_hour(self) -> int:
        rates = [self.base_per_hour, *(p.per_hour for p in self.periods)]
        if self.first_hour is not None:
            rates.append(self.first_hour)
        return max(rates)

    def period_at(self, weekday: int, minute_of_day: int) -> int | None:
        """Index of the period covering this local weekday and minute, if any."""
        for i, period in enumerate(self.periods):
            if period.covers(weekday, minute_of_day):
                return i
        return None

    def periods_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.periods]


def validate(plan: RatePlan) -> RatePlan:
    """Refuses a plan that cannot be priced as documented: amounts below one minor unit or
    absurd, a cap below the dearest hour, periods without days, off whole minutes or
    overlapping. A rate of 0 is refused because a stay priced 0 could never be paid (a payment
    is never of 0); free parking is not a rate plan."""
    amounts = [plan.base_per_hour, plan.first_hour, plan.daily_cap, *(p.per_hour for p in plan.periods)]
    for amount in amounts:
        if amount is None:
            continue
        if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
            raise RatePlanBadAmount(f"amounts are whole minor units from 1 to {MAX_AMOUNT}")
    if plan.daily_cap is not None and plan.daily_cap < plan.dearest_hour:
        raise RatePlanCapTooLow(f"the daily cap {plan.daily_cap} is below an hour at {plan.dearest_hour}")
    covered: set[int] = set()
    for period in plan.periods:
        if not period.days or not period.days <= set(range(7)):
            raise RatePlanBadPeriod("a period needs weekdays from 0 (Monday) to 6 (Sunday)")
        for t in (period.start, period.end):
            if t.second or t.microsecond or t.tzinfo is not None:
                raise RatePlanBadPeriod("period times are local wall-clock times in whole minutes")
        minutes = set(period.week_minutes())
        if covered & minutes:
            raise RatePlanBadPeriod("periods overlap")
        covered |= minutes
    return plan


class LineKind(enum.StrEnum):
    FIRST_HOUR = "first_hour"
    BASE = "base"
    PERIOD = "period"
    CAP = "cap"


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One line of a price as the driver reads it. For `cap`, `per_hour` is the cap, `minutes`
    the window's length and `amount` the (negative) reduction."""

    kind: LineKind
    minutes: int
    per_hour: int
    amount: int
    period: PeriodRate | None = None
    window: int = 0  # which 24-hour window of the stay (0: its first day)


@dataclass(frozen=True, slots=True)
class Priced:
    total: int
    currency: str
    lines: tuple[PriceLine, ...] = field(default=())

    @property
    def itemised(self) -> bool:
        """More than one line: worth showing the driver (a single line is the total)."""
        return len(self.lines) > 1


def _ceil_rate(per_hour: int, minutes: int) -> int:
    return -(-per_hour * minutes // 60)


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def whole_minutes(starts_at: datetime, ends_at: datetime) -> bool:
    """Whether [starts_at, ends_at) is a stay `price_stay` can price. Bookings ended early
    before core.rules.cut_short may end on a second: their screens and receipts show the
    price paid without line items instead of failing."""
    seconds = (ends_at - starts_at).total_seconds()
    return seconds >= 0 and seconds % 60 == 0


def price_stay(plan: RatePlan, starts_at: datetime, ends_at: datetime, tz: str | ZoneInfo) -> Priced:
    """The price of the stay [starts_at, ends_at) under `plan`, local times in `tz` (see the
    module's docstring for the rules). Whole minutes; an empty stay costs nothing."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("stay times must carry a time zone")
    seconds = (ends_at - starts_at).total_seconds()
    if seconds < 0 or seconds % 60:
        raise ValueError("a stay lasts whole minutes, not less than none")
    total_minutes = int(seconds // 60)
    zone = _zone(tz)
    start = starts_at.astimezone(UTC)
    lines: list[PriceLine] = []
    for window, first in enumerate(range(0, total_minutes, DAY_MINUTES)):
        last = min(first + DAY_MINUTES, total_minutes)
        # (kind, period index) → minutes, in order of first appearance.
        counts: dict[tuple[LineKind, int], int] = {}
        if plan.periods:
            for i in range(first, last):
                if plan.first_hour is not None and i < FIRST_HOUR_MINUTES:
                    key = (LineKind.FIRST_HOUR, -1)
                else:
                    local = (start + timedelta(minutes=i)).astimezone(zone)
                    index = plan.period_at(local.weekday(), local.hour * 60 + local.minute)
                    key = (LineKind.BASE, -1) if index is None else (LineKind.PERIOD, index)
                counts[key] = counts.get(key, 0) + 1
        else:
            # Without periods the minutes need not be walked one by one (the reminder sweep
            # prices three extensions for each of thousands of bookings): the first hour's
            # minutes, then the base rate's, in that order as the walk would count them.
            first_hour = 0
            if plan.first_hour is not None and first < FIRST_HOUR_MINUTES:
                first_hour = min(FIRST_HOUR_MINUTES, last) - first
                counts[(LineKind.FIRST_HOUR, -1)] = first_hour
            if last - first > first_hour:
                counts[(LineKind.BASE, -1)] = last - first - first_hour
        day: list[PriceLine] = []
        for (kind, index), minutes in counts.items():
            period = plan.periods[index] if kind == LineKind.PERIOD else None
            if kind == LineKind.FIRST_HOUR:
                assert plan.first_hour is not None
                rate = plan.first_hour
            else:
                rate = period.per_hour if period is not None else plan.base_per_hour
            day.append(PriceLine(kind, minutes, rate, _ceil_rate(rate, minutes), period, window))
        subtotal = sum(line.amount for line in day)
        if plan.daily_cap is not None and subtotal > plan.daily_cap:
            day.append(
                PriceLine(LineKind.CAP, last - first, plan.daily_cap, plan.daily_cap - subtotal, None, window)
            )
        lines.extend(day)
    return Priced(total=sum(line.amount for line in lines), currency=plan.currency, lines=tuple(lines))


def marginal_price(
    plan: RatePlan, starts_at: datetime, old_ends_at: datetime, new_ends_at: datetime, tz: str | ZoneInfo
) -> int:
    """What moving a stay's end from `old_ends_at` to `new_ends_at` costs: the whole new stay's
    price less the old one's (never negative: each line and each window only grow)."""
    zone = _zone(tz)
    return (
        price_stay(plan, starts_at, new_ends_at, zone).total
        - price_stay(plan, starts_at, old_ends_at, zone).total
    )


def plan_from_fields(
    *,
    base_per_hour: int,
    currency: str,
    first_hour: int | None,
    daily_cap: int | None,
    periods: Sequence[Mapping[str, Any]],
) -> RatePlan:
    return RatePlan(
        base_per_hour=base_per_hour,
        currency=currency,
        first_hour=first_hour,
        daily_cap=daily_cap,
        periods=tuple(PeriodRate.from_json(p) for p in periods),
    )
