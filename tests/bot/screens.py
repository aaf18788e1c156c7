"""Data and navigation helpers shared by the screen tests (one file per dialog).

The data sits in a migrated SQLite file and is written through the core services.

Not covered by the screen tests: the location window (its reply keyboard is beyond
`MockMessageManager`), card payments and top-ups (Stripe); the end-to-end tests cover both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Services
from core.clock import ManualClock
from core.models import (
    Reservation,
    ReservationStatus,
    User,
    WalletTxKind,
)
from core.services import booking, wallet
from core.services import payments as pay_rules
from tests.bot.dialog_support import Driver
from tests.factories import make_premise, make_user

KYIV = ZoneInfo("Europe/Kyiv")
TG_ID = 1001
LAT, LON = 50.4501, 30.5234
HERE = f"/testfind {LAT} {LON}"
NOW_WINDOW = "Sat 21 Nov 11:00–13:00"  # the default search: now, for two hours
MENU_EN = [["🅿️ Find parking"], ["📋 My bookings", "👛 Wallet"], ["🌐 Language", "❓ Help"]]
UNKNOWN_EN = "I did not get that. Use the buttons, or /help to see what I can do."


async def add_premise(
    services: Services,
    name: str,
    *,
    north_m: float,
    price: int = 250,
    spots: int = 2,
    features: list[str] | None = None,
    description: str = "",
) -> int:
    """A car park `north_m` metres (roughly) north of the search point."""
    async with services.db.transaction() as s:
        premise = await make_premise(
            s,
            lat=LAT + north_m / 111_200,
            lon=LON,
            spots=spots,
            price_per_hour=price,
            name=name,
            features=features,
        )
        premise.description = description
        return premise.id


async def add_user(services: Services, telegram_id: int = TG_ID, language: str = "en") -> int:
    async with services.db.transaction() as s:
        return (await make_user(s, telegram_id=telegram_id, name="Olena", language=language)).id


async def user_id_of(services: Services, telegram_id: int = TG_ID) -> int:
    async with services.db.read() as s:
        found = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
    assert found is not None
    return found


async def fund(
    services: Services, user_id: int, amount: int, kind: WalletTxKind = WalletTxKind.DEPOSIT
) -> None:
    async with services.db.transaction() as s:
        await wallet.credit(s, user_id, amount, "EUR", kind=kind, reference="test", now=services.clock.now())


async def hold(services: Services, user_id: int, premise_id: int, starts_at: datetime, minutes: int) -> int:
    async with services.db.transaction() as s:
        reservation = await booking.hold(
            s,
            user_id=user_id,
            premise_id=premise_id,
            starts_at=starts_at,
            minutes=minutes,
            now=services.clock.now(),
            hold_minutes=services.settings.hold_minutes,
        )
        return reservation.id


async def book_and_pay(
    services: Services, user_id: int, premise_id: int, starts_at: datetime, minutes: int
) -> int:
    """A booking paid from the wallet (funded with exactly its price)."""
    reservation_id = await hold(services, user_id, premise_id, starts_at, minutes)
    async with services.db.read() as s:
        reservation = await s.get(Reservation, reservation_id)
        assert reservation is not None
        price = reservation.price
    await fund(services, user_id, price)
    async with services.db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(
            s, reservation_id=reservation_id, user_id=user_id, now=services.clock.now()
        )
    return reservation_id


async def status_of(services: Services, reservation_id: int) -> ReservationStatus:
    async with services.db.read() as s:
        reservation = await s.get(Reservation, reservation_id)
    assert reservation is not None
    return reservation.status


async def balance_of(services: Services, user_id: int) -> int:
    async with services.db.read() as s:
        return await wallet.balance(s, user_id, "EUR")


def tomorrow_at(clock: ManualClock, hour: int) -> datetime:
    day = (clock.now().astimezone(KYIV) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=KYIV).astimezone(UTC)


# The calendar's month names as a driver reads them (written out here, not taken from the
# bot's texts or from strftime, whose names follow the process's locale).
MONTH_NAMES = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "uk": ["Січень", "Лютий", "Березень", "Квітень", "Травень", "Червень", "Липень", "Серпень", "Вересень",
           "Жовтень", "Листопад", "Грудень"],
}  # fmt: skip


def month_label(day: date, lang: str = "en") -> str:
    """How the calendar names the month of `day`: `November 2026`, `Листопад 2026`."""
    return f"{MONTH_NAMES[lang][day.month - 1]} {day.year}"


async def open_month(driver: Driver, day: date, lang: str = "en") -> None:
    """Leafs the calendar (which opens on the real month) to the month of `day`."""
    wanted = f"🗓 {month_label(day, lang)}"
    for _ in range(60):
        header = driver.layout[0][0]
        if header == wanted:
            return
        name, year = header.removeprefix("🗓 ").split()
        shown = date(int(year), MONTH_NAMES[lang].index(name) + 1, 1)
        if shown < day.replace(day=1):
            await driver.tap(
                driver.label_starting(month_label(shown.replace(day=28) + timedelta(days=4), lang))
            )
        else:
            await driver.tap(driver.label_starting("<< "))
    raise AssertionError(f"the calendar never showed {wanted}")


async def tap_day(driver: Driver, day: date, lang: str = "en") -> None:
    await open_month(driver, day, lang)
    plain, today = f"{day:%d}", f"[ {day:%d} ]"  # the real today is marked
    await driver.tap(plain if plain in driver.labels else today)


async def complete_a_stay(services: Services, clock: ManualClock, user_id: int, premise_id: int) -> int:
    """An hour's stay from now, paid, arrived at and over (the clock moves past it)."""
    start = clock.now().replace(second=0, microsecond=0)
    reservation_id = await book_and_pay(services, user_id, premise_id, start, 60)
    async with services.db.transaction() as s:
        await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())
    clock.advance(timedelta(minutes=61))
    async with services.db.transaction() as s:
        await booking.complete_due(s, clock.now())
    return reservation_id
