"""Opening hours of a premise (`premises.opening_hours`): when a stay may start and run.

The text operators write (the demo data uses it) is `24/7`, or rules separated by `;`, each an
optional list of days followed by one or more time ranges:

    06:00–23:00                          every day
    Mon–Sat 07:00–21:00                  closed on Sundays
    Mon–Fri 07:00–19:00; Sat, Sun 09:00–14:00
    Mon–Fri 08:00–12:00, 13:00–18:00     closed over lunch
    Fri, Sat 18:00–02:00                 past midnight: until 02:00 the next morning

Days are Mon…Sun (or Mo…Su); a range may wrap (Fri–Mon); `-`, `–` and `—` are all dashes.
Times are wall-clock times in the premise's time zone; `24:00` is midnight at the end of the
day, and a closing time at or before the opening time runs into the next day. Rules add up,
and back-to-back periods (…–24:00 then 00:00–…) are one. On a daylight-saving day the zone's
own rules convert each time: an opening time the spring change skips takes effect when the
clock jumps past it; one repeated in autumn means its first occurrence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.errors import ClosedAtThatTime

if TYPE_CHECKING:
    from core.models import Premise

log = logging.getLogger(__name__)

ALWAYS_OPEN = "24/7"
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAYS = {name: n for n, name in enumerate(_DAY_NAMES)} | {name[:2]: n for n, name in enumerate(_DAY_NAMES)}
_DASH = "[-–—]"
_RANGE = re.compile(rf"(\d{{1,2}}):(\d{{2}})\s*{_DASH}\s*(\d{{1,2}}):(\d{{2}})")
_DAYS_PREFIX = re.compile(r"([A-Za-z][A-Za-z,\s\-–—]*?)\s+(?=\d)")
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class _Rule:
    days: frozenset[int]  # weekdays the period opens on, Monday = 0
    opens: int  # minutes after the opening day's midnight
    closes: int  # minutes after the opening day's midnight; > opens, at most a day later


@dataclass(frozen=True, slots=True)
class OpeningHours:
    always: bool
    rules: tuple[_Rule, ...] = ()

    def periods(self, tz: ZoneInfo, first: date, last: date) -> list[tuple[datetime, datetime]]:
        """The open periods (UTC, merged, sorted) that open on local days first…last."""
        found: list[tuple[datetime, datetime]] = []
        day = first
        while day <= last:
            for rule in self.rules:
                if day.weekday() in rule.days:
                    found.append((_utc(day, rule.opens, tz), _utc(day, rule.closes, tz)))
            day += timedelta(days=1)
        found.sort()
        merged: list[tuple[datetime, datetime]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def covers(self, tz: ZoneInfo, starts_at: datetime, ends_at: datetime) -> bool:
        """Whether [starts_at, ends_at) lies within one open period."""
        if self.always:
            return True
        # A period lasts at most a day, so one that holds the start opened at most a day before.
        first = starts_at.astimezone(tz).date() - timedelta(days=2)
        last = ends_at.astimezone(tz).date()
        return any(start <= starts_at and ends_at <= end for start, end in self.periods(tz, first, last))


def parse(text: str) -> OpeningHours:
    """Reads the format above; ValueError when it cannot."""
    cleaned = text.strip()
    if cleaned.lower() == ALWAYS_OPEN:
        return OpeningHours(always=True)
    rules: list[_Rule] = []
    for part in (p.strip() for p in cleaned.split(";")):
        if not part:
            continue
        days = frozenset(range(7))
        prefix = _DAYS_PREFIX.match(part)
        if prefix:
            days = _parse_days(prefix.group(1))
            part = part[prefix.end() :]
        for chunk in part.split(","):
            found = _RANGE.fullmatch(chunk.strip())
            if not found:
                raise ValueError(f"not a time range: {chunk.strip()[:40]!r}")
            oh, om, ch, cm = (int(g) for g in found.groups())
            if oh > 23 or om > 59 or cm > 59 or ch > 24 or (ch == 24 and cm):
                raise ValueError(f"not a time of day: {chunk.strip()[:40]!r}")
            opens, closes = oh * 60 + om, ch * 60 + cm
            rules.append(_Rule(days, opens, closes if closes > opens else closes + 24 * 60))
    if not rules:
        raise ValueError("no opening hours given")
    return OpeningHours(always=False, rules=tuple(rules))


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for item in (i.strip().lower() for i in text.split(",")):
        ends = [e.strip() for e in re.split(_DASH, item)]
        if len(ends) > 2 or any(e not in _DAYS for e in ends):
            raise ValueError(f"not a day or range of days: {item[:40]!r}")
        first, last = _DAYS[ends[0]], _DAYS[ends[-1]]
        days.update((first + n) % 7 for n in range((last - first) % 7 + 1))
    return frozenset(days)


def _utc(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The UTC moment the wall clock of `tz` shows `minutes` after midnight of `day`."""
    day += timedelta(days=minutes // (24 * 60))
    minutes %= 24 * 60
    wall = datetime.combine(day, time(minutes // 60, minutes % 60))
    moment = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first of a repeated time
    if moment.astimezone(tz).replace(tzinfo=None) == wall:
        return moment
    # Skipped by a spring change: from the offset after it, walk to where the clock jumps.
    moment = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    while moment.astimezone(tz).replace(tzinfo=None) < wall:
        moment += _MINUTE
    return moment


@lru_cache(maxsize=4096)
def _read(text: str) -> OpeningHours | None:
    try:
        return parse(text)
    except ValueError as exc:
        # Refused rather than sold: a closed car park must not be booked. Logged once per text.
        log.warning(
            "opening hours %s cannot be read (%s): the premise takes no bookings", repr(text)[:80], exc
        )
        return None


def is_open(opening_hours: str, timezone: str, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether a stay [starts_at, ends_at) lies within the opening hours (unreadable: never)."""
    hours = _read(opening_hours)
    return hours is not None and hours.covers(ZoneInfo(timezone), starts_at, ends_at)


def require_open(premise: Premise, starts_at: datetime, ends_at: datetime) -> None:
    """The rule: a stay may not start or run while the premise is closed (ClosedAtThatTime)."""
    if not is_open(premise.opening_hours, premise.timezone, starts_at, ends_at):
        raise ClosedAtThatTime(premise.id, premise.opening_hours)


def open_starts(
    opening_hours: str, timezone: str, day: date, minutes: int, *, after: datetime, step_minutes: int
) -> list[datetime]:
    """Start times on the local `day`, every `step_minutes`, later than `after`, at which a stay
    of `minutes` lies within the opening hours: what a time picker may offer."""
    hours = _read(opening_hours)
    if hours is None:
        return []
    tz = ZoneInfo(timezone)
    length = timedelta(minutes=minutes)
    periods = (
        None
        if hours.always
        else hours.periods(tz, day - timedelta(days=2), day + timedelta(days=2 + minutes // (24 * 60)))
    )
    return [
        start
        for start in _steps(day, tz, step_minutes)
        if start > after and (periods is None or any(s <= start and start + length <= e for s, e in periods))
    ]


def _steps(day: date, tz: ZoneInfo, step_minutes: int) -> Iterator[datetime]:
    """Every step of the local day as real moments (a DST day has 23 or 25 hours)."""
    moment, end = _utc(day, 0, tz), _utc(day + timedelta(days=1), 0, tz)
    while moment < end:
        yield moment
        moment += timedelta(minutes=step_minutes)


def validate(text: str) -> str:
    """For writers of `premises.opening_hours`: the text if it can be read, else ValueError."""
    parse(text)
    return text
