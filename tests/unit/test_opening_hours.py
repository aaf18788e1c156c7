"""Opening hours: the format, and which stays lie within them (midnight and DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.opening_hours import is_open, open_starts, parse
from tests.conftest import T0

KYIV = "Europe/Kyiv"


def _local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(KYIV)).astimezone(UTC)


def _open(hours: str, start: datetime, minutes: int) -> bool:
    return is_open(hours, KYIV, start, start + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    "text",
    ["24/7", "06:00–23:00", "Mon–Sat 07:00–21:00", "Mo-Fr 08:00-12:00, 13:00-18:00; Sa 09:00-14:00",
     "Fri–Mon 22:00–02:00", "00:00-24:00", "Sat, Sun 10:00—16:00"],
)  # fmt: skip
def test_the_formats_operators_write_are_read(text: str) -> None:
    parse(text)


@pytest.mark.parametrize("text", ["", "always", "25:00–26:00", "Mon 07:00", "Funday 07:00–09:00", "7–21"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse(text)
    assert not _open(text, T0, 60)  # and a premise with such hours takes no bookings


def test_daily_hours() -> None:
    assert _open("06:00–23:00", _local(2026, 11, 22, 6), 17 * 60)
    assert not _open("06:00–23:00", _local(2026, 11, 22, 3, 47), 60)  # the 03:47
    assert not _open("06:00–23:00", _local(2026, 11, 22, 5, 45), 30)  # starts before opening
    assert not _open("06:00–23:00", _local(2026, 11, 22, 22, 30), 60)  # runs past closing
    assert not _open("06:00–23:00", _local(2026, 11, 22, 22), 24 * 60)  # through the night


def test_weekdays() -> None:
    assert _open("Mon–Sat 07:00–21:00", _local(2026, 11, 21, 10), 60)  # Saturday
    assert not _open("Mon–Sat 07:00–21:00", _local(2026, 11, 22, 10), 60)  # Sunday
    assert _open("Mon–Sat 07:00–21:00", _local(2026, 11, 23, 7), 14 * 60)  # Monday, all day


def test_periods_past_midnight_and_back_to_back_ones() -> None:
    night = "Fri, Sat 20:00–02:00"
    assert _open(night, _local(2026, 11, 20, 23), 180)  # Friday night into Saturday
    assert not _open(night, _local(2026, 11, 22, 23), 60)  # Sunday night: closed
    assert not _open(night, _local(2026, 11, 21, 1), 90)  # Saturday 01:00–02:30: past 02:00
    joined = "Mon–Sun 18:00–24:00; Mon–Sun 00:00–08:00"
    assert _open(joined, _local(2026, 11, 21, 22), 8 * 60)


def test_dst_days_count_real_time() -> None:
    # Kyiv, 29 March 2026: 03:00 EET becomes 04:00 EEST, so 22:00–06:00 lasts 7 hours.
    night = "22:00–06:00"
    assert _open(night, _local(2026, 3, 28, 22), 7 * 60)
    assert not _open(night, _local(2026, 3, 28, 22), 7 * 60 + 15)
    # 25 October 2026: 04:00 EEST becomes 03:00 EET, so the same night lasts 9 hours.
    assert _open(night, _local(2026, 10, 24, 22), 9 * 60)
    assert not _open(night, _local(2026, 10, 24, 22), 9 * 60 + 15)
    # An opening time the clock skips takes effect when it jumps (04:00 EEST).
    assert _open("03:30–10:00", _local(2026, 3, 29, 4), 60)


def test_a_picker_offers_only_starts_whose_whole_stay_fits() -> None:
    starts = open_starts("Mon–Sat 07:00–21:00", KYIV, date(2026, 11, 23), 11 * 60, after=T0, step_minutes=15)
    from zoneinfo import ZoneInfo

    shown = [s.astimezone(ZoneInfo(KYIV)).strftime("%H:%M") for s in starts]
    assert shown[0] == "07:00" and shown[-1] == "10:00" and len(shown) == 13
    assert open_starts("Mon–Sat 07:00–21:00", KYIV, date(2026, 11, 22), 60, after=T0, step_minutes=15) == []
    dst_day = open_starts(
        "24/7", KYIV, date(2026, 3, 29), 60, after=T0 - timedelta(days=365), step_minutes=15
    )
    assert len(dst_day) == 92  # a 23-hour day
