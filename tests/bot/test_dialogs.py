"""Every screen of the bot, through aiogram-dialog's test tools (see dialog_support.py).

What is asserted is what the driver sees: the texts and button labels of the windows, the
plain messages and the callback alerts. The data sits in a migrated SQLite file and is
written through the core services. The texts below are written for the `clock` fixture's
moment: Saturday 21 November 2026, 09:00 UTC, which is 11:00 in Kyiv (the bot's time zone).

Not here: the location window (its reply keyboard is beyond `MockMessageManager`), card
payments and top-ups (Stripe); the end-to-end tests cover both.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.callbacks import BookingAction
from bot.context import Services
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import (
    Premise,
    Reservation,
    ReservationStatus,
    Review,
    SavedPaymentMethod,
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


# -- fixtures and data ----------------------------------------------------------------------


@pytest.fixture
async def services(tmp_path: Path, sqlite_template: Path, clock: ManualClock) -> AsyncIterator[Services]:
    assert clock.now() == datetime(2026, 11, 21, 9, 0, tzinfo=UTC), "the texts below are for this moment"
    path = tmp_path / "dialogs.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(
        _env_file=None,
        bot_token="1:x",
        database_url=f"sqlite+aiosqlite:///{path}",
        timezone="Europe/Kyiv",
        currency="EUR",
    )
    db = Database.from_url(settings.database_url)
    try:
        yield Services(db=db, clock=clock, settings=settings, payments=None, geocoder=None)
    finally:
        await db.dispose()


@pytest.fixture
def driver(services: Services) -> Driver:
    return Driver(services, TG_ID)


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


async def open_month(driver: Driver, day: date) -> None:
    """Leafs the calendar (which opens on the real month) to the month of `day`."""
    wanted = f"🗓 {day:%B %Y}"
    for _ in range(60):
        header = driver.layout[0][0]
        if header == wanted:
            return
        shown = datetime.strptime(header.removeprefix("🗓 "), "%B %Y").replace(tzinfo=UTC).date()
        if shown < day.replace(day=1):
            await driver.tap(driver.label_starting(f"{shown.replace(day=28) + timedelta(days=4):%B %Y}"))
        else:
            await driver.tap(driver.label_starting("<< "))
    raise AssertionError(f"the calendar never showed {wanted}")


async def tap_day(driver: Driver, day: date) -> None:
    await open_month(driver, day)
    plain, today = f"{day:%d}", f"[ {day:%d} ]"  # the real today is marked
    await driver.tap(plain if plain in driver.labels else today)


# -- menu, help, language -------------------------------------------------------------------


async def test_start_greets_the_driver_and_shows_the_menu(driver: Driver) -> None:
    await driver.send("/start")
    assert driver.bot.texts() == [
        "Hi, User_1001! 👋",
        "I find you a parking spot nearby, book it and take the payment.\n"
        "Once paid, the spot's blocker is raised and waits for you.\n"
        "When you arrive, you lower it from this chat and park.\n\n"
        "Share your phone number to get receipts and SMS updates when Telegram cannot reach you.",
    ]
    assert driver.text == "What would you like to do?"
    assert driver.layout == MENU_EN
    async with driver.services.db.read() as s:
        user = await s.scalar(select(User).where(User.telegram_id == TG_ID))
    assert user is not None and user.name == "User_1001" and user.language == "en"


async def test_a_driver_with_a_phone_is_not_asked_for_it(services: Services) -> None:
    async with services.db.transaction() as s:
        await make_user(s, telegram_id=TG_ID, phone="+380501234567")
    driver = Driver(services, TG_ID)
    await driver.send("/start")
    assert "Share your phone number" not in driver.bot.texts()[1]
    assert driver.layout == MENU_EN


async def test_help_from_the_menu_and_by_command(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("❓ Help")
    assert driver.text.startswith("<b>How it works</b>\n1. /find: share your location or type an address.")
    assert "/language: change language · /cancel: leave the current step" in driver.text
    assert driver.layout == [["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.text == "What would you like to do?"

    await driver.send("/help")
    assert driver.text.startswith("<b>How it works</b>")
    assert driver.layout == [["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.layout == MENU_EN


async def test_language_switches_to_ukrainian_and_back(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("🌐 Language")
    assert driver.text == "Choose your language:"
    assert driver.layout == [["✅ English", "Українська"], ["⬅️ Back"]]

    await driver.tap("Українська")
    assert driver.bot.callback_answers()[-1].text == "Мову змінено на українську."
    assert driver.text == "Що бажаєте зробити?"
    assert driver.layout == [
        ["🅿️ Знайти паркінг"],
        ["📋 Мої бронювання", "👛 Гаманець"],
        ["🌐 Мова", "❓ Довідка"],
    ]
    async with driver.services.db.read() as s:
        assert await s.scalar(select(User.language).where(User.telegram_id == TG_ID)) == "uk"

    await driver.tap("❓ Довідка")
    assert driver.text.startswith("<b>Як це працює</b>")
    assert driver.layout == [["⬅️ Назад"]]
    await driver.send("щось")
    assert driver.bot.texts()[-1].startswith("Я не зрозумів.")

    await driver.send("/language")
    assert driver.text == "Оберіть мову:"
    assert driver.layout == [["English", "✅ Українська"], ["⬅️ Назад"]]
    await driver.tap("English")
    assert driver.bot.callback_answers()[-1].text == "Language set to English."
    assert driver.text == "What would you like to do?"
    assert driver.layout == MENU_EN
    async with driver.services.db.read() as s:
        assert await s.scalar(select(User.language).where(User.telegram_id == TG_ID)) == "en"


async def test_menu_opens_bookings_and_wallet_and_their_menu_button_comes_back(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("📋 My bookings")
    assert driver.text.startswith("Your bookings")
    await driver.tap("🏠 Menu")
    assert driver.text == "What would you like to do?"
    await driver.tap("👛 Wallet")
    assert driver.text.startswith("👛 <b>Wallet</b>")
    await driver.tap("🏠 Menu")
    assert driver.layout == MENU_EN


@pytest.mark.parametrize(
    ("command", "label"),
    [("/wallet", "🏠 Menu"), ("/bookings", "🏠 Menu"), (HERE, "🏠 Menu"), ("/language", "⬅️ Back")],
)
async def test_leaving_a_screen_opened_by_command_shows_the_menu(
    driver: Driver, command: str, label: str
) -> None:
    await driver.send(command)
    await driver.tap(label)
    assert driver.text == "What would you like to do?"


# -- find: results, paging, filters, wider search -------------------------------------------


async def test_results_list_nearby_car_parks_with_distance_price_and_free_spots(
    driver: Driver, services: Services
) -> None:
    central = await add_premise(services, "Central Garage", north_m=222, features=["covered", "cctv"])
    await add_premise(services, "River Parking", north_m=1000, price=150, spots=1)
    await add_premise(services, "Far Away", north_m=2600)  # beyond the first 2 km
    # Someone else holds one of the two spots of Central Garage for the search's window.
    other = await add_user(services, telegram_id=2002)
    await hold(services, other, central, services.clock.now(), 60)

    await driver.send(HERE)
    assert driver.text == f"🅿️ Parking near you\n🕒 {NOW_WINDOW}"
    assert driver.layout == [
        ["Central Garage · 222 m · 2.50 EUR/h · 1 free 🏠📹"],
        ["River Parking · 1.0 km · 1.50 EUR/h · 1 free"],
        ["🕒 Change time", "⚙️ Filters"],
        ["🏠 Menu"],
    ]


async def test_a_full_car_park_is_not_listed(driver: Driver, services: Services) -> None:
    full = await add_premise(services, "Full House", north_m=300, spots=1)
    await add_premise(services, "Open Lot", north_m=600)
    other = await add_user(services, telegram_id=2002)
    await hold(services, other, full, services.clock.now(), 60)
    await driver.send(HERE)
    assert [label.split(" · ")[0] for label in driver.labels[:-3]] == ["Open Lot"]


async def test_results_come_five_to_a_page(driver: Driver, services: Services) -> None:
    for n in range(1, 8):
        await add_premise(services, f"Lot {n}", north_m=100 * n)
    await driver.send(HERE)
    names = [label.split(" · ")[0] for label in driver.labels]
    assert names[:5] == ["Lot 1", "Lot 2", "Lot 3", "Lot 4", "Lot 5"]
    assert driver.layout[5:] == [["More ▶️"], ["🕒 Change time", "⚙️ Filters"], ["🏠 Menu"]]

    await driver.tap("More ▶️")
    assert [label.split(" · ")[0] for label in driver.labels[:2]] == ["Lot 6", "Lot 7"]
    assert driver.layout[2:] == [["◀️"], ["🕒 Change time", "⚙️ Filters"], ["🏠 Menu"]]

    await driver.tap("◀️")
    assert [label.split(" · ")[0] for label in driver.labels[:5]] == [
        "Lot 1",
        "Lot 2",
        "Lot 3",
        "Lot 4",
        "Lot 5",
    ]
    assert ["More ▶️"] in driver.layout and ["◀️"] not in driver.layout


async def test_filters_by_feature_and_max_price_narrow_the_list(driver: Driver, services: Services) -> None:
    await add_premise(services, "Covered Cheap", north_m=200, price=150, features=["covered"])
    await add_premise(services, "Covered Dear", north_m=300, price=400, features=["covered", "ev_charging"])
    await add_premise(services, "Open Cheap", north_m=400, price=100)

    def names() -> list[str]:
        return [label.split(" · ")[0] for label in driver.labels if " · " in label]

    await driver.send(HERE)
    assert names() == ["Covered Cheap", "Covered Dear", "Open Cheap"]

    await driver.tap("⚙️ Filters")
    assert driver.text == "Show only car parks with:"
    assert driver.layout == [
        ["🏠 Covered"],
        ["⚡ EV charging"],
        ["📹 CCTV"],
        ["🕐 24/7"],
        ["♿ Accessible"],
        ["💂 Guarded"],
        ["✅ Any price"],
        ["Max price per hour: 1.00 EUR"],
        ["Max price per hour: 2.00 EUR"],
        ["Max price per hour: 3.00 EUR"],
        ["Max price per hour: 5.00 EUR"],
        ["✅ Show results"],
    ]
    await driver.tap("🏠 Covered")
    assert "✅ 🏠 Covered" in driver.labels
    await driver.tap("✅ Show results")
    assert driver.text.startswith("🅿️ Parking near")
    assert names() == ["Covered Cheap", "Covered Dear"]

    await driver.tap("⚙️ Filters")
    assert "✅ 🏠 Covered" in driver.labels  # the choice is kept
    await driver.tap("Max price per hour: 2.00 EUR")
    assert "✅ Max price per hour: 2.00 EUR" in driver.labels and "Any price" in driver.labels
    await driver.tap("✅ Show results")
    assert names() == ["Covered Cheap"]

    await driver.tap("⚙️ Filters")
    await driver.tap("✅ 🏠 Covered")
    await driver.tap("✅ Show results")
    assert names() == ["Covered Cheap", "Open Cheap"]

    await driver.tap("⚙️ Filters")
    await driver.tap("Max price per hour: 1.00 EUR")
    await driver.tap("⚡ EV charging")
    await driver.tap("✅ Show results")
    assert names() == []
    assert "No free parking within 2.0 km for that time." in driver.text


async def test_no_results_offers_a_wider_search(driver: Driver, services: Services) -> None:
    await add_premise(services, "Suburb Park", north_m=3000, price=100)
    await driver.send(HERE)
    assert (
        driver.text == f"🅿️ Parking near you\n🕒 {NOW_WINDOW}\n\nNo free parking within 2.0 km for that time."
    )
    assert driver.layout == [["🔎 Search within 5.0 km"], ["🕒 Change time", "⚙️ Filters"], ["🏠 Menu"]]

    await driver.tap("🔎 Search within 5.0 km")
    assert driver.text == f"🅿️ Parking near you\n🕒 {NOW_WINDOW}"
    assert driver.layout == [
        ["Suburb Park · 3.0 km · 1.00 EUR/h · 2 free"],
        ["🕒 Change time", "⚙️ Filters"],
        ["🏠 Menu"],
    ]


async def test_the_widest_search_offers_nothing_wider(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap("🔎 Search within 5.0 km")
    assert "No free parking within 5.0 km" in driver.text
    await driver.tap("🔎 Search within 10.0 km")
    assert "No free parking within 10.0 km" in driver.text
    assert driver.layout == [["🕒 Change time", "⚙️ Filters"], ["🏠 Menu"]]


# -- find: time -----------------------------------------------------------------------------


async def test_change_time_with_the_calendar_and_time_slots(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    assert driver.text == "When do you arrive?"
    assert driver.layout == [["Now", "📅 Another day"], ["⬅️ Back"]]

    await driver.tap("📅 Another day")
    tomorrow = tomorrow_at(clock, 10).astimezone(KYIV).date()
    await open_month(driver, tomorrow)
    assert driver.layout[1] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert driver.layout[-1] == ["⬅️ Back"]

    await tap_day(driver, tomorrow)
    assert driver.text == "Arrival time on Sun 22 Nov (Europe/Kyiv):"
    # Another day opens on the morning: 06:00 to 11:45, four slots a row.
    slot_rows = driver.layout[:6]
    assert slot_rows[0] == ["06:00", "06:15", "06:30", "06:45"]
    assert slot_rows[-1] == ["11:00", "11:15", "11:30", "11:45"]
    assert driver.layout[-1] == ["⬅️ Back"]

    await driver.tap("10:00")
    assert driver.text == "🅿️ Parking near you\n🕒 Sun 22 Nov 10:00–12:00"
    assert driver.labels[0].startswith("Central Garage · 222 m")

    # Back to "now".
    await driver.tap("🕒 Change time")
    await driver.tap("Now")
    assert driver.text == f"🅿️ Parking near you\n🕒 {NOW_WINDOW}"


async def test_today_offers_only_times_still_ahead(driver: Driver, clock: ManualClock) -> None:
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, clock.now().astimezone(KYIV).date())
    assert driver.text == "Arrival time on Sat 21 Nov (Europe/Kyiv):"
    assert driver.layout[0] == ["11:15", "11:30", "11:45", "12:00"]  # it is 11:00 now
    await driver.tap("12:00")
    assert (
        driver.text
        == "🅿️ Parking near you\n🕒 Sat 21 Nov 12:00–14:00\n\nNo free parking within 2.0 km for that time."
    )


async def test_a_day_out_of_range_is_refused_with_an_alert(driver: Driver, clock: ManualClock) -> None:
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, clock.now().astimezone(KYIV).date() - timedelta(days=1))
    assert driver.bot.alerts() == ["Please pick a day from today to 30 days ahead."]
    assert driver.layout[0] == ["🗓 November 2026"]  # still the calendar


# -- find: a car park's card ----------------------------------------------------------------


async def test_card_shows_price_features_rating_and_approved_reviews(
    driver: Driver, services: Services
) -> None:
    premise_id = await add_premise(
        services,
        "Central Garage",
        north_m=222,
        features=["covered", "cctv"],
        description="Entrance from the side street.",
    )
    async with services.db.transaction() as s:
        for n, (rating, text, approved) in enumerate(
            [(5, "Easy to find, friendly guard", True), (4, "", True), (1, "Terrible & rude", False)]
        ):
            reviewer = await make_user(s, telegram_id=3000 + n)
            s.add(
                Review(
                    user_id=reviewer.id,
                    premise_id=premise_id,
                    rating=rating,
                    text=text,
                    is_approved=approved,
                    created_at=services.clock.now() - timedelta(days=n + 1),
                )
            )

    await driver.send(HERE)
    assert driver.labels[0] == "Central Garage · 222 m · 2.50 EUR/h · 2 free · ⭐4.5 🏠📹"
    await driver.tap(driver.labels[0])
    assert driver.text == (
        "<b>Central Garage</b>\n📍 1 Test Street\n💶 2.50 EUR per hour\n🕐 24/7\n"
        "⭐ 4.5 (2 reviews)\n🏠 Covered · 📹 CCTV\n\nEntrance from the side street.\n\n"
        "“Easy to find, friendly guard” — ⭐⭐⭐⭐⭐"
    )
    assert driver.layout == [["✅ Book here"], ["🧭 Navigate"], ["⬅️ Back"]]

    await driver.tap("🧭 Navigate")
    (venue,) = driver.bot.venues()
    assert (venue.chat_id, venue.title, venue.address) == (TG_ID, "Central Garage", "1 Test Street")
    assert driver.text.startswith("<b>Central Garage</b>")  # the card again, below the venue

    await driver.tap("⬅️ Back")
    assert driver.text.startswith("🅿️ Parking near")


async def test_a_name_with_html_characters_is_escaped_in_texts_and_raw_on_buttons(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    premise_id = await add_premise(services, "Park & Ride <North>", north_m=222)
    await driver.send(HERE)
    # Button labels are plain text to Telegram: an entity would be shown as typed.
    assert driver.labels[0] == "Park & Ride <North> · 222 m · 2.50 EUR/h · 2 free"
    await driver.tap(driver.labels[0])
    assert driver.text.startswith("<b>Park &amp; Ride &lt;North&gt;</b>\n📍 1 Test Street")

    user_id = await user_id_of(services)
    await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    await driver.send("/bookings")
    assert driver.layout[1] == ["Sun 22 Nov 10:00–11:00 · Park & Ride <North> · ✅ confirmed"]
    await driver.tap(driver.layout[1][0])
    assert "\nPark &amp; Ride &lt;North&gt;, spot" in driver.text


async def test_card_without_reviews(driver: Driver, services: Services) -> None:
    await add_premise(services, "New Lot", north_m=500, description="Opened this week.")
    await driver.send(HERE)
    await driver.tap(driver.label_starting("New Lot"))
    assert "⭐ no reviews yet" in driver.text
    assert driver.text.endswith("Opened this week.")


# -- booking --------------------------------------------------------------------------------


async def _durations_of(driver: Driver, name: str) -> None:
    await driver.send(HERE)
    await driver.tap(driver.label_starting(name))
    await driver.tap("✅ Book here")


async def test_duration_presets_and_their_quote(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222, price=250)
    await _durations_of(driver, "Central Garage")
    assert driver.text == "How long do you stay?"
    assert driver.layout == [["1 h", "2 h", "3 h"], ["4 h", "8 h"], ["Other…"], ["⬅️ Back"]]

    await driver.tap("2 h")
    assert driver.text == (
        "<b>Central Garage</b>\n📍 1 Test Street\n🕒 Sat 21 Nov 11:00–13:00\n⏱ 2 h\n\n"
        "Total: <b>5.00 EUR</b> (2.50 EUR/h)\n2 free"
    )
    assert driver.layout == [["✅ Hold the spot (5.00 EUR)"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    await driver.tap("8 h")
    assert "⏱ 8 h" in driver.text and "Total: <b>20.00 EUR</b>" in driver.text

    # Back from the durations leads to the card.
    await driver.tap("⬅️ Back")
    await driver.tap("⬅️ Back")
    assert driver.text.startswith("<b>Central Garage</b>\n📍 1 Test Street\n💶 2.50 EUR per hour")


async def test_custom_duration_hold_and_pay_from_the_wallet(driver: Driver, services: Services) -> None:
    await add_premise(services, "Budget Garage", north_m=300, price=199)
    await _durations_of(driver, "Budget Garage")
    await driver.tap("Other…")
    assert driver.text == (
        "Type the duration in hours and minutes, e.g. 1:30 or 2 (from 0:30 to 24:00, in 15-minute steps)."
    )
    assert driver.layout == [["⬅️ Back"]]

    await driver.send("7 min")
    assert driver.bot.texts()[-1] == (
        "That does not look like a duration from 0:30 to 24:00 in 15-minute steps. Try e.g. 1:45."
    )
    assert driver.text.startswith("Type the duration")  # still asking
    await driver.send("1:20")  # not a 15-minute step
    assert driver.bot.texts()[-1].startswith("That does not look like a duration")

    await driver.send("1:30")
    # ceil(1.99 EUR × 90 / 60) = ceil(298.5 cents) = 2.99 EUR
    assert driver.text == (
        "<b>Budget Garage</b>\n📍 1 Test Street\n🕒 Sat 21 Nov 11:00–12:30\n⏱ 1 h 30 min\n\n"
        "Total: <b>2.99 EUR</b> (1.99 EUR/h)\n2 free"
    )
    assert driver.layout == [["✅ Hold the spot (2.99 EUR)"], ["⬅️ Back"]]

    user_id = await user_id_of(services)
    await fund(services, user_id, 100)
    await driver.tap("✅ Hold the spot (2.99 EUR)")
    assert driver.text == (
        "Spot <b>A1</b> at Budget Garage is held for you.\n🕒 Sat 21 Nov 11:00–12:30\n💶 <b>2.99 EUR</b>\n\n"
        "⏳ Pay within 10 min (until 11:10) or the spot is released."
    )
    # Without Stripe there is neither a saved card nor a payment page to offer.
    assert driver.layout == [["👛 Wallet: 1.00 EUR, not enough"], ["✖️ Release the spot"]]
    async with services.db.read() as s:
        (reservation,) = (await s.scalars(select(Reservation))).all()
    assert reservation.status == ReservationStatus.PENDING_PAYMENT and reservation.price == 299

    await driver.tap("👛 Wallet: 1.00 EUR, not enough")
    answer = driver.bot.callback_answers()[-1]
    assert answer.show_alert is True
    assert answer.text == (
        "Your wallet has 1.00 EUR; this booking costs 2.99 EUR. Card payments are not available here, "
        "so please ask the operator to top up your wallet."
    )
    assert await status_of(services, reservation.id) == ReservationStatus.PENDING_PAYMENT

    # Money arrives meanwhile; any message shows the screen again, now with the balance.
    await fund(services, user_id, 900)
    await driver.send("ok")
    assert driver.bot.texts()[-1] == UNKNOWN_EN
    assert driver.layout == [["👛 Wallet (10.00 EUR)"], ["✖️ Release the spot"]]

    await driver.tap("👛 Wallet (10.00 EUR)")
    # The confirmation itself is the outbox's message (one per booking, however it was paid).
    assert driver.text == (
        f"✅ Payment received for booking #{reservation.id}. The confirmation, with directions and "
        "the arrival button, comes in a separate message."
    )
    assert driver.layout == [["🏠 Menu"]]
    assert await status_of(services, reservation.id) == ReservationStatus.CONFIRMED
    assert await balance_of(services, user_id) == 701

    await driver.tap("🏠 Menu")
    assert driver.layout == MENU_EN
    await driver.send("/wallet")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>7.01 EUR</b>"


async def test_releasing_the_hold(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("1 h")
    await driver.tap("✅ Hold the spot (2.50 EUR)")
    await driver.tap("✖️ Release the spot")
    assert driver.bot.callback_answers()[-1].text == "The spot was released. Nothing was charged."
    assert driver.layout == MENU_EN
    async with services.db.read() as s:
        (reservation,) = (await s.scalars(select(Reservation))).all()
    assert reservation.status == ReservationStatus.CANCELLED


async def test_a_late_release_tap_does_not_cancel_a_booking_paid_meanwhile(
    driver: Driver, services: Services
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("1 h")
    await driver.tap("✅ Hold the spot (2.50 EUR)")
    user_id = await user_id_of(services)
    async with services.db.read() as s:
        (reservation,) = (await s.scalars(select(Reservation))).all()
    # Paid from another device while this payment screen stays open.
    await fund(services, user_id, 250)
    async with services.db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(
            s, reservation_id=reservation.id, user_id=user_id, now=services.clock.now()
        )
    await driver.tap("✖️ Release the spot")
    assert driver.bot.alerts()[-1] == "This booking is already paid, so it stays yours."
    assert driver.text.startswith("✅ Payment received for booking #1.")
    assert await status_of(services, reservation.id) == ReservationStatus.CONFIRMED
    assert await balance_of(services, user_id) == 0  # nothing refunded


async def test_an_expired_hold_says_so(driver: Driver, services: Services, clock: ManualClock) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("1 h")
    await driver.tap("✅ Hold the spot (2.50 EUR)")
    clock.advance(timedelta(minutes=11))
    await driver.send("still there?")
    assert driver.text == (
        "⌛ The hold on spot A1 at Central Garage ran out and the spot was released. You can book again."
    )
    assert driver.layout == [["🔁 Book again"], ["🏠 Menu"]]
    await driver.tap("🔁 Book again")
    assert driver.text == "How long do you stay?"
    await driver.tap("1 h")
    assert "Central Garage" in driver.text and "Total: <b>2.50 EUR</b>" in driver.text


async def test_quote_when_the_last_spot_went_meanwhile(driver: Driver, services: Services) -> None:
    premise_id = await add_premise(services, "Tiny Lot", north_m=222, spots=1)
    await _durations_of(driver, "Tiny Lot")
    other = await add_user(services, telegram_id=2002)
    await hold(services, other, premise_id, services.clock.now(), 180)
    await driver.tap("2 h")
    assert driver.text == "Sorry, every spot is taken for that time. Try another time or car park."
    assert driver.layout == [["⬅️ Back"]]


async def test_a_closed_time_is_refused_with_the_hours_and_the_picker_offers_only_open_slots(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    premise_id = await add_premise(services, "University Deck", north_m=222)
    async with services.db.transaction() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        premise.opening_hours = "Mon–Sat 07:00–21:00"
    await _durations_of(driver, "University Deck")  # it is Saturday 11:00
    await driver.tap("Other…")
    await driver.send("11")  # until 22:00: past closing
    assert driver.text == "🚫 Closed at that time: open Mon–Sat 07:00–21:00."
    assert driver.layout == [["🕒 Choose another time"], ["⬅️ Back"]]

    await driver.tap("🕒 Choose another time")
    sunday = clock.now().astimezone(KYIV).date() + timedelta(days=1)
    await tap_day(driver, sunday)
    assert driver.text == (
        "Arrival time on Sun 22 Nov (Europe/Kyiv):\n\n"
        "No arrival time that day fits a stay of 11 h within the opening hours: Mon–Sat 07:00–21:00."
    )
    assert driver.layout == [["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    await tap_day(driver, sunday + timedelta(days=1))
    assert driver.text == "Arrival time on Mon 23 Nov (Europe/Kyiv):"
    # Starts from opening time to 10:00, the last that ends by closing time; nothing else.
    assert driver.layout == [
        ["07:00", "07:15", "07:30", "07:45"],
        ["08:00", "08:15", "08:30", "08:45"],
        ["09:00", "09:15", "09:30", "09:45"],
        ["10:00"],
        ["⬅️ Back"],
    ]
    await driver.tap("10:00")
    assert driver.text.startswith(
        "<b>University Deck</b>\n📍 1 Test Street\n🕒 Mon 23 Nov 10:00–21:00\n⏱ 11 h"
    )
    assert driver.layout == [["✅ Hold the spot (27.50 EUR)"], ["⬅️ Back"]]
    await driver.tap("✅ Hold the spot (27.50 EUR)")
    assert driver.text.startswith(
        "Spot <b>A1</b> at University Deck is held for you.\n🕒 Mon 23 Nov 10:00–21:00"
    )


async def test_a_search_for_a_closed_time_does_not_list_the_car_park(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    premise_id = await add_premise(services, "University Deck", north_m=222)
    await add_premise(services, "Central Garage", north_m=500)
    async with services.db.transaction() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        premise.opening_hours = "Mon–Sat 07:00–21:00"
    await driver.send(HERE)
    assert [label.split(" · ")[0] for label in driver.labels[:2]] == ["University Deck", "Central Garage"]
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, tomorrow_at(clock, 10).astimezone(KYIV).date())  # Sunday
    await driver.tap("10:00")
    assert [label.split(" · ")[0] for label in driver.labels[:1]] == ["Central Garage"]
    assert not any(label.startswith("University Deck") for label in driver.labels)


async def test_a_booking_for_tomorrow_can_be_cancelled_from_its_confirmation(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, tomorrow_at(clock, 10).astimezone(KYIV).date())
    await driver.tap("10:00")
    await driver.tap(driver.label_starting("Central Garage"))
    await driver.tap("✅ Book here")
    await driver.tap("2 h")
    assert "🕒 Sun 22 Nov 10:00–12:00" in driver.text
    user_id = await user_id_of(services)
    await fund(services, user_id, 1000)
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    await driver.tap("👛 Wallet (10.00 EUR)")
    assert driver.text.startswith("✅ Payment received for booking #")
    async with services.db.read() as s:
        reservation_id = await s.scalar(select(Reservation.id))
    assert reservation_id is not None

    # The confirmation message's "Cancel booking" button.
    cancel = BookingAction(action="cancel", reservation_id=reservation_id).pack()
    await driver.tap_outside_dialogs(cancel)
    assert driver.text == f"Cancel booking #{reservation_id}? 5.00 EUR goes back to your wallet at once."
    assert driver.layout == [["Yes, cancel", "No, keep it"]]
    await driver.tap("No, keep it")
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed")

    await driver.tap_outside_dialogs(cancel)
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts()[-1] == (
        f"Booking #{reservation_id} is cancelled. 5.00 EUR is back in your wallet."
    )
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✖️ cancelled")
    assert await balance_of(services, user_id) == 1000


async def test_booking_screens_in_ukrainian(services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222, features=["covered", "cctv"])
    await add_user(services, language="uk")
    driver = Driver(services, TG_ID)
    await driver.send(HERE)
    assert driver.text.startswith("🅿️ Паркінги біля вас\n🕒 ")
    assert driver.layout == [
        ["Central Garage · 222 m · 2.50 EUR/год · вільно: 2 🏠📹"],
        ["🕒 Змінити час", "⚙️ Фільтри"],
        ["🏠 Меню"],
    ]
    await driver.tap(driver.labels[0])
    assert driver.text.startswith(
        "<b>Central Garage</b>\n📍 1 Test Street\n💶 2.50 EUR за годину\n🕐 24/7\n"
        "⭐ відгуків ще немає\n🏠 Дах · 📹 Відеонагляд"
    )
    assert driver.layout == [["✅ Забронювати"], ["🧭 Маршрут"], ["⬅️ Назад"]]
    await driver.tap("✅ Забронювати")
    assert driver.text == "На скільки часу?"
    assert driver.layout == [["1 год", "2 год", "3 год"], ["4 год", "8 год"], ["Інше…"], ["⬅️ Назад"]]
    await driver.tap("Інше…")
    await driver.send("1,5")
    assert "⏱ 1 год 30 хв" in driver.text
    assert "Разом: <b>3.75 EUR</b> (2.50 EUR/год)\nвільно: 2" in driver.text
    assert driver.layout == [["✅ Утримати місце (3.75 EUR)"], ["⬅️ Назад"]]
    await driver.tap("✅ Утримати місце (3.75 EUR)")
    assert driver.text.startswith("Місце <b>A1</b> у Central Garage утримується для вас.")
    assert driver.layout == [["👛 Гаманець: 0.00 EUR, недостатньо"], ["✖️ Звільнити місце"]]
    await driver.tap("👛 Гаманець: 0.00 EUR, недостатньо")
    assert driver.bot.alerts() == [
        "У гаманці 0.00 EUR, а бронювання коштує 3.75 EUR. Оплата карткою тут недоступна, "
        "тож попросіть оператора поповнити ваш гаманець."
    ]


# -- my bookings ----------------------------------------------------------------------------


async def _three_bookings(services: Services, clock: ManualClock) -> tuple[int, int, int, int]:
    """A booking in progress, one for tomorrow (both paid) and a released hold; then the
    clock moves on half an hour. Returns the user's id and the three reservations' ids."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    now_id = await book_and_pay(services, user_id, premise_id, clock.now(), 120)
    upcoming_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 120)
    past_id = await hold(services, user_id, premise_id, clock.now() + timedelta(hours=3), 60)
    async with services.db.transaction() as s:
        await booking.cancel(s, past_id, user_id=user_id, now=clock.now(), reason="released")
    clock.advance(timedelta(minutes=30))
    return user_id, now_id, upcoming_id, past_id


async def test_bookings_open_on_the_one_in_progress_and_switch_tabs(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    _user, _now, _upcoming, _past = await _three_bookings(services, clock)
    await driver.send("/bookings")
    assert driver.text == "Your bookings"
    assert driver.layout == [
        ["Upcoming", "• Now", "Past"],
        ["Sat 21 Nov 11:00–13:00 · Central Garage · ✅ confirmed"],
        ["🏠 Menu"],
    ]
    await driver.tap("Upcoming")
    assert driver.layout == [
        ["• Upcoming", "Now", "Past"],
        ["Sun 22 Nov 10:00–12:00 · Central Garage · ✅ confirmed"],
        ["🏠 Menu"],
    ]
    await driver.tap("Past")
    assert driver.layout == [
        ["Upcoming", "Now", "• Past"],
        ["Sat 21 Nov 14:00–15:00 · Central Garage · ✖️ cancelled"],
        ["🏠 Menu"],
    ]


async def test_a_started_booking_shows_its_payment_and_cannot_be_cancelled(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    _user, now_id, _upcoming, _past = await _three_bookings(services, clock)
    await driver.send("/bookings")
    await driver.tap("Sat 21 Nov 11:00–13:00 · Central Garage · ✅ confirmed")
    assert driver.text == (
        f"<b>Booking #{now_id}</b> · ✅ confirmed\nCentral Garage, spot A1\n📍 1 Test Street\n"
        "🕒 Sat 21 Nov 11:00–13:00\n💶 5.00 EUR\n• wallet: 5.00 EUR — paid"
    )
    # Started: no cancel (DESIGN §5), the driver can end it instead.
    assert driver.layout == [["🏁 End parking now"], ["🧭 Navigate"], ["⬅️ Back"]]
    await driver.tap("🧭 Navigate")
    assert [v.title for v in driver.bot.venues()] == ["Central Garage"]
    await driver.tap("⬅️ Back")
    assert driver.text == "Your bookings"


async def test_cancelling_an_upcoming_booking_refunds_the_wallet(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id, _now, upcoming_id, _past = await _three_bookings(services, clock)
    assert await balance_of(services, user_id) == 0
    await driver.send("/bookings")
    await driver.tap("Upcoming")
    await driver.tap("Sun 22 Nov 10:00–12:00 · Central Garage · ✅ confirmed")
    assert driver.text.endswith("🕒 Sun 22 Nov 10:00–12:00\n💶 5.00 EUR\n• wallet: 5.00 EUR — paid")
    assert driver.layout == [["❌ Cancel booking"], ["🧭 Navigate"], ["⬅️ Back"]]

    await driver.tap("❌ Cancel booking")
    assert driver.text == f"Cancel booking #{upcoming_id}? 5.00 EUR goes back to your wallet at once."
    assert driver.layout == [["Yes, cancel", "No, keep it"]]
    await driver.tap("No, keep it")
    assert driver.text.startswith(f"<b>Booking #{upcoming_id}</b> · ✅ confirmed")
    assert await status_of(services, upcoming_id) == ReservationStatus.CONFIRMED

    await driver.tap("❌ Cancel booking")
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == [f"Booking #{upcoming_id} is cancelled. 5.00 EUR is back in your wallet."]
    assert driver.text == (
        f"<b>Booking #{upcoming_id}</b> · ✖️ cancelled\nCentral Garage, spot A1\n📍 1 Test Street\n"
        "🕒 Sun 22 Nov 10:00–12:00\n💶 5.00 EUR\n• wallet: 5.00 EUR — refunded"
    )
    assert driver.layout == [["🧭 Navigate"], ["⬅️ Back"]]
    assert await status_of(services, upcoming_id) == ReservationStatus.CANCELLED
    assert await balance_of(services, user_id) == 500

    await driver.tap("⬅️ Back")  # to the tab it was opened from, empty now
    assert driver.text == "Your bookings\n\nNothing here. Look at the other tabs."
    assert driver.layout == [["• Upcoming", "Now", "Past"], ["🏠 Menu"]]


async def test_cancelling_an_unpaid_hold_refunds_nothing(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await hold(services, user_id, premise_id, tomorrow_at(clock, 9), 60)
    await driver.send("/bookings")
    await driver.tap("Sun 22 Nov 09:00–10:00 · Central Garage · ⏳ awaiting payment")
    assert driver.text.endswith("💶 2.50 EUR\n")  # no payment lines yet
    await driver.tap("❌ Cancel booking")
    assert driver.text == f"Cancel booking #{reservation_id}? Nothing was paid, so nothing is refunded."
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == [
        f"Booking #{reservation_id} is cancelled. Nothing was paid, so nothing is refunded."
    ]


async def test_a_started_booking_is_ended_not_cancelled(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    """After the start there is no cancel (DESIGN §5): the confirmation's Cancel button says so
    and leads to the booking, whose screen offers "End parking now" with a confirmation."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now(), 120)
    clock.advance(timedelta(minutes=10))
    async with services.db.transaction() as s:
        await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())

    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    assert driver.bot.alerts() == ["The booking has already started, so it can no longer be cancelled."]
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · 🚗 parked")
    assert driver.layout == [["🏁 End parking now"], ["🧭 Navigate"], ["⬅️ Back"]]

    await driver.tap("🏁 End parking now")
    assert driver.text == (
        f"End booking #{reservation_id} now? The spot is released for others; the time left is not refunded."
    )
    assert driver.layout == [["Yes, end now", "No, keep parking"]]
    await driver.tap("No, keep parking")
    assert await status_of(services, reservation_id) == ReservationStatus.ACTIVE
    await driver.tap("🏁 End parking now")
    await driver.tap("Yes, end now")
    answers = [a.text for a in driver.bot.callback_answers()]
    assert f"Booking #{reservation_id} has ended. Thank you!" in answers
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✔️ completed")
    assert driver.layout == [["🧭 Navigate"], ["⬅️ Back"]]
    assert await status_of(services, reservation_id) == ReservationStatus.COMPLETED


async def test_a_cancel_confirmed_after_the_start_is_refused_clearly(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    """The cancel screen was open when the booking started and the driver parked: "Yes, cancel"
    says why not (never "something went wrong") and shows the booking with its end button."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now() + timedelta(minutes=5), 60)
    await driver.send(f"/start booking_{reservation_id}")
    await driver.tap("❌ Cancel booking")
    assert driver.text.endswith("2.50 EUR goes back to your wallet at once.")
    clock.advance(timedelta(minutes=6))
    async with services.db.transaction() as s:
        await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == ["The booking has already started, so it can no longer be cancelled."]
    assert driver.layout == [["🏁 End parking now"], ["🧭 Navigate"], ["⬅️ Back"]]
    assert await status_of(services, reservation_id) == ReservationStatus.ACTIVE
    assert await balance_of(services, user_id) == 0


def test_every_domain_refusal_has_its_own_words() -> None:
    from bot.dialogs.common import refusal_text
    from core import errors
    from payments.service import InvalidTopUp

    refusals: list[errors.DomainError] = [
        errors.NotFound("x"),
        errors.NotOwner("x"),
        errors.InvalidInterval("x"),
        errors.NoSpotFree("x"),
        errors.SpotTaken("x"),
        errors.InvalidTransition(7, "active", "cancel"),
        errors.TooLateToCancel("x"),
        errors.NotStarted("x"),
        errors.InsufficientFunds(100, 250, "EUR"),
        errors.CurrencyMismatch("x"),
        errors.TooManyHolds("x"),
        errors.ClosedAtThatTime(1, "Mon-Sat 07:00-21:00"),
        errors.InvalidPhone("x"),
        errors.PhoneTaken("x"),
        InvalidTopUp("x"),
        errors.DomainError("x"),
    ]
    # Every subclass of DomainError in core.errors is in the list above.
    defined = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)}
    assert defined <= {type(e) for e in refusals}
    for lang in ("en", "uk"):
        texts = [refusal_text(lang, e) for e in refusals]
        generic = ("Something went wrong", "Щось пішло не так")
        assert all(text and not text.startswith(generic) for text in texts)
    assert refusal_text("en", errors.InvalidTransition(7, "active", "cancel")) == (
        "Booking #7 is 🚗 parked now, so this is no longer possible."
    )


async def test_a_held_booking_is_paid_from_my_bookings(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await hold(services, user_id, premise_id, tomorrow_at(clock, 9), 60)
    await driver.send("/bookings")
    await driver.tap("Sun 22 Nov 09:00–10:00 · Central Garage · ⏳ awaiting payment")
    assert driver.layout == [["💳 Pay 2.50 EUR"], ["❌ Cancel booking"], ["🧭 Navigate"], ["⬅️ Back"]]
    await driver.tap("💳 Pay 2.50 EUR")
    assert driver.text.startswith("Spot <b>A1</b> at Central Garage is held for you.")
    assert driver.layout == [["👛 Wallet: 0.00 EUR, not enough"], ["✖️ Release the spot"]]
    await fund(services, user_id, 300)
    await driver.send("paid in")  # any message shows the screen again, with the balance
    assert driver.layout == [["👛 Wallet (3.00 EUR)"], ["✖️ Release the spot"]]
    await driver.tap("👛 Wallet (3.00 EUR)")
    assert driver.text.startswith(f"✅ Payment received for booking #{reservation_id}.")
    assert await status_of(services, reservation_id) == ReservationStatus.CONFIRMED
    assert await balance_of(services, user_id) == 50


async def test_a_short_wallet_offers_a_top_up_on_the_payment_screen(
    services: Services, clock: ManualClock
) -> None:
    """With card payments on, a wallet short of the price gets "Top up" right there (not only a
    pop-up), for what is missing; back on the payment screen the wallet pays."""
    from dataclasses import replace

    from core.clock import SystemClock
    from demo.stripe import StripeFake
    from payments.service import PaymentService
    from payments.stripe_gateway import StripeGateway

    async with StripeFake() as stripe:
        gateway = StripeGateway("sk_test_dialogs", api_base=stripe.base_url, max_network_retries=0)
        # Stripe refuses pages that expire in its past: the payments run on the real clock.
        payments = PaymentService(services.db, gateway, SystemClock(), public_url="https://parking.example")
        try:
            with_cards = replace(services, payments=payments)
            driver = Driver(with_cards, TG_ID)
            user_id = await add_user(services)
            premise_id = await add_premise(services, "Central Garage", north_m=222)
            await hold(services, user_id, premise_id, tomorrow_at(clock, 9), 60)
            await fund(services, user_id, 100)
            await driver.send("/bookings")
            await driver.tap("Sun 22 Nov 09:00–10:00 · Central Garage · ⏳ awaiting payment")
            await driver.tap("💳 Pay 2.50 EUR")
            assert driver.layout == [
                ["👛 Wallet: 1.00 EUR, not enough"],
                ["➕ Top up 5.00 EUR"],  # 1.50 EUR is missing; top-ups start at 5.00 EUR
                ["🔗 Pay by card (secure Stripe page)"],
                ["✖️ Release the spot"],
            ]
            await driver.tap("➕ Top up 5.00 EUR")
            assert driver.bot.alerts() == []
            assert driver.text == (
                "Top up 5.00 EUR: open the secure payment page, then come back here and pay from your wallet."
            )
            assert driver.layout == [["💳 Open the secure page"], ["⬅️ Back to payment"]]
            (session,) = [s for s in stripe.sessions.values() if s["mode"] == "payment"]
            assert session["amount_total"] == 500
            await stripe.complete_checkout(session["id"], send_webhook=False)
            await payments.verify_return(session["id"])  # what the webhook would do
            await driver.tap("⬅️ Back to payment")
            assert driver.layout[0] == ["👛 Wallet (6.00 EUR)"]
            await driver.tap("👛 Wallet (6.00 EUR)")
            assert driver.text.startswith("✅ Payment received for booking #")
        finally:
            await gateway.close()


async def test_no_bookings_yet(driver: Driver) -> None:
    await driver.send("/bookings")
    assert driver.text == "Your bookings\n\nYou have no bookings yet. Use /find to book a spot."
    assert driver.layout == [["• Upcoming", "Now", "Past"], ["🏠 Menu"]]


async def test_bookings_come_five_to_a_page(driver: Driver, services: Services, clock: ManualClock) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222, spots=1)
    for day in range(1, 8):
        await book_and_pay(
            services, user_id, premise_id, tomorrow_at(clock, 10) + timedelta(days=day - 1), 60
        )
    await driver.send("/bookings")
    assert len(driver.layout) == 1 + 5 + 2
    assert driver.layout[1] == ["Sun 22 Nov 10:00–11:00 · Central Garage · ✅ confirmed"]
    assert driver.layout[-2] == ["More ▶️"]
    await driver.tap("More ▶️")
    assert driver.layout[1:] == [
        ["Fri 27 Nov 10:00–11:00 · Central Garage · ✅ confirmed"],
        ["Sat 28 Nov 10:00–11:00 · Central Garage · ✅ confirmed"],
        ["◀️"],
        ["🏠 Menu"],
    ]
    await driver.tap("◀️")
    assert driver.layout[1] == ["Sun 22 Nov 10:00–11:00 · Central Garage · ✅ confirmed"]


async def test_a_link_to_a_booking_opens_it(driver: Driver, services: Services, clock: ManualClock) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    for payload in (f"booking_{reservation_id}", f"paid_{reservation_id}"):
        await driver.send(f"/start {payload}")
        assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed\nCentral Garage")
        assert driver.layout == [["❌ Cancel booking"], ["🧭 Navigate"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.layout == [
        ["• Upcoming", "Now", "Past"],
        ["Sun 22 Nov 10:00–11:00 · Central Garage · ✅ confirmed"],
        ["🏠 Menu"],
    ]


async def test_notification_buttons_open_navigate_and_cancel(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)

    await driver.tap_outside_dialogs(BookingAction(action="open", reservation_id=reservation_id).pack())
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed")
    await driver.tap_outside_dialogs(BookingAction(action="navigate", reservation_id=reservation_id).pack())
    assert [(v.title, v.address) for v in driver.bot.venues()] == [("Central Garage", "1 Test Street")]
    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    assert driver.text == f"Cancel booking #{reservation_id}? 2.50 EUR goes back to your wallet at once."
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == [
        f"Booking #{reservation_id} is cancelled. 2.50 EUR is back in your wallet."
    ]
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✖️ cancelled")
    assert await balance_of(services, user_id) == 250


async def test_a_notification_button_for_someone_elses_booking_is_refused(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    other = await add_user(services, telegram_id=2002)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, other, premise_id, tomorrow_at(clock, 10), 60)
    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    assert driver.bot.alerts() == ["There is no such booking among yours."]
    assert await status_of(services, reservation_id) == ReservationStatus.CONFIRMED


@pytest.mark.parametrize("opened_by", ["link", "notification"])
async def test_keeping_a_booking_opened_from_a_link_or_notification_shows_it_again(
    driver: Driver, services: Services, clock: ManualClock, opened_by: str
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    if opened_by == "link":
        await driver.send(f"/start booking_{reservation_id}")
        await driver.tap("❌ Cancel booking")
    else:
        await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    await driver.tap("No, keep it")
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed")


async def test_links_and_buttons_do_not_tell_someone_elses_booking_from_a_missing_one(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    other = await add_user(services, telegram_id=2002)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, other, premise_id, tomorrow_at(clock, 10), 60)
    missing = reservation_id + 1000
    for prefix in ("booking_", "paid_"):
        answers = []
        for target in (reservation_id, missing):
            await driver.send(f"/start {prefix}{target}")
            answers.append((driver.bot.texts()[-1], driver.layout))
        assert answers[0] == answers[1]
        assert answers[0] == ("There is no such booking among yours.", MENU_EN)
    for action in ("open", "cancel", "navigate"):
        for target in (reservation_id, missing):
            await driver.tap_outside_dialogs(BookingAction(action=action, reservation_id=target).pack())
    assert driver.bot.alerts() == ["There is no such booking among yours."] * 6
    assert await status_of(services, reservation_id) == ReservationStatus.CONFIRMED


# -- wallet ---------------------------------------------------------------------------------


async def test_wallet_balance_and_history_without_card_payments(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    await driver.send("/wallet")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>0.00 EUR</b>"
    # No top-ups and no saved cards without Stripe.
    assert driver.layout == [["🧾 History"], ["🏠 Menu"]]
    await driver.tap("🧾 History")
    assert driver.text == "🧾 Wallet history\n\nNo wallet transactions yet."
    assert driver.layout == [["⬅️ Back"]]

    user_id = await user_id_of(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    await fund(services, user_id, 2000)
    clock.advance(timedelta(minutes=5))
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    clock.advance(timedelta(minutes=5))
    async with services.db.transaction() as s:
        await booking.cancel(s, reservation_id, user_id=user_id, now=clock.now())

    await driver.tap("⬅️ Back")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>22.50 EUR</b>"
    await driver.tap("🧾 History")
    assert driver.text == (
        "🧾 Wallet history\n\n"
        "21 Nov 11:10 · +2.50 EUR · refund\n"
        "21 Nov 11:05 · -2.50 EUR · payment\n"
        "21 Nov 11:05 · +2.50 EUR · top-up\n"
        "21 Nov 11:00 · +20.00 EUR · top-up"
    )


async def test_wallet_history_comes_ten_to_a_page(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    for n in range(12):
        await fund(services, user_id, 100 * (n + 1), WalletTxKind.ADJUSTMENT)
        clock.advance(timedelta(minutes=1))
    await driver.send("/wallet")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>78.00 EUR</b>"
    await driver.tap("🧾 History")
    lines = driver.text.split("\n")[2:]
    assert len(lines) == 10
    assert lines[0] == "21 Nov 11:11 · +12.00 EUR · adjustment"
    assert driver.layout == [["More ▶️"], ["⬅️ Back"]]
    await driver.tap("More ▶️")
    assert driver.text.split("\n")[2:] == [
        "21 Nov 11:01 · +2.00 EUR · adjustment",
        "21 Nov 11:00 · +1.00 EUR · adjustment",
    ]
    assert driver.layout == [["◀️"], ["⬅️ Back"]]


async def test_saved_cards_screen(driver: Driver, services: Services) -> None:
    await driver.send("/testcards")
    assert driver.text == "💳 Saved cards\n\nNo saved cards. Add one to pay in one tap."
    assert driver.layout == [["⬅️ Back"]]  # adding a card needs Stripe

    user_id = await user_id_of(services)
    async with services.db.transaction() as s:
        s.add(
            SavedPaymentMethod(
                user_id=user_id,
                stripe_payment_method_id="pm_test_visa",
                brand="visa",
                last4="4242",
                exp_month=4,
                exp_year=2030,
            )
        )
    await driver.send("/testcards")
    assert driver.text == "💳 Saved cards\n\nVisa •••• 4242 (exp. 04/2030)"
    assert driver.layout == [["🗑 Visa •••• 4242"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>0.00 EUR</b>"


# -- anything unexpected --------------------------------------------------------------------


Opener = Callable[[Driver], Awaitable[object]]


async def _menu(driver: Driver) -> None:
    await driver.send("/start")


async def _results(driver: Driver) -> None:
    await driver.send(HERE)


async def _card(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))


async def _filters(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap("⚙️ Filters")


async def _durations(driver: Driver) -> None:
    await _card(driver)
    await driver.tap("✅ Book here")


async def _wallet(driver: Driver) -> None:
    await driver.send("/wallet")


async def _bookings(driver: Driver) -> None:
    await driver.send("/bookings")


@pytest.mark.parametrize("open_screen", [_menu, _results, _card, _filters, _durations, _wallet, _bookings])
async def test_unexpected_text_gets_an_answer_and_the_same_screen_again(
    driver: Driver, services: Services, open_screen: Opener
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await open_screen(driver)
    before = driver.screen
    sent_before = len(driver.manager.sent_messages)
    await driver.send("where is my car?")
    assert driver.bot.texts()[-1] == UNKNOWN_EN
    after = driver.screen
    assert len(driver.manager.sent_messages) == sent_before + 1  # a new message below the answer
    assert after.message_id != before.message_id
    assert (after.text, after.reply_markup) == (before.text, before.reply_markup)


async def test_text_outside_any_dialog_leads_to_the_menu(driver: Driver) -> None:
    await driver.send("hello")
    assert driver.bot.texts() == [UNKNOWN_EN]
    assert driver.text == "What would you like to do?"
    assert driver.layout == MENU_EN


async def test_a_button_of_a_closed_dialog_is_out_of_date(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    old_results = driver.screen
    await driver.send("/wallet")  # a new stack replaces the search
    await driver.tap("⚙️ Filters", on=old_results)
    assert driver.bot.callback_answers()[-1].text == "This button is out of date. Here is the current menu."
    assert driver.layout == MENU_EN


async def test_cancel_command_leaves_the_current_step(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations(driver)
    await driver.send("/cancel")
    assert driver.bot.texts()[-1] == "Done, nothing was changed. Here is the menu."
    assert driver.layout == MENU_EN
    async with services.db.read() as s:
        assert (await s.scalars(select(Reservation))).all() == []
        assert (await s.scalars(select(Premise))).one().name == "Central Garage"
