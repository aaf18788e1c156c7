"""Finding parking: results, paging, filters, a wider search, the time, a car park's card.

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv (the bot's time zone). What is asserted is what the driver sees: the
texts and button labels of the windows, the plain messages and the callback alerts.
"""

from __future__ import annotations

from datetime import timedelta

from bot.context import Services
from core.clock import ManualClock
from core.models import (
    Premise,
    Review,
)
from tests.bot.dialog_support import Driver
from tests.bot.screens import (
    HERE,
    KYIV,
    NOW_WINDOW,
    TG_ID,
    add_premise,
    add_user,
    book_and_pay,
    hold,
    open_month,
    tap_day,
    tomorrow_at,
    user_id_of,
)
from tests.factories import make_user


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
    # The times' zone is named; the buttons stay short, the free spots are in the text.
    assert driver.text == (
        f"🅿️ Parking near you\n🕒 {NOW_WINDOW} (Europe/Kyiv)\n\n"
        "Central Garage: 1 free 🏠📹\nRiver Parking: 1 free"
    )
    assert driver.layout == [
        ["Central Garage · 222 m · 2.50 EUR/h"],
        ["River Parking · 1 km · 1.50 EUR/h"],
        ["🕒 Change time", "⚙️ Filters"],
        ["🏠 Menu"],
    ]


async def test_a_long_name_gives_way_so_a_result_fits_a_phone(driver: Driver, services: Services) -> None:
    await add_premise(services, "Riverside Park & Ride Interchange North", north_m=1500, price=1250)
    await driver.send(HERE)
    (result,) = driver.labels[:1]
    assert result == "Riverside Park &… · 1.5 km · 12.50 EUR/h"
    assert len(result) <= 40
    assert "Riverside Park &amp; Ride Interchange North: 2 free" in driver.text  # whole in the text


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
    assert "No free spots within 2 km for that time." in driver.text


async def test_no_results_offers_a_wider_search(driver: Driver, services: Services) -> None:
    await add_premise(services, "Suburb Park", north_m=3000, price=100)
    await driver.send(HERE)
    assert driver.text == (
        f"🅿️ Parking near you\n🕒 {NOW_WINDOW} (Europe/Kyiv)\n\nNo free spots within 2 km for that time."
    )
    assert driver.layout == [["🔎 Search within 5 km"], ["🕒 Change time", "⚙️ Filters"], ["🏠 Menu"]]

    await driver.tap("🔎 Search within 5 km")
    assert driver.text == f"🅿️ Parking near you\n🕒 {NOW_WINDOW} (Europe/Kyiv)\n\nSuburb Park: 2 free"
    assert driver.layout == [
        ["Suburb Park · 3 km · 1.00 EUR/h"],
        ["🕒 Change time", "⚙️ Filters"],
        ["🏠 Menu"],
    ]


async def test_the_widest_search_offers_nothing_wider(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap("🔎 Search within 5 km")
    assert "No free spots within 5 km" in driver.text
    await driver.tap("🔎 Search within 10 km")
    assert "No free spots within 10 km" in driver.text
    assert driver.layout == [["🕒 Change time", "⚙️ Filters"], ["🏠 Menu"]]


# -- find: time -----------------------------------------------------------------------------


async def test_change_time_with_the_calendar_and_time_slots(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    assert driver.text == "When do you arrive?"
    assert driver.layout == [["Now", "Later today"], ["📅 Another day"], ["⬅️ Back"]]

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
    # The pager says which hours it leads to.
    assert driver.layout[6:] == [["◀️ Earlier · 00:00–05:45", "Later · 12:00–17:45 ▶️"], ["⬅️ Back"]]
    await driver.tap("Later · 12:00–17:45 ▶️")
    assert driver.layout[0] == ["12:00", "12:15", "12:30", "12:45"]
    assert driver.layout[6:] == [["◀️ Earlier · 06:00–11:45", "Later · 18:00–23:45 ▶️"], ["⬅️ Back"]]
    await driver.tap("Later · 18:00–23:45 ▶️")
    assert driver.layout[6:] == [["◀️ Earlier · 12:00–17:45"], ["⬅️ Back"]]
    await driver.tap("◀️ Earlier · 12:00–17:45")
    await driver.tap("⬅️ Back")  # to the calendar the day was picked on
    assert driver.layout[0] == ["🗓 November 2026"]
    await tap_day(driver, tomorrow)
    assert driver.layout[0] == ["06:00", "06:15", "06:30", "06:45"]

    await driver.tap("10:00")
    assert driver.text.startswith("🅿️ Parking near you\n🕒 Sun 22 Nov 10:00–12:00 (Europe/Kyiv)")
    assert driver.labels[0].startswith("Central Garage · 222 m")

    # Back to "now".
    await driver.tap("🕒 Change time")
    await driver.tap("Now")
    assert driver.text.startswith(f"🅿️ Parking near you\n🕒 {NOW_WINDOW} (Europe/Kyiv)")


async def test_later_today_offers_the_next_start_times_without_the_calendar(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("Later today")
    assert driver.text == "Arrival time on Sat 21 Nov (Europe/Kyiv):"
    assert driver.layout[0] == ["11:15", "11:30", "11:45", "12:00"]  # it is 11:00 now
    assert driver.layout[-2:] == [["Later · 17:15–23:00 ▶️"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")  # to where "later today" was chosen, not to a calendar
    assert driver.text == "When do you arrive?"
    await driver.tap("Later today")
    await driver.tap("12:00")
    assert driver.text.startswith("🅿️ Parking near you\n🕒 Sat 21 Nov 12:00–14:00 (Europe/Kyiv)")


async def test_late_in_the_evening_later_today_says_no_times_are_left(
    driver: Driver, clock: ManualClock
) -> None:
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    clock.advance(timedelta(hours=12, minutes=50))  # 23:50 in Kyiv
    await driver.tap("Later today")
    assert driver.text == (
        "Arrival time on Sat 21 Nov (Europe/Kyiv):\n\nNo arrival times are left today: pick another day."
    )
    assert driver.layout == [["⬅️ Back"]]


async def test_today_offers_only_times_still_ahead(driver: Driver, clock: ManualClock) -> None:
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, clock.now().astimezone(KYIV).date())
    assert driver.text == "Arrival time on Sat 21 Nov (Europe/Kyiv):"
    assert driver.layout[0] == ["11:15", "11:30", "11:45", "12:00"]  # it is 11:00 now
    await driver.tap("12:00")
    assert driver.text == (
        "🅿️ Parking near you\n🕒 Sat 21 Nov 12:00–14:00 (Europe/Kyiv)\n\n"
        "No free spots within 2 km for that time."
    )


async def test_past_days_and_days_past_the_horizon_cannot_be_tapped(
    driver: Driver, clock: ManualClock
) -> None:
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    today = clock.now().astimezone(KYIV).date()
    await open_month(driver, today)
    week = driver.layout[5]  # Mon 16 to Sun 22 November
    assert week == ["", "", "", "", "", "21", "22"]  # up to yesterday: blank, nothing to tap
    await open_month(driver, today + timedelta(days=40))
    # 30 days ahead is 21 December: the days after it are blank too.
    days = [label for row in driver.layout[2:-2] for label in row if label]
    assert days[-1] == "21" and "22" not in days


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
    assert driver.labels[0] == "Central Garage · 222 m · 2.50 EUR/h"
    assert "Central Garage: 2 free · ⭐4.5 🏠📹" in driver.text
    await driver.tap(driver.labels[0])
    # Its short code (what an SMS will name it by), the distance, the free spots and the total
    # for the stay searched for (now, 2 h), and the durations with their totals: one tap from
    # here to the quote.
    assert driver.text == (
        "<b>Central Garage</b> · 🔢 Code 1042\n📍 1 Test Street · 222 m\n💶 2.50 EUR per hour\n🕐 24/7\n"
        "⭐ 4.5 (2 reviews)\n🏠 Covered · 📹 CCTV\n\n"
        "🅿️ Sat 21 Nov 11:00–13:00: 2 free, <b>5.00 EUR</b> for 2 h\n\n"
        "Entrance from the side street.\n\n"
        "“Easy to find, friendly guard” — ⭐⭐⭐⭐⭐\n\nHow long will you park?"
    )
    assert driver.layout == [
        ["1 h · 2.50 EUR", "2 h · 5.00 EUR"],
        ["3 h · 7.50 EUR", "4 h · 10.00 EUR"],
        ["8 h · 20.00 EUR"],
        ["Other…"],
        ["🧭 Navigate", "☆ Add to favourites"],
        ["⬅️ Back"],
    ]

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
    assert driver.labels[0] == "Park & Ride <North> · 222 m · 2.50 EUR/h"
    await driver.tap(driver.labels[0])
    assert driver.text.startswith("<b>Park &amp; Ride &lt;North&gt;</b> · 🔢 Code 1042\n📍 1 Test Street")

    user_id = await user_id_of(services)
    await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    await driver.send("/bookings")
    assert driver.layout[1] == ["Sun 22 Nov 10:00 · Park & Ride <North> ✅"]
    await driver.tap(driver.layout[1][0])
    assert "\nPark &amp; Ride &lt;North&gt;, spot" in driver.text


async def test_card_without_reviews(driver: Driver, services: Services) -> None:
    await add_premise(services, "New Lot", north_m=500, description="Opened this week.")
    await driver.send(HERE)
    await driver.tap(driver.label_starting("New Lot"))
    assert "⭐ no reviews yet" in driver.text
    assert driver.text.endswith("Opened this week.\n\nHow long will you park?")


async def test_card_shows_the_first_photo_with_the_card_as_its_caption(
    driver: Driver, services: Services
) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    async with services.db.transaction() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        premise.photos = ["AgACAgIAAxkBAAIBfront", "AgACAgIAAxkBAAIBgate"]
    await driver.send(HERE)
    await driver.tap(driver.labels[0])
    assert driver.screen.photo is not None and driver.screen.photo[0].file_id == "AgACAgIAAxkBAAIBfront"
    assert driver.screen.caption is not None and driver.screen.caption.startswith("<b>Central Garage</b>")
    assert driver.labels[0] == "1 h · 2.50 EUR"


async def test_card_says_when_every_spot_is_taken_or_the_car_park_is_closed_for_the_stay(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    full = await add_premise(services, "Full House", north_m=222, spots=1)
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Full House"))
    # Taken for part of the two hours after the search: the card says so for the stay searched.
    other = await add_user(services, telegram_id=2002)
    await hold(services, other, full, clock.now() + timedelta(hours=1), 60)
    await driver.send("refresh")
    assert "🅿️ Sat 21 Nov 11:00–13:00: every spot is taken." in driver.text

    async with services.db.transaction() as s:
        premise = await s.get(Premise, full)
        assert premise is not None
        premise.opening_hours = "Mon–Fri 08:00–18:00"  # it is Saturday
    await driver.send("refresh")
    assert "🚫 Sat 21 Nov 11:00–13:00: closed (open Mon–Fri 08:00–18:00)." in driver.text


async def test_text_on_the_results_is_taken_as_an_address(driver: Driver, services: Services) -> None:
    # Without a geocoder (GEOCODER_URL unreachable, or none in these tests) the driver is told
    # on the results, which come again below the text: one message (tests/e2e/test_address.py
    # searches there).
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    assert "Type an address" not in driver.text  # not offered when it cannot work
    before = driver.screen
    mark = driver.mark()
    await driver.send("Khreshchatyk 1")
    assert driver.answers_since(mark) == ["window: delete_and_send"]
    assert driver.screen.message_id != before.message_id
    assert driver.text == (
        "Address search is unavailable right now. Please send your location instead.\n\n"
        + (before.text or "")
    )


async def test_a_feature_the_product_does_not_know_is_left_out_of_the_card(
    driver: Driver, services: Services
) -> None:
    # Written by hand into the table (or by an older version): the card still opens.
    await add_premise(services, "Central Garage", north_m=222, features=["covered", "valet"])
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))
    assert "🏠 Covered" in driver.text and "valet" not in driver.text
