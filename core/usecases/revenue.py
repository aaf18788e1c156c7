"""The console's Revenue screen (DESIGN.md §11, VIEW_REVENUE: owners and managers, not
attendants): what a premise (or, for owners, every premise) earned over a period, per currency,
with the daily figures a chart draws, and the CSV an accountant takes.

The ledger of record is the `payments` table, not `wallet_transactions`:
- it holds every booking and extension payment, by card and by wallet alike, each with its
  booking (so its premise) and currency; wallet_transactions has no card money at all;
- a wallet top-up is money held for the driver, not earned: it is earned when the wallet pays
  for a booking, and that payment is a `payments` row (method wallet) too. Counting wallet
  transactions as well would count that money twice;
- a refund is recorded on the payment it gives back (`refunded_amount`, `refunded_at`) for
  both methods: a wallet refund when it is credited, a card refund when Stripe has done it
  (refund_pending is owed, not yet given back: shown apart, not subtracted).
Gross is what payments took in the period (by `succeeded_at`): booking and extension payments
that succeeded, later refunded or not. A payment held for review (the provider took another
amount than asked) never counted as paid and is left out, with its refund. Refunds are what
went back in the period (by `refunded_at`). Net = gross − refunds. Amounts are never added
across currencies: every figure is per currency.

Periods are local days of the premise's time zone; for all premises, of the zone they share,
or of the console's zone (settings.timezone) when they differ (the screen names the zone).
Money is summed in SQL (grouped by premise, currency, method and day); booked time for the
occupancy rate (booked hours ÷ open spot-hours, from each premise's opening hours and its
spots) is clipped to days in Python from the bookings' start and end only.
"""

from __future__ import annotations

import csv
import enum
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import opening_hours
from core.errors import InvalidInterval
from core.models import (
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
)
from core.money import currency_exponent
from core.permissions import Permission
from core.usecases.admin import AdminUseCases, csv_cell

# A custom range covers at most this many days (a year and a day: a leap year's same date).
MAX_DAYS = 366
# Payments that took the driver's money (and may have given it back since).
TOOK_MONEY = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUND_PENDING,
    PaymentStatus.REFUNDED,
    PaymentStatus.REFUND_FAILED,
)
EARNING = (PaymentPurpose.BOOKING, PaymentPurpose.EXTENSION)  # a top-up is the driver's money
# Bookings whose spot was theirs (paid); a no-show's time was sold too.
BOOKED = (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE, ReservationStatus.COMPLETED)
CSV_COLUMNS = (
    "type", "time", "timezone", "payment_id", "booking_id", "premise_id", "premise", "purpose", "method",
    "currency", "amount_minor", "amount", "status",
)  # fmt: skip


class Period(enum.StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEK = "week"  # Monday to today
    MONTH = "month"  # the 1st to today
    CUSTOM = "custom"


def period_days(
    period: Period, today: date, first: date | None = None, last: date | None = None
) -> tuple[date, date]:
    """The first and last local day (inclusive) of a period; a custom range given backwards
    is turned round. InvalidInterval when a custom range lacks a day or is too long."""
    if period is Period.TODAY:
        return today, today
    if period is Period.YESTERDAY:
        return today - timedelta(days=1), today - timedelta(days=1)
    if period is Period.WEEK:
        return today - timedelta(days=today.weekday()), today
    if period is Period.MONTH:
        return today.replace(day=1), today
    if first is None or last is None:
        raise InvalidInterval("a custom range needs its first and last day")
    first, last = min(first, last), max(first, last)
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInterval(f"at most {MAX_DAYS} days")
    return first, last


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


@dataclass(slots=True)
class MethodTotals:
    gross: int = 0
    refunds: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunds


@dataclass(slots=True)
class CurrencyTotals:
    """Money of one currency: never added to another currency's."""

    currency: str
    gross: int = 0
    refunds: int = 0
    payments: int = 0  # how many payments took money
    refund_count: int = 0
    by_method: dict[str, MethodTotals] = field(default_factory=dict)  # card / wallet

    @property
    def net(self) -> int:
        return self.gross - self.refunds


@dataclass(slots=True)
class PremiseRevenue:
    premise_id: int
    name: str
    timezone: str
    spots: int
    money: dict[str, CurrencyTotals] = field(default_factory=dict)
    bookings: int = 0  # paid bookings that start in the period
    stay_minutes: int = 0  # their booked length, added up (for the average stay)
    booked_minutes: int = 0  # booked time inside the period (for the occupancy rate)
    open_spot_minutes: int = 0  # spots × the minutes the premise was open in the period

    @property
    def average_stay_minutes(self) -> int | None:
        return round(self.stay_minutes / self.bookings) if self.bookings else None

    @property
    def occupancy(self) -> float | None:
        return self.booked_minutes / self.open_spot_minutes if self.open_spot_minutes else None


@dataclass(slots=True)
class DayRevenue:
    day: date
    gross: dict[str, int] = field(default_factory=dict)  # by currency
    refunds: dict[str, int] = field(default_factory=dict)
    booked_minutes: int = 0
    open_spot_minutes: int = 0

    def net(self, currency: str) -> int:
        return self.gross.get(currency, 0) - self.refunds.get(currency, 0)

    @property
    def occupancy(self) -> float | None:
        return self.booked_minutes / self.open_spot_minutes if self.open_spot_minutes else None


@dataclass(slots=True)
class Revenue:
    premise_id: int | None  # None: every premise (owners)
    name: str  # the premise's ("" for all)
    timezone: str  # the zone the period's days are in
    period: Period
    first: date
    last: date
    starts_at: datetime  # UTC bounds of the period: [starts_at, ends_at)
    ends_at: datetime
    currencies: list[CurrencyTotals]  # by currency code
    premises: list[PremiseRevenue]  # by name
    days: list[DayRevenue]
    refunds_pending: dict[str, int]  # card refunds owed and not done yet, by currency (now)

    @property
    def bookings(self) -> int:
        return sum(p.bookings for p in self.premises)

    @property
    def average_stay_minutes(self) -> int | None:
        return round(sum(p.stay_minutes for p in self.premises) / self.bookings) if self.bookings else None

    @property
    def occupancy(self) -> float | None:
        open_minutes = sum(p.open_spot_minutes for p in self.premises)
        return sum(p.booked_minutes for p in self.premises) / open_minutes if open_minutes else None


def _bucket(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the local day a UTC time falls in (bounds: the days' midnights, and the end),
    as SQL both backends run; a CASE per day (at most MAX_DAYS)."""
    return case(*((column < bound, n) for n, bound in enumerate(bounds[1:])), else_=len(bounds) - 1)


def _least(value: ColumnElement[Any], bound: float) -> ColumnElement[Any]:
    # CASE, not least()/min(): PostgreSQL and SQLite name that function differently.
    return case((value < bound, value), else_=bound)


def _greatest(value: ColumnElement[Any], bound: float) -> ColumnElement[Any]:
    return case((value > bound, value), else_=bound)


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def _overlap(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(end, hi) - max(start, lo)).total_seconds())


def decimal_amount(amount: int, currency: str) -> str:
    """`-12.50`: minor units as a decimal, no currency (the CSV has its own column)."""
    exp = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def open_periods(
    hours_text: str, timezone: str, lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """When the premise was open within [lo, hi), from its opening hours (unreadable: never)."""
    try:
        hours = opening_hours.parse(hours_text)
    except ValueError:
        return []
    if hours.always:
        return [(lo, hi)]
    tz = ZoneInfo(timezone)
    periods = hours.periods(tz, lo.astimezone(tz).date() - timedelta(days=2), hi.astimezone(tz).date())
    return [(max(s, lo), min(e, hi)) for s, e in periods if s < hi and e > lo]


class RevenueUseCases(AdminUseCases):
    """The Revenue screen and its CSV; the pattern's helpers come from AdminUseCases."""

    async def revenue(
        self,
        actor_id: int,
        premise_id: int | None,
        period: Period,
        first: date | None = None,
        last: date | None = None,
    ) -> Revenue:
        """The figures of the period (None: every premise, owners only); refused and audited
        when the caller may not see them."""
        async with self._view(actor_id, premise_id, Permission.VIEW_REVENUE, "revenue.view") as (s, _):
            return await self._report(s, premise_id, period, first, last)

    async def revenue_csv(
        self,
        actor_id: int,
        premise_id: int | None,
        period: Period,
        first: date | None = None,
        last: date | None = None,
    ) -> tuple[Revenue, bytes]:
        """The period's payments and refunds, one row each (refunds negative), oldest first: the
        rows' amounts add up to the report's net per currency. The export is audited."""
        async with self._action(actor_id, premise_id, Permission.VIEW_REVENUE, "revenue.export") as (
            s,
            audit,
        ):
            report = await self._report(s, premise_id, period, first, last)
            rows = await self._ledger_rows(s, premise_id, report)
            audit.after = {
                "first": report.first.isoformat(),
                "last": report.last.isoformat(),
                "rows": len(rows),
            }
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
        return report, out.getvalue().encode("utf-8")

    # ------------------------------------------------------------------ the figures
    async def _zone(self, s: AsyncSession, premise_id: int | None) -> tuple[str, str]:
        """(name, zone) of the report: the premise's, or the zone all premises share, or the
        console's."""
        if premise_id is not None:
            premise = await s.get(Premise, premise_id)
            assert premise is not None  # _view checked it
            return premise.name, premise.timezone
        zones = list(await s.scalars(select(Premise.timezone).distinct().limit(2)))
        return "", zones[0] if len(zones) == 1 else self.settings.timezone

    async def _report(
        self, s: AsyncSession, premise_id: int | None, period: Period, first: date | None, last: date | None
    ) -> Revenue:
        name, zone = await self._zone(s, premise_id)
        tz = ZoneInfo(zone)
        today = self.clock.now().astimezone(tz).date()
        first, last = period_days(period, today, first, last)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        bounds = [local_midnight(d, tz) for d in [*days, last + timedelta(days=1)]]
        report = Revenue(
            premise_id=premise_id,
            name=name,
            timezone=zone,
            period=period,
            first=first,
            last=last,
            starts_at=bounds[0],
            ends_at=bounds[-1],
            currencies=[],
            premises=[],
            days=[DayRevenue(d) for d in days],
            refunds_pending={},
        )
        premises = await self._premises(s, premise_id)
        await self._money(s, premise_id, bounds, report, premises)
        await self._booked(s, premise_id, bounds, report, premises)
        report.premises = sorted(premises.values(), key=lambda p: (p.name, p.premise_id))
        return report

    @staticmethod
    async def _premises(s: AsyncSession, premise_id: int | None) -> dict[int, PremiseRevenue]:
        spots = func.count(Spot.id)
        query = (
            select(Premise.id, Premise.name, Premise.timezone, spots)
            .outerjoin(Spot, Spot.premise_id == Premise.id)
            .group_by(Premise.id, Premise.name, Premise.timezone)
        )
        if premise_id is not None:
            query = query.where(Premise.id == premise_id)
        rows = await s.execute(query)
        return {pid: PremiseRevenue(pid, name, tz, int(n)) for pid, name, tz, n in rows.tuples()}

    @staticmethod
    def _scoped(query: Any, premise_id: int | None) -> Any:
        query = query.join(Reservation, Reservation.id == Payment.reservation_id).join(
            Spot, Spot.id == Reservation.spot_id
        )
        return query.where(Spot.premise_id == premise_id) if premise_id is not None else query

    async def _money(
        self,
        s: AsyncSession,
        premise_id: int | None,
        bounds: list[datetime],
        report: Revenue,
        premises: dict[int, PremiseRevenue],
    ) -> None:
        starts_at, ends_at = bounds[0], bounds[-1]
        currencies: dict[str, CurrencyTotals] = {}
        # (time column, amount column, extra condition) of what came in and what went back.
        kinds = (
            ("gross", Payment.succeeded_at, Payment.amount, Payment.amount > 0),
            ("refunds", Payment.refunded_at, Payment.refunded_amount, Payment.refunded_amount > 0),
        )
        for kind, at, amount, condition in kinds:
            inner = self._scoped(
                select(
                    Spot.premise_id.label("premise_id"),
                    Payment.currency.label("currency"),
                    Payment.method.label("method"),
                    _bucket(at, bounds).label("day"),
                    amount.label("amount"),
                ),
                premise_id,
            ).where(
                Payment.purpose.in_(EARNING),
                Payment.status.in_(TOOK_MONEY),
                Payment.succeeded_at.is_not(None),
                at >= starts_at,
                at < ends_at,
                condition,
            )
            sub = inner.subquery()
            rows = await s.execute(
                select(
                    sub.c.premise_id,
                    sub.c.currency,
                    sub.c.method,
                    sub.c.day,
                    func.count(),
                    func.sum(sub.c.amount),
                ).group_by(sub.c.premise_id, sub.c.currency, sub.c.method, sub.c.day)
            )
            for pid, currency, method, day, count, total in rows.tuples():
                total = int(total or 0)
                method_name = PaymentMethodKind(method).value
                for totals in (
                    currencies.setdefault(currency, CurrencyTotals(currency)),
                    premises[pid].money.setdefault(currency, CurrencyTotals(currency)),
                ):
                    by_method = totals.by_method.setdefault(method_name, MethodTotals())
                    if kind == "gross":
                        totals.gross += total
                        totals.payments += int(count)
                        by_method.gross += total
                    else:
                        totals.refunds += total
                        totals.refund_count += int(count)
                        by_method.refunds += total
                figures = report.days[int(day)]
                target = figures.gross if kind == "gross" else figures.refunds
                target[currency] = target.get(currency, 0) + total
        report.currencies = [currencies[c] for c in sorted(currencies)]
        pending = await s.execute(
            self._scoped(
                select(Payment.currency, func.sum(Payment.amount - Payment.refunded_amount)),
                premise_id,
            )
            .where(Payment.status == PaymentStatus.REFUND_PENDING, Payment.purpose.in_(EARNING))
            .group_by(Payment.currency)
        )
        report.refunds_pending = {c: int(n) for c, n in pending.tuples() if n}

    async def _booked(
        self,
        s: AsyncSession,
        premise_id: int | None,
        bounds: list[datetime],
        report: Revenue,
        premises: dict[int, PremiseRevenue],
    ) -> None:
        starts_at, ends_at = bounds[0], bounds[-1]
        # Summed in SQL, per premise: the bookings starting in the period and their length, and
        # each day's booked seconds (a stay's overlap with the day; a CASE per day, like the
        # money). Seconds since the epoch on both backends: SQLite's strftime('%s'), PostgreSQL's
        # EXTRACT(EPOCH ...).
        start_s, end_s = extract("epoch", Reservation.starts_at), extract("epoch", Reservation.ends_at)
        starting = Reservation.starts_at >= starts_at
        days = [
            func.sum(
                case(
                    (
                        and_(Reservation.starts_at < hi, Reservation.ends_at > lo),
                        _least(end_s, hi.timestamp()) - _greatest(start_s, lo.timestamp()),
                    ),
                    else_=0,
                )
            )
            for lo, hi in itertools.pairwise(bounds)
        ]
        query = (
            select(
                Spot.premise_id,
                func.sum(case((starting, 1), else_=0)),
                func.sum(case((starting, end_s - start_s), else_=0)),
                *days,
            )
            .join(Spot, Spot.id == Reservation.spot_id)
            .where(
                Reservation.status.in_(BOOKED),
                Reservation.starts_at < ends_at,
                Reservation.ends_at > starts_at,
            )
            .group_by(Spot.premise_id)
        )
        if premise_id is not None:
            query = query.where(Spot.premise_id == premise_id)
        day_seconds: list[float] = [0.0] * len(report.days)
        for pid, count, stay, *per_day in (await s.execute(query)).tuples():
            premise = premises[pid]
            premise.bookings = int(count or 0)
            premise.stay_minutes = _minutes(float(stay or 0))
            premise.booked_minutes = _minutes(sum(float(v or 0) for v in per_day))
            for n, seconds in enumerate(per_day):
                day_seconds[n] += float(seconds or 0)
        for n, seconds in enumerate(day_seconds):
            report.days[n].booked_minutes = _minutes(seconds)
        found = await s.execute(
            select(Premise.id, Premise.opening_hours).where(Premise.id.in_(list(premises)))
        )
        hours = {pid: text for pid, text in found.tuples()}
        open_days: list[float] = [0.0] * len(report.days)
        for premise in premises.values():
            if not premise.spots:
                continue
            periods = open_periods(hours[premise.premise_id], premise.timezone, starts_at, ends_at)
            premise.open_spot_minutes = premise.spots * _minutes(
                sum((e - s_).total_seconds() for s_, e in periods)
            )
            for lo, hi in periods:
                n = max(0, _day_index(bounds, lo))
                while n < len(report.days) and bounds[n] < hi:
                    open_days[n] += premise.spots * _overlap(lo, hi, bounds[n], bounds[n + 1])
                    n += 1
        for n, seconds in enumerate(open_days):
            report.days[n].open_spot_minutes = _minutes(seconds)

    # ------------------------------------------------------------------ the CSV
    async def _ledger_rows(
        self, s: AsyncSession, premise_id: int | None, report: Revenue
    ) -> list[list[object]]:
        columns = (
            Payment.id,
            Payment.reservation_id,
            Spot.premise_id,
            Premise.name,
            Premise.timezone,
            Payment.purpose,
            Payment.method,
            Payment.currency,
            Payment.status,
        )
        found: list[tuple[datetime, int, int, list[object]]] = []
        kinds = (
            ("payment", Payment.succeeded_at, Payment.amount, 1),
            ("refund", Payment.refunded_at, Payment.refunded_amount, -1),
        )
        for kind, at, amount, sign in kinds:
            query = (
                self._scoped(select(at, amount, *columns), premise_id)
                .join(Premise, Premise.id == Spot.premise_id)
                .where(
                    Payment.purpose.in_(EARNING),
                    Payment.status.in_(TOOK_MONEY),
                    Payment.succeeded_at.is_not(None),
                    at >= report.starts_at,
                    at < report.ends_at,
                    amount > 0,
                )
            )
            for when, value, pay_id, booking_id, pid, name, zone, purpose, method, currency, status in (
                await s.execute(query)
            ).tuples():
                signed = sign * int(value)
                row: list[object] = [
                    kind,
                    when.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"),
                    zone,
                    pay_id,
                    "" if booking_id is None else booking_id,
                    pid,
                    csv_cell(name),
                    PaymentPurpose(purpose).value,
                    PaymentMethodKind(method).value,
                    currency,
                    signed,
                    decimal_amount(signed, currency),
                    PaymentStatus(status).value,
                ]
                found.append((when, 0 if kind == "payment" else 1, pay_id, row))
        found.sort(key=lambda item: item[:3])
        return [row for *_, row in found]


def _day_index(bounds: list[datetime], moment: datetime) -> int:
    """The day `moment` falls in (-1 before the first; may be past the last)."""
    lo, hi = 0, len(bounds) - 1
    if moment < bounds[0]:
        return -1
    while lo < hi:  # the last bound <= moment
        mid = (lo + hi + 1) // 2
        if bounds[mid] <= moment:
            lo = mid
        else:
            hi = mid - 1
    return lo
