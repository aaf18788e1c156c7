"""The screens after a stay, with aiogram-dialog's test tools: the stars under the completion
message, the text, the review's status on the booking and in "My reviews", changing it, the
refusals; "📅 Add to calendar"; ⭐ favourites on the card and first in the results; "Book again"
when nothing is free."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from icalendar import Calendar
from sqlalchemy import select, update

from bot.callbacks import ReviewStars
from bot.context import Services
from core.clock import ManualClock
from core.models import Review, ReviewStatus, Spot
from tests.bot.dialog_support import Driver
from tests.bot.screens import (
    HERE,
    TG_ID,
    add_premise,
    add_user,
    book_and_pay,
    complete_a_stay,
    tomorrow_at,
)

NO_SUCH = "There is no such booking among yours."


async def test_stars_from_the_message_then_a_text_then_the_status(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    garage = await add_premise(services, "Central Garage", north_m=222)
    stay = await complete_a_stay(services, clock, user_id, garage)

    await driver.tap_outside_dialogs(ReviewStars(reservation_id=stay, stars=5).pack())
    assert driver.text.startswith("⭐⭐⭐⭐⭐ Thank you! Add a few words")
    assert driver.layout == [["Skip"]]
    await driver.tap("Skip")
    assert driver.text == (
        "✅ Thank you! Your review of <b>Central Garage</b>: ⭐⭐⭐⭐⭐\n⏳ awaiting moderation\n"
        "Reviews appear on the car park's card once our team has checked them."
    )

    # The booking's screen says it too, and offers to change it.
    await driver.send("/bookings")
    await driver.tap("Past")
    await driver.tap(driver.label_starting("Sat 21 Nov"))
    assert driver.text.endswith("\nYour review: ⭐⭐⭐⭐⭐ — ⏳ awaiting moderation")
    assert driver.layout == [
        ["✏️ Change my review"],
        ["🔁 Book again"],
        ["🧾 Receipt"],
        ["🧭 Navigate"],
        ["⬅️ Back"],
    ]
    await driver.tap("✏️ Change my review")
    assert driver.text.endswith("Your rating now: ⭐⭐⭐⭐⭐")
    await driver.tap("3 ⭐")
    await driver.send("Narrow ramp")
    await driver.send("/bookings")  # the text is kept when only the stars change
    await driver.tap("Past")
    await driver.tap(driver.label_starting("Sat 21 Nov"))
    await driver.tap("✏️ Change my review")
    await driver.tap("2 ⭐")
    assert "Your words now: “Narrow ramp”" in driver.text
    assert driver.layout == [["Keep the text"]]
    await driver.tap("Keep the text")
    assert "⭐⭐ “Narrow ramp”" in driver.text

    # Published by the moderators: "My reviews" says so.
    async with services.db.transaction() as s:
        await s.execute(update(Review).values(is_approved=True, status=ReviewStatus.APPROVED))
    await driver.tap("📝 My reviews")
    assert driver.text == (
        "<b>Your reviews</b>\n\n<b>Central Garage</b> · Sat 21 Nov\n⭐⭐ “Narrow ramp”\n✅ published"
    )
    # A week after the stay it can no longer be changed.
    clock.advance(timedelta(days=7))
    await driver.send("/bookings")
    await driver.tap("Past")
    await driver.tap("📝 My reviews")
    assert driver.layout == [["🏠 Menu"]]


async def test_forged_and_refused_stars(driver: Driver, services: Services, clock: ManualClock) -> None:
    user_id = await add_user(services)
    other_id = await add_user(services, telegram_id=TG_ID + 1)
    garage = await add_premise(services, "Central Garage", north_m=222)
    others = await complete_a_stay(services, clock, other_id, garage)
    await driver.send("/start")
    await driver.tap_outside_dialogs(ReviewStars(reservation_id=others, stars=1).pack())
    assert driver.bot.alerts()[-1] == NO_SUCH
    upcoming = await book_and_pay(services, user_id, garage, tomorrow_at(clock, 10), 60)
    await driver.tap_outside_dialogs(ReviewStars(reservation_id=upcoming, stars=5).pack())
    assert driver.bot.alerts()[-1] == "Only a stay that has ended can be reviewed."
    async with services.db.read() as s:
        assert list(await s.scalars(select(Review))) == []


async def test_add_to_calendar_sends_the_booking_as_an_ics_file(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    garage = await add_premise(services, "Central Garage", north_m=222)
    start = tomorrow_at(clock, 10)
    reservation_id = await book_and_pay(services, user_id, garage, start, 120)
    await driver.send("/bookings")  # opens on Upcoming
    await driver.tap(driver.label_starting("Sun 22 Nov"))
    await driver.tap("📅 Add to calendar")
    (sent,) = [m for m in driver.bot.calls if isinstance(m, SendDocument)]
    assert sent.caption is not None and sent.caption.startswith(
        f"📅 Booking #{reservation_id}: open the file"
    )
    assert isinstance(sent.document, BufferedInputFile)
    assert sent.document.filename == f"parking-{reservation_id}.ics"
    (event,) = Calendar.from_ical(sent.document.data).walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (start, start + timedelta(hours=2))
    assert str(event["SEQUENCE"]) == "0"
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b>")  # the screen again, below


async def test_a_starred_car_park_comes_first(driver: Driver, services: Services) -> None:
    await add_user(services)
    await add_premise(services, "Central Garage", north_m=222)
    await add_premise(services, "Riverside", north_m=900)
    garage, riverside = "Central Garage · 222 m · 2.50 EUR/h", "Riverside · 900 m · 2.50 EUR/h"
    await driver.send(HERE)
    assert [row[0] for row in driver.layout[:2]] == [garage, riverside]
    await driver.tap(riverside)
    await driver.tap("☆ Add to favourites")
    assert ["🧭 Navigate", "⭐ Favourite · remove"] in driver.layout
    await driver.tap("⬅️ Back")
    assert [row[0] for row in driver.layout[:2]] == [f"⭐ {riverside}", garage]
    assert "⭐ Riverside: 2 free" in driver.text
    await driver.tap(f"⭐ {riverside}")
    await driver.tap("⭐ Favourite · remove")
    assert ["🧭 Navigate", "☆ Add to favourites"] in driver.layout


async def test_book_again_when_nothing_is_free_says_so(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    garage = await add_premise(services, "Central Garage", north_m=222)
    await complete_a_stay(services, clock, user_id, garage)
    async with services.db.transaction() as s:
        await s.execute(update(Spot).values(is_active=False))
    await driver.send("/start")
    await driver.tap("🔁 Book again: Central Garage")
    assert driver.bot.alerts()[-1] == "No spot there is free for that long in the next 30 days."
    async with services.db.transaction() as s:
        await s.execute(update(Spot).values(is_active=True))
    await driver.tap("🔁 Book again: Central Garage")
    assert driver.text.startswith("<b>Central Garage</b>") and "Total: <b>2.50 EUR</b>" in driver.text
    await driver.tap("⬅️ Back")
    assert "🔁 Book again: Central Garage" in driver.labels
