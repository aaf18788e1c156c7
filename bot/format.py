"""How values look to a driver: money, local times, distances, durations, features."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import Raw, tr
from core.features import FEATURES
from core.money import Money
from core.pricing import LineKind, PeriodRate, PriceLine

if TYPE_CHECKING:
    from core.usecases.spots import AffectedBooking


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def refund(lang: str, wallet: int, card: int, currency: str, *, done: bool = False) -> Raw:
    """Where a cancelled booking's money goes: the wallet part (`done`: already credited) and
    the card part, or that nothing was paid. The same words on the cancel screen and in the
    cancellation message."""
    parts = []
    if wallet:
        key = "cancel.done_wallet" if done else "cancel.refund_wallet"
        parts.append(tr(lang, key, amount=money(wallet, currency)))
    if card:
        parts.append(tr(lang, "cancel.refund_card", amount=money(card, currency)))
    return Raw(" ".join(parts) or tr(lang, "cancel.refund_none"))


def local(when: datetime, tz: str) -> datetime:
    return when.astimezone(ZoneInfo(tz))


def day(lang: str, when: date | datetime) -> str:
    """`Sat 21 Nov` / `Сб 21 лист` in the user's language."""
    weekdays, months = tr(lang, "date.weekdays").split(), tr(lang, "date.months").split()
    return f"{weekdays[when.weekday()]} {when.day:02d} {months[when.month - 1]}"


def stamp(lang: str, when: datetime, tz: str) -> str:
    """`21 Nov 11:10`: compact, for lists of past events."""
    moment = local(when, tz)
    return f"{moment.day:02d} {tr(lang, 'date.months').split()[moment.month - 1]} {moment:%H:%M}"


def window(starts_at: datetime, ends_at: datetime, tz: str, lang: str = "en") -> str:
    """`Sat 21 Nov 10:00–12:00` in the premise's time zone (the end's date when it differs)."""
    start, end = local(starts_at, tz), local(ends_at, tz)
    end_text = end.strftime("%H:%M") if end.date() == start.date() else f"{day(lang, end)} {end:%H:%M}"
    return f"{day(lang, start)} {start:%H:%M}–{end_text}"


def clock_time(when: datetime, tz: str) -> str:
    return local(when, tz).strftime("%H:%M")


def distance(lang: str, metres: int) -> str:
    """`222 m`, `1.5 km`, `10 km` (`м`/`км` in Ukrainian): whole kilometres without `.0`."""
    if metres < 1000:
        return tr(lang, "distance.m", value=str(metres))
    km = round(metres / 1000, 1)
    return tr(lang, "distance.km", value=f"{km:g}" if km >= 10 or km.is_integer() else f"{km:.1f}")


def duration(lang: str, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return tr(lang, "duration.minutes", minutes=rest)
    if not rest:
        return tr(lang, "duration.hours", hours=hours)
    return tr(lang, "duration.hm", hours=hours, minutes=rest)


def features(lang: str, names: list[str]) -> Raw:
    # Only the features the product knows (core/features.py): a name written into the table by
    # hand or by an older version would otherwise break the car park's card (no text for it).
    return Raw(" · ".join(tr(lang, f"feature.{name}") for name in names if name in FEATURES))


def feature_icons(names: list[str]) -> str:
    icons = {
        "covered": "🏠",
        "ev_charging": "⚡",
        "cctv": "📹",
        "24_7": "🕐",
        "accessible": "♿",
        "guarded": "💂",
    }
    return "".join(icons.get(n, "") for n in names)


def parse_duration(text: str) -> int | None:
    """`2`, `1:30`, `1.5`, `90m` → minutes; None if it is not a duration."""
    cleaned = text.strip().lower().replace(",", ".").replace("h", "").replace("год", "")
    try:
        if cleaned.endswith("m"):
            return int(cleaned[:-1])
        if ":" in cleaned:
            hours, _, minutes = cleaned.partition(":")
            return int(hours) * 60 + int(minutes)
        value = float(cleaned)
    except ValueError:
        return None
    total = value * 60
    return int(total) if total.is_integer() else None


def _days(lang: str, days: frozenset[int]) -> str:
    """`Sat–Sun`, `Mon–Fri`, `Mon, Wed`; nothing for every day."""
    if len(days) == 7:
        return ""
    names = tr(lang, "date.weekdays").split()
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs)


def period(lang: str, rate: PeriodRate) -> str:
    """When a time-of-day or weekday rate applies: `Sat–Sun`, `22:00–07:00`, `Fri 22:00–07:00`."""
    hours = "" if rate.start == rate.end else f"{rate.start:%H:%M}–{rate.end:%H:%M}"
    return " ".join(part for part in (_days(lang, rate.days), hours) if part)


def price_lines(lang: str, lines: tuple[PriceLine, ...], currency: str) -> Raw:
    """A price's line items in one line: `1st hour 3.00 EUR · 2 h × 2.00 EUR · daily cap applied`."""
    out: list[str] = []
    for line in lines:
        rate = money(line.per_hour, currency)
        if line.kind == LineKind.FIRST_HOUR:
            out.append(
                tr(
                    lang,
                    "price.line_first_hour",
                    minutes=line.minutes,
                    duration=duration(lang, line.minutes),
                    amount=money(line.amount, currency),
                )
            )
        elif line.kind == LineKind.CAP:
            out.append(tr(lang, "price.line_cap", cap=rate))
        elif line.period is not None:
            when = period(lang, line.period)
            out.append(
                tr(lang, "price.line_period", when=when, duration=duration(lang, line.minutes), rate=rate)
            )
        else:
            out.append(tr(lang, "price.line_base", duration=duration(lang, line.minutes), rate=rate))
    return Raw(" · ".join(out))


def price_rate(lang: str, lines: tuple[PriceLine, ...], currency: str) -> Raw:
    """What goes beside a total: the hourly rate when one rate made it (`2.00 EUR/h`, as before
    rate plans), else its line items."""
    if len(lines) == 1:
        return tr(lang, "price.per_hour", price=money(lines[0].per_hour, currency))
    return price_lines(lang, lines, currency)


def audit_action(lang: str, action: str) -> Raw:
    """An audit action (`operator.edit.vat_rate`) as staff read it ("Edit operator & VAT:
    vat_rate"); one the texts do not know yet is shown as it is stored."""
    parts = action.split(".")
    return tr(lang, "admin.audit_action", action="_".join(parts[:2]), detail=".".join(parts[2:]), raw=action)


def booking_lines(lang: str, bookings: Sequence[AffectedBooking], tz: str) -> Raw:
    """The console's list of bookings a change touches (a closed spot, a deactivated car
    park): one line each, every line after a line break."""
    return Raw(
        "".join(
            "\n"
            + tr(
                lang,
                "admin.spot_booking_line",
                id=b.reservation_id,
                # The plate beside the driver: what an attendant at the gate looks for.
                driver=f"{b.driver} · 🚗 {b.plate}" if b.plate else b.driver,
                window=window(b.starts_at, b.ends_at, tz, lang),
                status=tr(lang, f"status.{b.status.value}"),
            )
            for b in bookings
        )
    )
