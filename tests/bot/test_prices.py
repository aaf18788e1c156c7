"""Prices with a rate plan on the driver's screens: the quote and the booking show the line
items when more than one rate made the price (a plain hourly price shows as before: see
test_book.py and the screen catalogue).

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from bot.context import Services
from core.clock import ManualClock
from core.models import Reservation
from core.pricing import PeriodRate, RatePlan
from tests.bot.dialog_support import Driver
from tests.bot.screens import HERE, KYIV, add_premise, add_user, book_and_pay

NIGHT = PeriodRate(frozenset(range(7)), time(22, 0), time(7, 0), 100)
PLAN = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, daily_cap=2000, periods=(NIGHT,))


async def test_the_quote_shows_its_line_items(driver: Driver, services: Services) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    await services.pricing.set_plan(premise_id, PLAN)
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))
    # The card's duration buttons already carry the plan's totals.
    assert driver.layout[:3] == [
        ["1 h · 3.00 EUR", "2 h · 5.00 EUR"],
        ["3 h · 7.00 EUR", "4 h · 9.00 EUR"],
        ["8 h · 17.00 EUR"],
    ]
    await driver.tap("2 h · 5.00 EUR")
    assert driver.text == (
        "<b>Central Garage</b>\n📍 1 Test Street\n🕒 Sat 21 Nov 11:00–13:00\n⏱ 2 h\n\n"
        "Total: <b>5.00 EUR</b> (1st hour 3.00 EUR · 1 h × 2.00 EUR)\n2 free"
    )
    assert driver.layout == [
        ["✅ Hold the spot (5.00 EUR)"],
        ["🚗 Add a number plate (optional)"],
        ["⬅️ Back"],
    ]


async def test_a_booking_shows_its_line_items_and_the_cap(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    await services.pricing.set_plan(premise_id, PLAN)
    tonight = datetime(2026, 11, 21, 20, 0, tzinfo=KYIV)
    reservation_id = await book_and_pay(services, user_id, premise_id, tonight, 24 * 60)
    details = await services.booking.details(user_id=user_id, reservation_id=reservation_id)
    assert details.reservation.price == 2000
    await driver.send("/bookings")
    await driver.tap(driver.label_starting("Sat 21 Nov 20:00"))
    assert driver.text == (
        f"<b>Booking #{reservation_id}</b> · ✅ confirmed\nCentral Garage, spot A1\n📍 1 Test Street\n"
        "🕒 Sat 21 Nov 20:00–Sun 22 Nov 20:00\n"
        "💶 20.00 EUR (1st hour 3.00 EUR · 14 h × 2.00 EUR · 22:00–07:00: 9 h × 1.00 EUR · "
        "daily cap 20.00 EUR applied)\n"
        "• wallet: 20.00 EUR — paid"
    )


async def test_line_items_in_ukrainian(driver: Driver, services: Services) -> None:
    await add_user(services, language="uk")
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    weekend = PeriodRate(frozenset({5, 6}), time(0, 0), time(0, 0), 150)
    await services.pricing.set_plan(
        premise_id, RatePlan(base_per_hour=200, currency="EUR", periods=(weekend,))
    )
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))
    await driver.tap("2 год · 3.00 EUR")
    # Saturday: the weekend rate alone made the price, so the screen shows that rate per hour.
    assert "Разом: <b>3.00 EUR</b> (1.50 EUR/год)" in driver.text


def test_line_items_name_the_days_and_hours_of_a_period() -> None:
    from bot import format as fmt
    from core.pricing import price_stay

    weekend_nights = PeriodRate(frozenset({4, 5}), time(22, 0), time(7, 0), 100)
    plan = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, periods=(weekend_nights,))
    friday = datetime(2026, 11, 20, 21, 0, tzinfo=KYIV)
    priced = price_stay(plan, friday, datetime(2026, 11, 21, 0, 30, tzinfo=KYIV), KYIV)
    assert (
        fmt.price_lines("en", priced.lines, "EUR")
        == "1st hour 3.00 EUR · Fri–Sat 22:00–07:00: 2 h 30 min × 1.00 EUR"
    )
    assert fmt.price_lines("uk", priced.lines, "EUR") == (
        "1-ша година 3.00 EUR · Пт–Сб 22:00–07:00: 2 год 30 хв × 1.00 EUR"
    )
    half = price_stay(plan, friday, datetime(2026, 11, 20, 21, 30, tzinfo=KYIV), KYIV)
    assert fmt.price_lines("en", half.lines, "EUR") == "1st hour (30 min) 1.50 EUR"


async def test_a_price_changed_after_the_quote_holds_nothing_and_shows_the_new_total(
    driver: Driver, services: Services
) -> None:
    """The total on "Hold the spot" is what the driver agrees to: if the rates change between
    the quote and the tap, nothing is held at the new price; the alert gives it and the quote
    is drawn again with it, and the next tap holds at what is now shown."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))
    await driver.tap("2 h · 5.00 EUR")
    assert driver.layout[0] == ["✅ Hold the spot (5.00 EUR)"]
    # The operator raises the rate while the quote is on the driver's screen.
    await services.pricing.set_plan(premise_id, RatePlan(base_per_hour=300, currency="EUR"))
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    assert driver.bot.alerts()[-1] == (
        "The price is now 6.00 EUR: the rates changed since this screen was drawn. "
        "Nothing is held: check the new total and tap Hold again."
    )
    assert await _holds(services, user_id) == []
    assert "Total: <b>6.00 EUR</b>" in driver.text
    assert driver.layout[0] == ["✅ Hold the spot (6.00 EUR)"]
    await driver.tap("✅ Hold the spot (6.00 EUR)")
    assert await _holds(services, user_id) == [600]


async def _holds(services: Services, user_id: int) -> list[int]:
    async with services.db.read() as s:
        return list(await s.scalars(select(Reservation.price).where(Reservation.user_id == user_id)))
